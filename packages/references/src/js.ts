import { ConvoyError } from '@convoy/errors'
import { initSync, parse, type ImportSpecifier } from 'es-module-lexer'
import { createPositionFinder } from './position.js'
import type { FoundReference, Reference } from './types.js'

/** Options of {@link findJsReferences}. */
export interface FindJsReferencesOptions {
  /** Also find ES module specifiers (`import`/`export … from`, `import()` of a string literal). Default: `false`. */
  readonly modules?: boolean
  /** The file name used in error messages and in `ConvoyError.file`. Default: none. */
  readonly file?: string
}

// ECMA-426 (Source Map), "extract a source map URL from JavaScript without parsing".
const SOURCE_MAPPING_URL = /^[#@]\s*sourceMappingURL=(\S*?)\s*$/d
const LINE_TERMINATOR = /\r\n|[\n\r\u2028\u2029]/g
const JS_WHITESPACE = /[\t\v\f \u00a0\ufeff\p{Zs}]/u
const PROBE = '\0@convoy/references probe'

let lexerReady = false

function lex(source: string): ReturnType<typeof parse> {
  if (!lexerReady) {
    // Compiling es-module-lexer's small WebAssembly module synchronously keeps this API synchronous.
    initSync()
    lexerReady = true
  }
  // es-module-lexer misses an import right after a byte-order mark; a space keeps every offset in place.
  return parse(source.charCodeAt(0) === 0xfeff ? ` ${source.slice(1)}` : source)
}

/**
 * Finds the references of a script: its `sourceMappingURL` comment and, with `modules: true`, the relative
 * (`./`, `../`) and root-relative (`/…`) specifiers of static imports, `export … from` and `import()` of a string
 * literal. Bare specifiers (`lodash`) and URLs are not references. Sorted by offset.
 *
 * Synchronous: the lexer is initialised on first use.
 *
 * The source map comment is found by the spec's algorithm (the last `//# sourceMappingURL=` or `/*# … *\/` of the
 * trailing run of comment-only lines), then confirmed with the lexer, so a look-alike inside a string or a
 * template literal is never returned.
 *
 * @throws {ConvoyError} `ERR_CONVOY_STEP` with `line`/`column` when `modules` is on and the lexer rejects the script.
 * @example
 * findJsReferences("import { a } from './a.js'\n//# sourceMappingURL=main.js.map\n", { modules: true })
 * // [{ type: 'module', url: './a.js', quote: "'", ... }, { type: 'sourcemap', url: 'main.js.map', quote: '', ... }]
 */
export function findJsReferences(js: string, options: FindJsReferencesOptions = {}): Reference[] {
  const found: FoundReference[] = []
  const modules = options.modules === true
  if (modules) {
    for (const specifier of lexModule(js, options.file)) {
      const item = moduleReference(js, specifier)
      if (item !== undefined) found.push(item)
    }
  }
  const sourceMap = findSourceMappingUrl(js)
  if (sourceMap !== undefined && isInCode(js, sourceMap.commentStart, modules)) found.push(sourceMap.reference)

  const position = createPositionFinder(js)
  return found.sort((a, b) => a.start - b.start).map((item) => ({ ...item, ...position(item.start) }))
}

function lexModule(js: string, file: string | undefined): readonly ImportSpecifier[] {
  try {
    return lex(js)[0]
  } catch (error) {
    const index = Math.min(Math.max((error as { idx?: number }).idx ?? 0, 0), js.length)
    const { line, column } = createPositionFinder(js)(index)
    throw new ConvoyError('ERR_CONVOY_STEP', `@convoy/references: cannot parse JS at ${file ?? '<js>'}:${line}:${column}`, {
      cause: error,
      ...(file === undefined ? {} : { file }),
      line,
      column,
    })
  }
}

function isLocalSpecifier(specifier: string): boolean {
  return (
    specifier.startsWith('./') || specifier.startsWith('../') || (specifier.startsWith('/') && !specifier.startsWith('//'))
  )
}

function moduleReference(js: string, specifier: ImportSpecifier): FoundReference | undefined {
  const { n: url, s: start, e: end, d: dynamic } = specifier
  if (url === undefined || !isLocalSpecifier(url)) return undefined
  if (dynamic === -1) {
    // Static import or export: s..e is the specifier inside its quotes.
    const quote = js[start - 1]
    if ((quote !== '"' && quote !== "'") || js[end] !== quote) return undefined
    return { type: 'module', url, start, end, quote }
  }
  // import(): s..e is the argument, quotes included. `n` is only set for a plain string literal.
  const quote = js[start]
  if ((quote !== '"' && quote !== "'") || js[end - 1] !== quote || end - start < 2) return undefined
  return { type: 'dynamic-import', url, start: start + 1, end: end - 1, quote }
}

interface SourceMapCandidate {
  readonly reference: FoundReference
  /** Offset of the `//` or `/*` that opens the comment. */
  readonly commentStart: number
}

function findSourceMappingUrl(js: string): SourceMapCandidate | undefined {
  let last: SourceMapCandidate | undefined
  let lineStart = 0
  LINE_TERMINATOR.lastIndex = 0
  for (;;) {
    const terminator = LINE_TERMINATOR.exec(js)
    const lineEnd = terminator === null ? js.length : terminator.index
    last = scanLine(js, lineStart, lineEnd, last)
    if (terminator === null) return last
    lineStart = terminator.index + terminator[0].length
  }
}

/** One line of the spec's algorithm: a comment may set the candidate, any code clears it. */
function scanLine(js: string, start: number, end: number, last: SourceMapCandidate | undefined): SourceMapCandidate | undefined {
  let position = start
  let candidate = last
  while (position < end) {
    while (position < end && JS_WHITESPACE.test(js[position]!)) position++
    if (position >= end) break
    if (js[position] !== '/' || position + 1 >= end) {
      // Code: clears the candidate; only a later `//` or `/*` on this line can set it again.
      candidate = undefined
      const slash = js.indexOf('/', position + 1)
      position = slash === -1 || slash >= end ? end : slash
      continue
    }
    const second = js[position + 1]
    position += 2
    if (second === '/') {
      candidate = matchComment(js, position, end, position - 2) ?? candidate
      position = end
    } else if (second === '*') {
      const close = js.indexOf('*/', position)
      if (close === -1 || close + 2 > end) {
        // A block comment left open on this line: it ends on a later line, which the algorithm sees as code.
        position = end
      } else {
        candidate = matchComment(js, position, close, position - 2) ?? candidate
        position = close + 2
      }
    } else {
      candidate = undefined
    }
  }
  return candidate
}

function matchComment(js: string, start: number, end: number, commentStart: number): SourceMapCandidate | undefined {
  const match = SOURCE_MAPPING_URL.exec(js.slice(start, end))
  const range = match?.indices?.[1]
  if (match === null || range === undefined) return undefined
  return {
    reference: { type: 'sourcemap', url: match[1]!, start: start + range[0], end: start + range[1], quote: '' },
    commentStart,
  }
}

/**
 * True when `offset` is in code, not inside a string, template literal or comment: the text before it, followed
 * by a probe `import()`, must lex and show the probe. The spec's line scan alone is fooled by a template literal
 * whose last line looks like a comment (`` `\n//# sourceMappingURL=x` ``).
 */
function isInCode(js: string, offset: number, lexedWhole: boolean): boolean {
  const prefix = `${js.slice(0, offset)}\nimport(${JSON.stringify(PROBE)})`
  try {
    const imports = lex(prefix)[0]
    const probe = imports[imports.length - 1]
    return probe?.n === PROBE && probe.d >= 0
  } catch {
    if (lexedWhole) return false
    // The lexer cannot read this script at all: keep the spec's answer rather than drop a real comment.
    try {
      lex(js)
      return false
    } catch {
      return true
    }
  }
}
