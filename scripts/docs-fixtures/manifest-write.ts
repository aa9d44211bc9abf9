// What `convoy collect` holds when it writes the manifest: the output directory, and the files and carpools of this
// run (here those of the collected fixture site).
import { readManifestFile as docsCheckReadManifest } from '@convoy/manifest'

const outDir = 'public/static'
const { files, carpools } = await docsCheckReadManifest('public/static/convoy-manifest.json')
