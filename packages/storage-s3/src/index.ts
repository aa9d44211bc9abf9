export { createS3Storage } from './s3-storage.js'
export { createCachedS3Storage, type CachedS3StorageOptions } from './cached-s3-storage.js'
export type { S3StorageOptions } from './s3-backend.js'
export type { S3HeadersOption, S3ObjectHeaders } from './headers.js'
