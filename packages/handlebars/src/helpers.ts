import { createTemplateTagRuntime, describeTemplateValue, type ConvoyRenderer, type ConvoyTemplateContext, type TemplateTagOptions } from '@convoy/carpool'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import Handlebars from 'handlebars'
import { CARPOOL_USAGE, TemplateUsageError, checkKind, checkShape, pathsOf } from './carpool-block.js'
import type { HandlebarsHelper, HandlebarsHelperOptions, HandlebarsLike } from './handlebars-api.js'

/**
 * Options of the helpers: `getAcceptEncoding(context)` finds the request's `Accept-Encoding` for one render, where
 * `context.lookup(name)` reads an own property of the context the template was called with (`@root`: the locals of
 * Express's `res.render()`), else of the `data` given to the call (`template(context, { data })`), `undefined` when
 * there is none. Default: `acceptEncodingFromContext` (`@convoy/carpool`).
 */
export type ConvoyHelpersOptions = TemplateTagOptions

/** A Handlebars helper: the arguments of the call, then Handlebars' options object. */
export type ConvoyHelper = HandlebarsHelper

/** The helpers {@link createConvoyHelpers} makes, by the name they are registered under. */
export interface ConvoyHelpers {
  readonly convoy: ConvoyHelper
  readonly carpool: ConvoyHelper
}

type SafeStringClass = new (html: string) => object

const CONVOY_USAGE = '{{convoy "css/base.css"}}'

/**
 * Creates the Handlebars helpers behind `{{convoy "path"}}` and `{{#carpool "css"}} … {{/carpool}}` for one Convoy
 * runtime, e.g. for the `helpers` option of express-handlebars. Lookups happen at render time, so
 * `convoy.reload()` takes effect without compiling templates again. Prefer {@link registerConvoyHelpers}, which also
 * registers them and uses that environment's `SafeString`.
 *
 * @param convoy any object returned by `createConvoy()` from `@convoy/core`.
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when `convoy` has no `url()` and `carpool()`, or `getAcceptEncoding` is
 * not a function.
 * @example
 * const helpers = createConvoyHelpers(await createConvoy({ manifest: 'public/static/convoy-manifest.json' }))
 * Handlebars.registerHelper(helpers)
 */
export function createConvoyHelpers(convoy: ConvoyRenderer, options: ConvoyHelpersOptions = {}): ConvoyHelpers {
  return makeHelpers(convoy, options, Handlebars.SafeString)
}

/**
 * Registers the `convoy` and `carpool` helpers on a Handlebars environment (the `handlebars` module itself, or one
 * made with `Handlebars.create()`) and returns it. Registering again replaces the previous helpers.
 *
 * @param convoy any object returned by `createConvoy()` from `@convoy/core`.
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when `handlebars` has no `registerHelper()`, or as {@link createConvoyHelpers}.
 * @example
 * const convoy = await createConvoy({ manifest: 'public/static/convoy-manifest.json', baseUrl: '/static/' })
 * const hbs = registerConvoyHelpers(Handlebars.create(), convoy)
 * hbs.compile('<link rel="stylesheet" href="{{convoy "css/base.css"}}">')({})
 */
