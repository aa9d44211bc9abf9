import { createTemplateTagRuntime, describeTemplateValue, type CarpoolKind, type ConvoyRenderer, type ConvoyTemplateContext, type TemplateTagOptions } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import nunjucks from 'nunjucks'
import { CARPOOL_TAG, expectBlockEnd, readCarpoolBlock } from './carpool-block.js'
import type { NunjucksLexer, NunjucksNode, NunjucksNodes, NunjucksParser, NunjucksToken } from './nunjucks-api.js'

/**
 * Options of the tags: `getAcceptEncoding(context)` finds the request's `Accept-Encoding` for one render, where
 * `context.lookup(name)` reads a render variable or global. Default: `acceptEncodingFromContext` (`@convoy/carpool`).
 */
export type ConvoyExtensionOptions = TemplateTagOptions

export interface AddConvoyExtensionOptions extends ConvoyExtensionOptions {
  /** The name the extension is registered under. Precompiled templates must use the same name. Default `'convoy'`. */
  name?: string
}

/** A Nunjucks extension (`tags` + `parse`) providing `{% convoy %}` and `{% carpool %}`. Register it with `env.addExtension()`. */
export interface ConvoyExtension {
  tags: string[]
  parse(parser: unknown, nodes: unknown, lexer: unknown): unknown
}

/** The part of a Nunjucks `Environment` that {@link addConvoyExtension} uses. */
export interface NunjucksEnvironmentLike {
  addExtension(name: string, extension: ConvoyExtension): unknown
  hasExtension?(name: string): boolean
  removeExtension?(name: string): void
}

const CONVOY_TAG = 'convoy'
const CONVOY_USAGE = '{% convoy "css/base.css" %} or {% convoy "css/base.css" as base_css %}'

/**
 * Creates the Nunjucks extension behind `{% convoy %}` and `{% carpool %}` for one Convoy runtime.
 * Lookups happen at render time, so `convoy.reload()` takes effect without recompiling templates.
 * Prefer {@link addConvoyExtension}, which also registers it.
 *
 * @param convoy any object returned by `createConvoy()` from `@convoy/core`.
 * @example
 * const env = new nunjucks.Environment(new nunjucks.FileSystemLoader('views'), { autoescape: true })
 * env.addExtension('convoy', createConvoyExtension(await createConvoy({ manifest: 'static/convoy-manifest.json' })))
 */
export function createConvoyExtension(convoy: ConvoyRenderer, options: ConvoyExtensionOptions = {}): ConvoyExtension {
  const tags = createTemplateTagRuntime(convoy, options, { packageName: '@convoy/nunjucks', urlTag: `{% ${CONVOY_TAG} %}` })

  const extension = {
    tags: [CONVOY_TAG, CARPOOL_TAG],

    parse(parser: unknown, nodes: unknown, lexer: unknown): NunjucksNode {
      const p = parser as NunjucksParser
      // Nunjucks only calls parse() with the tag name as the next token.
      const tag = p.nextToken()!
      return tag.value === CARPOOL_TAG
        ? parseCarpoolTag(extension, p, nodes as NunjucksNodes, lexer as NunjucksLexer, tag)
        : parseConvoyTag(extension, p, nodes as NunjucksNodes, lexer as NunjucksLexer, tag)
    },

    // Called by compiled templates (see the CallExtension nodes below), once per render.
    // `line` and `column` are the tag's, 1-based, for errors: nunjucks tracks no position for extension calls.
    renderUrl(context: ConvoyTemplateContext, line: number, column: number, path: unknown): string {
      try {
        return tags.url(path instanceof nunjucks.runtime.SafeString ? path.toString() : path, context)
      } catch (error) {
        throw positioned(error, line, column)
      }
    },

    renderCarpool(context: ConvoyTemplateContext, line: number, column: number, kind: CarpoolKind, paths: string[]): nunjucks.runtime.SafeString {
      try {
        // The runtime escapes every value it interpolates; escaping again would break the tags.
        return new nunjucks.runtime.SafeString(tags.carpool(kind, paths, context))
      } catch (error) {
        throw positioned(error, line, column)
      }
    },
  }
  return extension
}

/**
 * Registers the `{% convoy %}` and `{% carpool %}` tags on a Nunjucks environment and returns the environment.
 * Registering again under the same name replaces the previous extension.
 *
 * @param convoy any object returned by `createConvoy()` from `@convoy/core`.
 * @example
 * const convoy = await createConvoy({ manifest: 'static/convoy-manifest.json', baseUrl: '/static/' })
 * const env = addConvoyExtension(nunjucks.configure('views', { autoescape: true, express: app }), convoy)
 */
