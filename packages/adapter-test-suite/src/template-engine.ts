// What a template-engine package hands the template suite, and the target its checks run against. Typed here,
// structurally, so the suite needs no Convoy package at run time: the engine passes `createConvoy` from @convoy/core.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createTemplateFixture, type TemplateFixture } from './template-fixture.js'

/** The two kinds of carpool. */
export type TemplateCarpoolKind = 'css' | 'js'

/** What the tags pass to the runtime per lookup. */
export interface TemplateLookupOptions {
  acceptEncoding?: string
}

/** What an engine's tags call: `url()` and `carpool()` of the object `createConvoy()` returns. */
export interface TemplateRenderer {
  url(logicalPath: string, options?: TemplateLookupOptions): string
  carpool(kind: TemplateCarpoolKind, paths: readonly string[], options?: TemplateLookupOptions): string
}

/** The part of `@convoy/core`'s `Convoy` the checks use besides the tags. */
export interface TemplateConvoy extends TemplateRenderer {
  prepareCarpool(kind: TemplateCarpoolKind, paths: readonly string[]): Promise<string>
  reload(): Promise<void>
}

/** The options the suite gives `createConvoy()` (a subset of `@convoy/core`'s `CreateConvoyOptions`). */
export interface TemplateConvoyOptions {
  /** The path of the fixture's `convoy-manifest.json`; its folder is the storage request-time bundles are written to. */
  readonly manifest: string
  readonly baseUrl?: string
  readonly gzipInTemplate?: boolean
  readonly debug?: boolean
  readonly combineDuringRequest?: boolean
  readonly onWarning?: (message: string) => void
}

/** A carpool block as a `TemplateScanner` (`@convoy/carpool`) returns it. */
export interface TemplateScannedBlock {
  readonly kind: TemplateCarpoolKind
  readonly members: readonly string[]
  readonly line: number
}

/** The engine's `TemplateScanner` (`@convoy/carpool`'s contract). */
export interface TemplateScannerUnderTest {
  readonly name: string
  scan(text: string, file: string): readonly TemplateScannedBlock[]
}

/**
 * How the engine writes the two tags and the constructs around them. Each function returns template source; the
 * checks put the pieces together and know the line of each from the line breaks in them.
 */
export interface TemplateSyntax {
  /** The URL tag of the string literal `path`: `{% convoy "css/a.css" %}`, `{{convoy "css/a.css"}}`. */
  url(path: string): string
  /**
   * A carpool block: the opening tag of `kind` (any string: the checks also write wrong kinds), a line break, `lines`
   * joined by line breaks, a line break, the closing tag — `{% carpool css %}\ncss/a.css\n{% endcarpool %}`.
   */
  carpool(kind: string, lines: readonly string[]): string
  /** What the engine outputs as text, tags and all: `{% raw %}text{% endraw %}`. Leave out when it has none. */
  raw?(text: string): string
  /** A comment, which renders nothing and may contain tags and line breaks: `{# text #}`. Leave out when it has none. */
  comment?(text: string): string
  /** The output of the variable `name`: `{{ name }}`. Leave out when the engine has none. */
  output?(name: string): string
}

/** A template compiled by the engine: renders it with `context` as the render's variables. */
export type TemplateRender = (context: Record<string, unknown>) => string | Promise<string>

/** What an engine's tags are given of a render, for `getAcceptEncoding`. */
export interface TemplateContextLike {
  lookup(name: string): unknown
}

/** The options every engine's tags take (`@convoy/carpool`'s `TemplateTagOptions`). */
export interface TemplateTagOptionsLike {
  getAcceptEncoding?: (context: TemplateContextLike) => string | undefined
}

/** What `serve` is given. */
export interface TemplateServeOptions {
  /** A folder holding the view, made by the suite. */
  readonly directory: string
  /** The view's name without extension (`'page'`), as `res.render()` takes it. */
  readonly view: string
  /** The view's absolute path: `<directory>/<view><extension>`. */
  readonly file: string
  /** The runtime to register the tags with. */
  readonly convoy: TemplateRenderer
}

/** A node:http request listener: what an Express (or Connect) app is. */
export type TemplateRequestListener = (req: IncomingMessage, res: ServerResponse) => unknown

/** How to run `convoy collect` in a project using the engine's scanner. */
export interface TemplateCollectOptions {
  /**
   * The engine package's folder (holding its `package.json` and build): linked into the project's `node_modules` as
   * a user installs it. `convoy collect` is `@convoy/core`'s CLI as this package resolves it (its peer dependency).
   */
  readonly packageDirectory: string
  /**
   * The name the package exports its scanner under (`'liquidScanner'`): the project's `convoy.config.mjs` imports it
   * and lists `templates: [{ files: ['views/*<extension>'], scanner }]`. Leave out for an engine `collect` knows by
   * itself, whose templates are listed as plain globs (Nunjucks).
   */
  readonly scanner?: string
}

