export {
  createConvoyHelpers,
  registerConvoyHelpers,
  type ConvoyHelper,
  type ConvoyHelpers,
  type ConvoyHelpersOptions,
} from './helpers.js'
// The engine-independent half of the helpers lives in @convoy/carpool (shared with @convoy/nunjucks and
// @convoy/liquid); re-exported so imports from this package keep working.
export { acceptEncodingFromContext, type CarpoolKind, type ConvoyLookupOptions, type ConvoyRenderer, type ConvoyTemplateContext } from '@convoy/carpool'
export { createHandlebarsScanner, handlebarsScanner, type HandlebarsScannerOptions } from './scanner.js'
export type { HandlebarsLike, HandlebarsParserLike, HandlebarsHelperOptions, HandlebarsLocation, HandlebarsPosition, HandlebarsProgram } from './handlebars-api.js'
