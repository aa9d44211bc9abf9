// The collected fixture site: the manifest `convoy collect` wrote, and the storage holding it (public/static).
import { readManifestFile as docsCheckReadManifest } from '@convoy/manifest'
import { createFsStorage as docsCheckCreateFsStorage } from '@convoy/storage-fs'

const storage = docsCheckCreateFsStorage({ root: 'public/static', baseUrl: '/static/' })
const manifest = await docsCheckReadManifest('public/static/convoy-manifest.json')
