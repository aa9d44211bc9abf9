export { serveStatic, type ServeStaticMiddleware, type ServeStaticOptions, type ServeStaticSource } from './serve-static.js'
export { compress, type CompressOptions } from './compress.js'
export { convoyState, type ConvoyState, type ConvoyStateOptions, type ConvoyResolver, type ConvoyRequestOptions } from './convoy-state.js'
