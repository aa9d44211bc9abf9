// The engine-independent half of the template tags (`@convoy/nunjucks`, `@convoy/liquid`, `@convoy/handlebars`, and
// any other engine's): the runtime they call, where a render's Accept-Encoding comes from, how a carpool body reads
// and what its errors say. An engine package keeps only its engine's part: registering the tag or helper, reading the
// engine's tokens or AST, marking the carpool HTML safe, and putting the engine's position on errors.
import { ConvoyError } from '@convoy/errors'
import type { CarpoolKind } from './name.js'

/** Per-lookup options the tags pass to the runtime. */
export interface ConvoyLookupOptions {
  /** The request's `Accept-Encoding` header, so the runtime can link a `.gz` variant when `gzipInTemplate` is on. */
  acceptEncoding?: string
}

/**
 * What the tags need from Convoy's runtime: any object returned by `createConvoy()` from `@convoy/core`. Declared
 * here, structurally, so no template package has a build-time dependency on the runtime.
 */
export interface ConvoyRenderer {
  /** The served URL of a logical path; throws `ERR_CONVOY_MISSING_ASSET` for an unknown one. */
  url(logicalPath: string, options?: ConvoyLookupOptions): string
  /** Ready-to-insert, already escaped HTML for a carpool bundle (or its members' tags). Synchronous. */
  carpool(kind: CarpoolKind, paths: readonly string[], options?: ConvoyLookupOptions): string
}

/**
 * What {@link acceptEncodingFromContext} and a custom `getAcceptEncoding` see of one render: `lookup(name)` returns a
 * variable of the render, or `undefined` when there is none. Each engine package says which variables that covers
 * (Nunjucks' context and globals, LiquidJS's scopes and globals, Handlebars' root context and `@data`).
 */
export interface ConvoyTemplateContext {
  lookup(name: string): unknown
}

/**
 * The default way the tags find the request's `Accept-Encoding`, in this order:
 * 1. an `acceptEncoding` string variable of the render;
 * 2. `req.headers['accept-encoding']` — a Node/Express/Connect request passed as `req` (a repeated header, an array,
 *    is joined with `, `);
 * 3. the same on a variable named `request` (a Node request, or a Fetch API `Request` whose `headers.get()` is used).
 *
 * Returns `undefined` when none is present; the runtime then links no precompressed variant.
 *
 * @example
 * addConvoyExtension(env, convoy, {
 *   // also look at a custom variable, then fall back to the default rules
 *   getAcceptEncoding: (context) => (context.lookup('encodings') as string | undefined) ?? acceptEncodingFromContext(context),
 * })
 */
export function acceptEncodingFromContext(context: ConvoyTemplateContext): string | undefined {
  const explicit = context.lookup('acceptEncoding')
  if (typeof explicit === 'string') return explicit
  return acceptEncodingOf(context.lookup('req')) ?? acceptEncodingOf(context.lookup('request'))
}

function acceptEncodingOf(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null) return undefined
  const headers: unknown = (request as { headers?: unknown }).headers
  if (typeof headers !== 'object' || headers === null) return undefined
  const get: unknown = (headers as { get?: unknown }).get
  if (typeof get === 'function') {
    // Fetch API `Headers` (undici, Hono, Remix...): case-insensitive, already joined.
    const value: unknown = get.call(headers, 'accept-encoding')
    return typeof value === 'string' ? value : undefined
  }
  // node:http lower-cases header names; repeated headers may arrive as an array.
  const value: unknown = (headers as Record<string, unknown>)['accept-encoding']
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    const parts = value.filter((part): part is string => typeof part === 'string')
    return parts.length > 0 ? parts.join(', ') : undefined
  }
  return undefined
}

/** The options every engine's tags take. */
export interface TemplateTagOptions {
  /**
   * Finds the request's `Accept-Encoding` for one render. Return `undefined` for none.
   * Default: {@link acceptEncodingFromContext} (an `acceptEncoding` variable, else `req.headers`, else `request.headers`).
   */
  getAcceptEncoding?: (context: ConvoyTemplateContext) => string | undefined
}

