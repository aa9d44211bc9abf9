import { escapeCssString, escapeCssUnquotedUrl } from './css-escapes.js'
import type { Reference, ReferenceReplacement } from './types.js'

/**
 * Writes new URLs over references, by offset, in any order given. Everything else — quotes, whitespace inside
 * `url( … )`, comments, the rest of the file — is kept byte for byte. Each URL is escaped for where it goes: CSS
 * escapes in an unquoted `url()` or a CSS string, JS escapes in a module specifier, percent-encoding of whitespace
 * (and of `*` before `/`) in a `sourceMappingURL` comment. A module specifier that would read as a bare package
 * name (`lib/x.js`, as {@link relativeUrl} writes it) gets a leading `./`.
 *
 * @throws {RangeError} when two replacements overlap or a reference does not fit `source`.
 * @example
 * const css = 'a { background: url("img/a.png") }'
 * const [reference] = findCssReferences(css)
 * replaceReferences(css, [{ reference, url: 'img/a.1a2b3c4d5e6f.png' }])
 * // 'a { background: url("img/a.1a2b3c4d5e6f.png") }'
 */
export function replaceReferences(source: string, replacements: ReadonlyArray<ReferenceReplacement>): string {
  const sorted = [...replacements].sort((a, b) => a.reference.start - b.reference.start)
  let out = ''
  let cursor = 0
  let previousStart = -1
  for (const { reference, url } of sorted) {
    const { start, end, quote } = reference
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > source.length) {
      throw new RangeError(`@convoy/references: reference ${start}..${end} is outside the source (length ${source.length})`)
    }
    if (start < cursor || start === previousStart) {
      throw new RangeError(`@convoy/references: replacements overlap at offset ${start} (line ${reference.line})`)
    }
    if (quote !== '' && (source[start - 1] !== quote || source[end] !== quote)) {
      throw new RangeError(
        `@convoy/references: the reference at line ${reference.line}, column ${reference.column} is not a quoted value of this source`,
      )
    }
    out += source.slice(cursor, start) + encodeFor(reference, url)
    cursor = end
    previousStart = start
  }
  return out + source.slice(cursor)
}

function encodeFor(reference: Reference, url: string): string {
  switch (reference.type) {
    case 'sourcemap':
      // The URL ends at the first whitespace, and a block comment at `*/`.
      return url.replace(/\s/gu, (char) => encodeURIComponent(char)).replaceAll('*/', '%2A/')
    case 'module':
    case 'dynamic-import':
      return escapeJsString(asModuleSpecifier(url), reference.quote === "'" ? "'" : '"')
    case 'url':
    case 'import':
      return reference.quote === '' ? escapeCssUnquotedUrl(url) : escapeCssString(url, reference.quote)
  }
}

/** `lib/x.js` is a bare specifier (a package name) in an import; a relative URL needs its `./`. */
function asModuleSpecifier(url: string): string {
  if (url.startsWith('./') || url.startsWith('../') || url.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url)) return url
  return `./${url}`
}

function escapeJsString(value: string, quote: '"' | "'"): string {
  return value.replace(/[\\"'\n\r\u2028\u2029]/g, (char) => {
    switch (char) {
      case '\\':
        return '\\\\'
      case '\n':
        return '\\n'
      case '\r':
        return '\\r'
      case '\u2028':
        return '\\u2028'
      case '\u2029':
        return '\\u2029'
      default:
        return char === quote ? `\\${char}` : char
    }
  })
}
