export {
  createConvoyExtension,
  addConvoyExtension,
  type ConvoyExtension,
  type ConvoyExtensionOptions,
  type AddConvoyExtensionOptions,
  type NunjucksEnvironmentLike,
} from './extension.js'
// The engine-independent half of the tags lives in @convoy/carpool (shared with @convoy/liquid and
// @convoy/handlebars); re-exported so imports from this package keep working.
export { acceptEncodingFromContext, type CarpoolKind, type ConvoyLookupOptions, type ConvoyRenderer, type ConvoyTemplateContext } from '@convoy/carpool'
export { createNunjucksScanner, nunjucksScanner, type NunjucksScannerOptions } from './scanner.js'
export type { NunjucksTags } from './nunjucks-api.js'
