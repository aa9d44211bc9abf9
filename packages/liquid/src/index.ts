export {
  createConvoyTags,
  addConvoyTags,
  type ConvoyRenderer,
  type ConvoyLookupOptions,
  type CarpoolKind,
  type ConvoyTags,
  type ConvoyTagClass,
  type ConvoyTagsOptions,
  type LiquidLike,
} from './tags.js'
export { acceptEncodingFromContext, type ConvoyTemplateContext } from './accept-encoding.js'
export { createLiquidScanner, liquidScanner, type LiquidScannerOptions, type LiquidDelimiters } from './scanner.js'
