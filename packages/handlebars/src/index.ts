export {
  createConvoyHelpers,
  registerConvoyHelpers,
  type ConvoyRenderer,
  type ConvoyLookupOptions,
  type CarpoolKind,
  type ConvoyHelper,
  type ConvoyHelpers,
  type ConvoyHelpersOptions,
} from './helpers.js'
export { acceptEncodingFromContext, type ConvoyTemplateContext } from './accept-encoding.js'
export { createHandlebarsScanner, handlebarsScanner, type HandlebarsScannerOptions } from './scanner.js'
export type { HandlebarsLike, HandlebarsParserLike, HandlebarsHelperOptions, HandlebarsLocation, HandlebarsPosition, HandlebarsProgram } from './handlebars-api.js'
