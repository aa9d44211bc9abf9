export { createConvoyTags, addConvoyTags, type ConvoyTags, type ConvoyTagClass, type ConvoyTagsOptions, type LiquidLike } from './tags.js'
// The engine-independent half of the tags lives in @convoy/carpool (shared with @convoy/nunjucks and
// @convoy/handlebars); re-exported so imports from this package keep working.
export { acceptEncodingFromContext, type CarpoolKind, type ConvoyLookupOptions, type ConvoyRenderer, type ConvoyTemplateContext } from '@convoy/carpool'
export { createLiquidScanner, liquidScanner, type LiquidScannerOptions, type LiquidDelimiters } from './scanner.js'
