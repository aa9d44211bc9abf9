export { serveStatic, type ServeStaticOptions, type ServeStaticMiddleware } from './serve-static.js'
export { compress, compressionEncodings, type CompressOptions } from './compress.js'
export { convoy, type ConvoyResolver, type ConvoyResolverUrlOptions, type RequestConvoy } from './resolver.js'
// The HTTPS signs and codings are @convoy/http's, shared with every Convoy server; re-exported for convenience.
export { isHttpsRequest, type HttpEncoding } from '@convoy/http'
