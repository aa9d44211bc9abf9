// Helpers shared by resolveReference, relativeUrl and rebaseCssUrls: URL path segments as the WHATWG URL
// Standard treats them (dot segments, backslashes, stripped whitespace), with the tree's logical paths.

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/** A reference URL split into what it is, before any base URL is applied. */
export type ParsedUrl =
  | { readonly kind: 'skip'; readonly reason: 'empty' | 'fragment' | 'protocol-relative' }
  | { readonly kind: 'absolute'; readonly url: string }
  /** `path` is raw (still percent-encoded), `/`-separated; `suffix` is the query and fragment. */
  | { readonly kind: 'root-relative' | 'relative'; readonly path: string; readonly suffix: string }

export function parseUrl(input: string): ParsedUrl {
  // As a URL parser does: leading and trailing C0 controls and spaces go, tabs and newlines anywhere go.
  let first = 0
  let last = input.length
  while (first < last && input.charCodeAt(first) <= 0x20) first++
  while (last > first && input.charCodeAt(last - 1) <= 0x20) last--
  const url = input.slice(first, last).replace(/[\t\n\r]/g, '')
  if (url === '') return { kind: 'skip', reason: 'empty' }
  if (url.startsWith('#')) return { kind: 'skip', reason: 'fragment' }
  if (SCHEME.test(url)) return { kind: 'absolute', url }
  const cut = url.search(/[?#]/)
  // Browsers read `\` as `/` in http(s) URLs.
  const path = (cut === -1 ? url : url.slice(0, cut)).replaceAll('\\', '/')
  const suffix = cut === -1 ? '' : url.slice(cut)
  if (path.startsWith('//')) return { kind: 'skip', reason: 'protocol-relative' }
  return { kind: path.startsWith('/') ? 'root-relative' : 'relative', path, suffix }
}

function isSingleDot(segment: string): boolean {
  return segment === '.' || segment.toLowerCase() === '%2e'
}

function isDoubleDot(segment: string): boolean {
  if (segment.length < 2 || segment.length > 6) return false
  const lower = segment.toLowerCase()
  return lower === '..' || lower === '.%2e' || lower === '%2e.' || lower === '%2e%2e'
}

/**
 * Applies raw URL path segments to a directory (a list of segments), resolving `.` and `..` as the URL Standard
 * does. `above` counts the `..` that climbed above the first segment (a URL parser would drop them).
 */
export function applySegments(
  directory: readonly string[],
  rawSegments: readonly string[],
  map: (segment: string) => string,
): { segments: string[]; above: number } {
  const segments = [...directory]
  let above = 0
  rawSegments.forEach((segment, index) => {
    const last = index === rawSegments.length - 1
    if (isSingleDot(segment)) {
      if (last) segments.push('')
    } else if (isDoubleDot(segment)) {
      if (segments.length > 0) segments.pop()
      else above++
      if (last) segments.push('')
    } else {
      segments.push(map(segment))
    }
  })
  return { segments, above }
}

/** Percent-decodes one segment; a segment with a malformed escape (`100%.png`) is kept as it is. */
export function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

const KEEP = /%(?:40|21|24|26|2C|3B|3D)/g

/**
 * Percent-encodes one segment of a logical path. Kept as they are: `A-Z a-z 0-9 - . _ ~ ! * @ $ & , ; =` (all legal
 * in a URL path). Encoded: everything else, including `%`, `#`, `?`, space, non-ASCII (as UTF-8), `:` (which could
 * read as a scheme), `'`, `(`, `)` (so the URL needs no CSS escape) and `+` (which S3 reads as a space).
 */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment)
    .replace(/['()]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(KEEP, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)))
}

/** The directory of a logical path, as segments: `css/site/main.css` → `['css', 'site']`. */
export function directoryOf(path: string): string[] {
  const segments = path.split('/')
  segments.pop()
  return segments
}

/**
 * Joins segments into a relative URL that cannot be misread: never empty, never starting with `/` (an empty
 * first segment) nor with something that looks like a scheme (`a:b.png`).
 */
export function joinRelative(ups: number, segments: readonly string[]): string {
  const path = '../'.repeat(ups) + segments.join('/')
  if (path === '') return './'
  if (ups === 0 && (path.startsWith('/') || /^[^/]*:/.test(path))) return `./${path}`
  return path
}
