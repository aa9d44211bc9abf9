export { gzipHttpOnly, type GzipHttpOnlyOptions, type GzipHttpOnlyMiddleware } from './gzip-http-only.js'
// The HTTPS signs and codings are @convoy/http's, shared with every adapter; re-exported for existing imports.
export { isHttpsRequest, type HttpsDetectableRequest, type HttpEncoding } from '@convoy/http'
