export { convoyStatic, type ConvoyStaticOptions } from './static.js'
export { convoyCompress, type ConvoyCompressOptions } from './compress.js'
export {
  convoyResolver,
  type ConvoyResolverOptions,
  type ConvoyResolver,
  type ReplyConvoy,
  type ConvoyLookupOptions,
  type CarpoolKind,
} from './resolver.js'