export function registerConvoyHelpers<THandlebars extends HandlebarsLike>(handlebars: THandlebars, convoy: ConvoyRenderer, options: ConvoyHelpersOptions = {}): THandlebars {
  if (typeof (handlebars as Partial<HandlebarsLike> | null | undefined)?.registerHelper !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/handlebars: registerConvoyHelpers() needs a Handlebars environment, got ${describeTemplateValue(handlebars)}`)
  }
  const helpers = makeHelpers(convoy, options, typeof handlebars.SafeString === 'function' ? handlebars.SafeString : Handlebars.SafeString)
  handlebars.registerHelper('convoy', helpers.convoy)
  handlebars.registerHelper('carpool', helpers.carpool)
  return handlebars
}

function makeHelpers(convoy: ConvoyRenderer, options: ConvoyHelpersOptions, SafeString: SafeStringClass): ConvoyHelpers {
  const tags = createTemplateTagRuntime(convoy, options, {
    packageName: '@convoy/handlebars',
    urlTag: '{{convoy}}',
    // Positioned at the helper, like every usage error of this package.
    invalidPath: (message) => new TemplateUsageError(message, undefined),
  })

  function convoyHelper(this: unknown, ...args: unknown[]): string {
    const options = helperOptions(args)
    const at = options.loc?.start
    try {
      if (options.fn !== undefined) throw new TemplateUsageError(`{{convoy}} is not a block helper: ${CONVOY_USAGE}`, at)
      if (args.length === 0) throw new TemplateUsageError(`{{convoy}} needs a logical path: ${CONVOY_USAGE}`, at)
      if (args.length > 1 || Object.keys(options.hash ?? {}).length > 0) {
        throw new TemplateUsageError(`{{convoy}} takes one logical path: ${CONVOY_USAGE}`, at)
      }
      // A plain string: Handlebars escapes it in {{ }}, as an attribute needs, and not in {{{ }}}.
      return tags.url(asText(args[0]), templateContext(options))
    } catch (error) {
      throw positioned(error, options, 'convoy')
    }
  }

  function carpoolHelper(this: unknown, ...args: unknown[]): object {
    const options = helperOptions(args)
    const at = options.loc?.start
    try {
      const { fn, inverse } = options
      if (fn === undefined) throw new TemplateUsageError(`{{carpool}} is a block helper: ${CARPOOL_USAGE}`, at)
      // Handlebars marks the programs it compiled from the template with their number and declared block
      // parameters; a block without {{else}} gets a plain no-op function as `inverse`.
      const declared = (fn as { blockParams?: unknown }).blockParams
      const hasElse = typeof (inverse as { program?: unknown } | undefined)?.program === 'number'
      checkShape(args.length, Object.keys(options.hash ?? {}).length, typeof declared === 'number' ? declared : 0, hasElse, at)
      const kind = checkKind(args[0], describeTemplateValue(args[0]), at)
      const paths = pathsOf(fn(this), kind, at)
      // The runtime escapes every value it interpolates; escaping again would break the tags.
      return new SafeString(tags.carpool(kind, paths, templateContext(options)))
    } catch (error) {
      throw positioned(error, options, 'carpool')
    }
  }

  return { convoy: convoyHelper, carpool: carpoolHelper }
}

/** Handlebars' options object, the last argument of every helper call. */
function helperOptions(args: unknown[]): HandlebarsHelperOptions {
  const last: unknown = args.pop()
  return typeof last === 'object' && last !== null ? last : {}
}

/** The text of a string or of a `SafeString` (the result of a helper in a subexpression). */
function asText(value: unknown): unknown {
  const toHTML: unknown = (value as { toHTML?: unknown } | null | undefined)?.toHTML
  return typeof toHTML === 'function' ? String(toHTML.call(value)) : value
}

/**
 * A render's variables for `getAcceptEncoding`: the context the template was called with (`@root`, e.g. the
 * locals of Express's `res.render()`), then the `data` given to the call; own properties only, as Handlebars reads them.
 */
function templateContext(options: HandlebarsHelperOptions): ConvoyTemplateContext {
  const data = options.data
  const root = data?.root
  return {
    lookup(name) {
      if (typeof root === 'object' && root !== null && Object.hasOwn(root, name)) return (root as Record<string, unknown>)[name]
      if (data !== undefined && name !== 'root' && Object.hasOwn(data, name)) return data[name]
      return undefined
    },
  }
}

/**
 * Handlebars gives helper errors no position: a `ConvoyError` naming the helper's line and column (and the
 * template, when it was compiled with `srcName`), keeping the runtime's code and the original error as `cause`.
 */
function positioned(error: unknown, options: HandlebarsHelperOptions, helper: string): unknown {
  if (!(error instanceof TemplateUsageError) && !isConvoyError(error)) return error
  // Already positioned by a helper inside this one's block.
  if (isConvoyError(error) && error.message.startsWith('@convoy/handlebars: ')) return error
  const start = error instanceof TemplateUsageError ? (error.at ?? options.loc?.start) : options.loc?.start
  const file = options.loc?.source
  const line = start?.line
  const column = start === undefined ? undefined : start.column + 1
  const where = file !== undefined && line !== undefined ? `${file}:${line}:${column}: ` : line !== undefined ? `line ${line}, column ${column}: ` : ''
  // Our own messages name the helper; the runtime's (a missing asset) get its name in front.
  const [code, message] = error instanceof TemplateUsageError ? ['ERR_CONVOY_TEMPLATE' as const, error.message] : [error.code, `{{${helper}}}: ${error.message}`]
  return new ConvoyError(code, `@convoy/handlebars: ${where}${message}`, {
    cause: error,
    ...(file === undefined ? {} : { file }),
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
  })
}