export function addConvoyExtension<TEnvironment extends NunjucksEnvironmentLike>(
  env: TEnvironment,
  convoy: ConvoyRenderer,
  options: AddConvoyExtensionOptions = {},
): TEnvironment {
  if (typeof (env as Partial<NunjucksEnvironmentLike> | null | undefined)?.addExtension !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/nunjucks: addConvoyExtension() needs a Nunjucks Environment, got ${describeTemplateValue(env)}`)
  }
  const { name = 'convoy', ...extensionOptions } = options
  const extension = createConvoyExtension(convoy, extensionOptions)
  // nunjucks keeps a list besides its name map: without removing, the old extension would still parse the tags.
  if (env.hasExtension?.(name) === true) env.removeExtension?.(name)
  env.addExtension(name, extension)
  return env
}

function parseConvoyTag(extension: object, parser: NunjucksParser, nodes: NunjucksNodes, lexer: NunjucksLexer, tag: NunjucksToken): NunjucksNode {
  const first = parser.peekToken()
  if (first === null || first.type === lexer.TOKEN_BLOCK_END || (first.type === lexer.TOKEN_SYMBOL && first.value === 'as')) {
    parser.fail(`{% convoy %} needs a logical path: ${CONVOY_USAGE}`, tag.lineno, tag.colno)
  }
  const path = parser.parseExpression()
  let target: NunjucksToken | undefined
  if (parser.skipSymbol('as')) {
    const name = parser.nextToken()
    if (name === null || name.type !== lexer.TOKEN_SYMBOL) {
      const at = name ?? tag
      parser.fail(`{% convoy %} needs a variable name after "as": ${CONVOY_USAGE}`, at.lineno, at.colno)
    }
    target = name
  }
  expectBlockEnd(parser, lexer, tag, `{% convoy %} takes one logical path and an optional "as name": ${CONVOY_USAGE}`)

  const call = new nodes.CallExtension(extension, 'renderUrl', new nodes.NodeList(tag.lineno, tag.colno, [...position(nodes, tag), path]))
  if (target === undefined) return call
  // `{% convoy x as name %}` compiles exactly like `{% set name %}{% convoy x %}{% endset %}`, so the
  // variable follows Nunjucks' scoping rules for `set`. The captured URL is kept raw: `{{ name }}`
  // escapes it once, like any other string.
  call.autoescape = false
  const set = new nodes.Set(tag.lineno, tag.colno, [new nodes.Symbol(target.lineno, target.colno, target.value)])
  set.body = new nodes.Capture(tag.lineno, tag.colno, new nodes.NodeList(tag.lineno, tag.colno, [call]))
  set.value = null
  return set
}

function parseCarpoolTag(extension: object, parser: NunjucksParser, nodes: NunjucksNodes, lexer: NunjucksLexer, tag: NunjucksToken): NunjucksNode {
  const { kind, paths } = readCarpoolBlock(parser, lexer, tag, 'fail')
  const literal = (value: string): NunjucksNode => new nodes.Literal(tag.lineno, tag.colno, value)
  const args = new nodes.NodeList(tag.lineno, tag.colno, [
    ...position(nodes, tag),
    literal(kind),
    new nodes.Array(tag.lineno, tag.colno, paths.map(literal)),
  ])
  return new nodes.CallExtension(extension, 'renderCarpool', args)
}

/** The tag's 1-based line and column, as literal arguments of the compiled call. */
function position(nodes: NunjucksNodes, tag: NunjucksToken): NunjucksNode[] {
  return [new nodes.Literal(tag.lineno, tag.colno, tag.lineno + 1), new nodes.Literal(tag.lineno, tag.colno, tag.colno + 1)]
}

/**
 * Wraps a render-time error in a Nunjucks TemplateError carrying the tag's position; Nunjucks then
 * prefixes the template name and keeps the original error as `cause` (when the environment has `dev: true`).
 */
function positioned(error: unknown, line: number, column: number): Error {
  if (error instanceof nunjucks.lib.TemplateError) return error
  // The constructor takes the Error itself and builds "Name: message" from it (its typings say string).
  return new nunjucks.lib.TemplateError(error as string, line, column)
}