/** Who the tags belong to, for messages. */
export interface TemplateTagSettings {
  /** The engine package, the prefix of every message: `'@convoy/nunjucks'`. */
  readonly packageName: string
  /** The URL tag as the engine writes it, for messages: `'{% convoy %}'`, `'{{convoy}}'`. */
  readonly urlTag: string
  /**
   * The error for a URL tag given something other than a non-empty string, from its message (which names the tag).
   * Default: a `ConvoyError` with code `ERR_CONVOY_TEMPLATE`, the message prefixed with `packageName`.
   */
  readonly invalidPath?: (message: string) => Error
}

/** What an engine's tags call at render time, with the engine's view of the render as `context`. */
export interface TemplateTagRuntime {
  /**
   * `convoy.url(path, { acceptEncoding })` of the URL tag's argument.
   *
   * @throws the `invalidPath` error when `path` is not a non-empty string; the runtime's `ERR_CONVOY_MISSING_ASSET`.
   */
  url(path: unknown, context: ConvoyTemplateContext): string
  /**
   * `convoy.carpool(kind, members, { acceptEncoding })`: HTML to insert as is (the runtime escapes every value in it).
   *
   * @throws the runtime's `ERR_CONVOY_MISSING_ASSET` for an unknown member.
   */
  carpool(kind: CarpoolKind, members: readonly string[], context: ConvoyTemplateContext): string
}

/**
 * The render-time half of an engine's `convoy` and `carpool` tags, over one Convoy runtime: checks the runtime and the
 * options once, then at each render finds the `Accept-Encoding` (`getAcceptEncoding`) and asks the runtime. Lookups
 * happen at every call, so `convoy.reload()` takes effect without compiling templates again.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when `convoy` has no `url()` and `carpool()`, or `getAcceptEncoding` is
 * not a function.
 * @example
 * // Inside an engine package: the tag reads its argument with the engine, then asks
 * const tags = createTemplateTagRuntime(convoy, options, { packageName: '@convoy/nunjucks', urlTag: '{% convoy %}' })
 * tags.url('css/base.css', { lookup: (name) => locals[name] }) // '/static/css/base.25b23dfca187.cmin.css'
 */
