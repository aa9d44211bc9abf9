// Stands in for the S3 storage of the blocks above, so the snippet runs without a bucket: a Storage holding the
// collected fixture site (public/static) under the same public URL. It reads and writes like the S3 one.
import { createFsStorage as docsCheckCreateFsStorage } from '@convoy/storage-fs'

const storage = docsCheckCreateFsStorage({ root: 'public/static', baseUrl: 'https://cdn.example.com/static/' })
