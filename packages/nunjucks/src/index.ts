export {
  createConvoyExtension,
  addConvoyExtension,
  type ConvoyRenderer,
  type ConvoyLookupOptions,
  type CarpoolKind,
  type ConvoyExtension,
  type ConvoyExtensionOptions,
  type AddConvoyExtensionOptions,
  type NunjucksEnvironmentLike,
} from './extension.js'
export { acceptEncodingFromContext, type ConvoyTemplateContext } from './accept-encoding.js'
export { createNunjucksScanner, nunjucksScanner, type NunjucksScannerOptions } from './scanner.js'
export type { NunjucksTags } from './nunjucks-api.js'