/** One of the engine's own templates for its scanner: the blocks it holds, read the engine's ways. */
export interface TemplateScannerCase {
  /** What it shows, for the test name: `'a quoted kind and whitespace control'`. */
  readonly title: string
  readonly template: string
  /** What `scan()` must return. */
  readonly blocks: readonly TemplateScannedBlock[]
  /**
   * `false` when a render does not ask for exactly `blocks` (the tags refuse the template, a body is dynamic, a branch
   * is not taken): only the scan is checked. Otherwise a render must ask the runtime for those carpools, in order.
   */
  readonly renders?: false
  /** The render's variables, when the template needs some. */
  readonly context?: Record<string, unknown>
  /**
   * What the render must give, with a runtime whose URLs are `/static/<path>` and whose carpool HTML is
   * `<!-- carpool <kind>: <members joined by spaces> -->`: for the engine's whitespace control, say.
   */
  readonly html?: string
}

/** One of the engine's own malformed templates: where and how its scanner must refuse it. */
export interface TemplateMalformedCase {
  readonly title: string
  readonly template: string
  /** The 1-based line the error names (its `line`). */
  readonly line: number
  /** The 1-based column the error names (its `column`), when the engine knows one. */
  readonly column?: number
  /** Text the error's message holds. */
  readonly message: string
}

/** The engine's own templates, run through the same checks as the table's (they are reported in groups of their own). */
export interface TemplateEngineCases {
  /** Each is scanned and rendered: the scanner must find its blocks, and a render must ask for them. */
  readonly scanner?: readonly TemplateScannerCase[]
  /** Each must make `scan()` throw `ERR_CONVOY_TEMPLATE` at its line, and a render fail. */
  readonly malformed?: readonly TemplateMalformedCase[]
}

/** The template engine under test: its tags, its scanner and how to reach them. */
export interface TemplateEngineUnderTest {
  /** Shown in the test names, e.g. `'@convoy/nunjucks'`. */
  readonly name: string
  /** The extension of its template files, with the dot: `'.njk'`. */
  readonly extension: string
  /** `createConvoy` from `@convoy/core` (the suite depends on no Convoy package). */
  readonly createConvoy: (options: TemplateConvoyOptions) => Promise<TemplateConvoy>
  /**
   * Compiles `template` with the engine's tags registered for `convoy` with `options` (pass them on as they are), in
   * the engine's usual HTML set-up (output escaping on), and returns its render function. Either may throw or reject
   * for a template the engine refuses.
   */
  readonly compile: (template: string, convoy: TemplateRenderer, options?: TemplateTagOptionsLike) => TemplateRender | Promise<TemplateRender>
  readonly syntax: TemplateSyntax
  /**
   * How the engine escapes a value it outputs (`text` → what the page holds), as the URL tag's output is escaped;
   * `false` when the URL tag outputs the URL as is. The simplest is to ask the engine: render its own output of `text`.
   */
  readonly escapeHtml: ((text: string) => string) | false
  readonly scanner: TemplateScannerUnderTest
  /** The 1-based line a render error names, when the engine puts one on it; leave out when it never does. */
  readonly errorLine?: (error: unknown) => number | undefined
  /**
   * The engine's framework recipe, as its README gives it: a request listener (an Express app, say) whose `GET /`
   * renders the view `view` of `directory` with the tags registered for `convoy` and the request visible to them.
   * The suite serves it on 127.0.0.1. Leave out to skip that check.
   */
  readonly serve?: (options: TemplateServeOptions) => TemplateRequestListener | Promise<TemplateRequestListener>
  /** How to run `convoy collect` with the engine's scanner. Leave out to skip those checks. */
  readonly collect?: TemplateCollectOptions
  /** The engine's own templates (its other spellings, its blocks and comments, its errors), checked as the table's. */
  readonly cases?: TemplateEngineCases
}

/** What the template checks run against: the engine and the fixture its runtimes read. */
export interface TemplateTarget {
  readonly engine: TemplateEngineUnderTest
  readonly fixture: TemplateFixture
  /** A runtime over the fixture's manifest: `engine.createConvoy({ manifest, onWarning, ...options })`. */
  convoy(options?: Omit<TemplateConvoyOptions, 'manifest'>): Promise<TemplateConvoy>
  /** Every warning the runtimes gave. */
  readonly warnings: readonly string[]
}