export function createTemplateTagRuntime(convoy: ConvoyRenderer, options: TemplateTagOptions | undefined, settings: TemplateTagSettings): TemplateTagRuntime {
  const { packageName, urlTag } = settings
  const candidate = convoy as Partial<ConvoyRenderer> | null | undefined
  if (typeof candidate?.url !== 'function' || typeof candidate.carpool !== 'function') {
    throw new ConvoyError(
      'ERR_CONVOY_CONFIG',
      `${packageName}: expected the object returned by createConvoy() from @convoy/core (with url() and carpool()), got ${describeTemplateValue(convoy)}`,
    )
  }
  const getAcceptEncoding = (options as TemplateTagOptions | null | undefined)?.getAcceptEncoding ?? acceptEncodingFromContext
  if (typeof getAcceptEncoding !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: option getAcceptEncoding must be a function, got ${describeTemplateValue(getAcceptEncoding)}`)
  }
  const invalidPath = settings.invalidPath ?? ((message: string) => new ConvoyError('ERR_CONVOY_TEMPLATE', `${packageName}: ${message}`))
  const lookupOptions = (context: ConvoyTemplateContext): ConvoyLookupOptions | undefined => {
    const acceptEncoding = getAcceptEncoding(context)
    return typeof acceptEncoding === 'string' ? { acceptEncoding } : undefined
  }

  return {
    url(path, context) {
      if (typeof path !== 'string' || path === '') throw invalidPath(`${urlTag} needs a logical path string, got ${describeTemplateValue(path)}`)
      const lookup = lookupOptions(context)
      return lookup === undefined ? convoy.url(path) : convoy.url(path, lookup)
    },
    carpool(kind, members, context) {
      const lookup = lookupOptions(context)
      return lookup === undefined ? convoy.carpool(kind, members) : convoy.carpool(kind, members, lookup)
    },
  }
}

/**
 * The logical paths of a carpool block's body, as every engine reads it: one per line (`\n`, `\r\n` or `\r`),
 * surrounding white space trimmed, blank lines dropped, in order. `[]` for a body without paths (an error the engine
 * reports at the block: see {@link CarpoolBlockMessages.noPaths}).
 *
 * @example
 * carpoolMembers('\n  css/reset.css\n\n  css/base.css\n') // ['css/reset.css', 'css/base.css']
 */
export function carpoolMembers(body: string): string[] {
  return body
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** How an engine writes its carpool block, for the messages of {@link carpoolBlockMessages}. */
export interface CarpoolBlockSpelling {
  /** The tag as messages name it: `'{% carpool %}'`, `'{{#carpool}}'`. */
  readonly tag: string
  /** The opening tag of a block of `kind`: `{% carpool css %}`, `{{#carpool "css"}}`. */
  readonly open: (kind: CarpoolKind) => string
  /** The closing tag: `'{% endcarpool %}'`, `'{{/carpool}}'`. */
  readonly close: string
  /** The two kinds as the engine writes them: `'css or js'`, `'"css" or "js"'`. */
  readonly kinds: string
  /** The comments a body may hold: `'{# comments #}'`, `'comments'`. */
  readonly comments: string
  /** A whole example block, ending the messages that say how to write one. */
  readonly usage: string
}

/** The messages of a malformed carpool block, the same in every engine but for its spelling. */
export interface CarpoolBlockMessages {
  /** `{% carpool %} needs a kind, css or js: <usage>` */
  readonly needsKind: string
  /** `{% carpool %} takes only a kind, css or js: <usage>` */
  readonly onlyKind: string
  /** `{% carpool %} kind must be css or js, not <found>` (`found` as the message should show it, e.g. quoted). */
  kindMustBe(found: string): string
  /** `{% carpool css %} opened on line 4 is never closed: add {% endcarpool %} after its paths` */
  neverClosed(kind: CarpoolKind, line: number): string
  /** `{% carpool css %} opened on line 4 is not closed: found <found> before {% endcarpool %}` (no kind: the tag). */
  notClosed(kind: CarpoolKind | undefined, line: number, found: string): string
  /** `{% carpool %} holds only logical paths, one per line, and <comments>; <found> is not allowed inside it` */
  notAllowed(found: string): string
  /** `{% carpool css %} opened on line 4 lists no paths: put one logical path per line before {% endcarpool %}` */
  noPaths(kind: CarpoolKind, line: number): string
}

/**
 * The messages of a malformed carpool block in an engine's spelling, so every engine reports the same mistakes the
 * same way (each engine throws them as its own errors, with its own positions).
 *
 * @example
 * const messages = carpoolBlockMessages({
 *   tag: '{% carpool %}', open: (kind) => `{% carpool ${kind} %}`, close: '{% endcarpool %}', kinds: 'css or js',
 *   comments: '{# comments #}', usage: '{% carpool css %} one logical path per line {% endcarpool %} (or js)',
 * })
 * messages.noPaths('css', 4) // '{% carpool css %} opened on line 4 lists no paths: put one logical path per line before {% endcarpool %}'
 */
export function carpoolBlockMessages(spelling: CarpoolBlockSpelling): CarpoolBlockMessages {
  const { tag, open, close, kinds, comments, usage } = spelling
  const opened = (kind: CarpoolKind | undefined, line: number): string => `${kind === undefined ? tag : open(kind)} opened on line ${line}`
  return {
    needsKind: `${tag} needs a kind, ${kinds}: ${usage}`,
    onlyKind: `${tag} takes only a kind, ${kinds}: ${usage}`,
    kindMustBe: (found) => `${tag} kind must be ${kinds}, not ${found}`,
    neverClosed: (kind, line) => `${opened(kind, line)} is never closed: add ${close} after its paths`,
    notClosed: (kind, line, found) => `${opened(kind, line)} is not closed: found ${found} before ${close}`,
    notAllowed: (found) => `${tag} holds only logical paths, one per line, and ${comments}; ${found} is not allowed inside it`,
    noPaths: (kind, line) => `${opened(kind, line)} lists no paths: put one logical path per line before ${close}`,
  }
}

/**
 * A value as template messages name it: `undefined`, `null`, `an empty string`, `"text"`, `number 42`,
 * `boolean true`, `an object`, `a function`.
 */
export function describeTemplateValue(value: unknown): string {
  if (value === undefined || value === null) return String(value)
  if (value === '') return 'an empty string'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
