export { gzipHttpOnly, type GzipHttpOnlyOptions, type GzipHttpOnlyMiddleware } from './gzip-http-only.js'
export { isHttpsRequest, type HttpsDetectableRequest } from './is-https-request.js'
export type { HttpEncoding } from './accept-encoding.js'