/** The optional parts of an engine a check may need. */
export type TemplatePart = 'raw' | 'comment' | 'output' | 'serve' | 'collect'

/** One check: registered as `it(title)` inside `describe(group)`; `run` rejects when the engine fails it. */
export interface TemplateCheck {
  readonly group: string
  readonly title: string
  /** The optional parts it needs; without them the check is reported as skipped. */
  readonly needs?: readonly TemplatePart[]
  /** Its own time limit, in milliseconds, when it needs more than the suite's. */
  readonly timeout?: number
  readonly run: (target: TemplateTarget) => Promise<void>
}

const PACKAGE = '@convoy/adapter-test-suite'

/** The first optional part `check` needs that `engine` lacks, as a reason to skip; `undefined` when it has them all. */
export function missingPart(engine: TemplateEngineUnderTest, check: TemplateCheck): string | undefined {
  for (const part of check.needs ?? []) {
    const present = part === 'serve' || part === 'collect' ? engine[part] !== undefined : engine.syntax[part] !== undefined
    if (!present) return `${engine.name} has no ${part === 'serve' || part === 'collect' ? part : `syntax.${part}`}`
  }
  return undefined
}

/** Throws a `TypeError` naming what is wrong when `engine` is not a usable {@link TemplateEngineUnderTest}. */
export function checkTemplateEngine(engine: TemplateEngineUnderTest): void {
  const candidate = engine as Partial<TemplateEngineUnderTest> | null | undefined
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.name !== 'string' || candidate.name === '') {
    throw new TypeError(`${PACKAGE}: runTemplateEngineSuite() takes { name, extension, createConvoy, compile, syntax, escapeHtml, scanner } with a non-empty name`)
  }
  const name = candidate.name
  const problems: string[] = []
  if (typeof candidate.extension !== 'string' || !/^\.[\w.-]+$/.test(candidate.extension)) problems.push('extension must be a file extension with its dot, like ".njk"')
  for (const hook of ['createConvoy', 'compile'] as const) if (typeof candidate[hook] !== 'function') problems.push(`${hook} must be a function`)
  const syntax = candidate.syntax as Partial<TemplateSyntax> | undefined
  if (typeof syntax !== 'object' || syntax === null) problems.push('syntax must be an object')
  else {
    for (const part of ['url', 'carpool'] as const) if (typeof syntax[part] !== 'function') problems.push(`syntax.${part} must be a function`)
    for (const part of ['raw', 'comment', 'output'] as const) if (syntax[part] !== undefined && typeof syntax[part] !== 'function') problems.push(`syntax.${part} must be a function when given`)
  }
  if (candidate.escapeHtml !== false && typeof candidate.escapeHtml !== 'function') problems.push('escapeHtml must be a function or false')
  const scanner = candidate.scanner as Partial<TemplateScannerUnderTest> | undefined
  if (typeof scanner?.name !== 'string' || typeof scanner.scan !== 'function') problems.push('scanner must be a TemplateScanner ({ name, scan })')
  for (const hook of ['errorLine', 'serve'] as const) if (candidate[hook] !== undefined && typeof candidate[hook] !== 'function') problems.push(`${hook} must be a function when given`)
  const collect = candidate.collect
  if (collect !== undefined && (typeof collect.packageDirectory !== 'string' || (collect.scanner !== undefined && !/^[A-Za-z_$][\w$]*$/.test(collect.scanner)))) {
    problems.push('collect must be { packageDirectory, scanner? } (scanner: the name of an export)')
  }
  const cases = candidate.cases
  for (const kind of ['scanner', 'malformed'] as const) {
    const list: unknown = cases?.[kind]
    if (list !== undefined && !(Array.isArray(list) && list.every((entry) => typeof (entry as { title?: unknown }).title === 'string' && typeof (entry as { template?: unknown }).template === 'string'))) {
      problems.push(`cases.${kind} must be an array of { title, template, … }`)
    }
  }
  if (problems.length > 0) throw new TypeError(`${PACKAGE}: ${name}: ${problems.join('; ')}`)
}

/**
 * Builds the template fixture (a manifest and the served files it names, in a new temporary folder) for `engine`.
 * `close()` removes it. For running a check by hand: `await check.run(target)`.
 */
export async function startTemplateTarget(engine: TemplateEngineUnderTest): Promise<TemplateTarget & { close(): Promise<void> }> {
  checkTemplateEngine(engine)
  const fixture = await createTemplateFixture()
  const warnings: string[] = []
  return {
    engine,
    fixture,
    warnings,
    convoy: (options = {}) => engine.createConvoy({ manifest: fixture.manifestFile, onWarning: (message) => warnings.push(message), ...options }),
    close: () => fixture.cleanup(),
  }
}
