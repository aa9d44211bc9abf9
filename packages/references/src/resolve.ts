import { ConvoyError } from '@convoy/errors'
import type { ResolvedReference } from './types.js'
import { applySegments, decodeSegment, directoryOf, encodeSegment, joinRelative, parseUrl } from './url-path.js'

/** Options of {@link resolveReference}. */
export interface ResolveReferenceOptions {
  /**
   * The URL the tree is served under: root-relative (`/static/`) or absolute (`https://cdn.example.com/assets/`).
   * Root-relative URLs under its path, and absolute URLs under it, are local. Required.
   */
  readonly baseUrl: string
}

interface ParsedBase {
  /** `null` for a root-relative base URL. */
  readonly origin: string | null
  /** Decoded path segments of the base, without the empty ones around them. */
  readonly segments: readonly string[]
}

let cachedBase: { readonly baseUrl: string; readonly parsed: ParsedBase } | undefined

function parseBase(baseUrl: string): ParsedBase {
  if (cachedBase?.baseUrl === baseUrl) return cachedBase.parsed
  let origin: string | null = null
  let pathname: string
  if (baseUrl.startsWith('/') && !baseUrl.startsWith('//')) {
    pathname = baseUrl.replace(/[?#].*$/s, '')
  } else {
    let url: URL | undefined
    try {
      url = new URL(baseUrl)
    } catch {
      url = undefined
    }
    if (url === undefined || url.origin === 'null') {
      throw new ConvoyError(
        'ERR_CONVOY_CONFIG',
        `@convoy/references: baseUrl must start with "/" or be an absolute http(s) URL, got "${baseUrl}"`,
      )
    }
    origin = url.origin
    pathname = url.pathname
  }
  const { segments } = applySegments([], pathname.split('/').slice(1), decodeSegment)
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop()
  const parsed = { origin, segments }
  cachedBase = { baseUrl, parsed }
  return parsed
}

/**
 * What a reference URL found in the file at logical path `fromPath` points at: a file of the tree (its logical
 * path, percent-decoded, with `.`/`..` resolved, and the query and fragment kept verbatim in `suffix`), something to
 * leave alone, or a path that climbs above the root of the tree.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when `baseUrl` is neither root-relative nor an absolute http(s) URL.
 * @example
 * resolveReference('css/site/main.css', '../../fonts/a.eot?#iefix', { baseUrl: '/static/' })
 * // { kind: 'local', path: 'fonts/a.eot', suffix: '?#iefix' }
 * resolveReference('css/main.css', '/static/img/my%20logo.png', { baseUrl: '/static/' })
 * // { kind: 'local', path: 'img/my logo.png', suffix: '' }
 * resolveReference('css/main.css', 'DATA:image/png;base64,AAAA', { baseUrl: '/static/' })
 * // { kind: 'skip', reason: 'external' }
 */
export function resolveReference(fromPath: string, url: string, options: ResolveReferenceOptions): ResolvedReference {
  const base = parseBase(options.baseUrl)
  const parsed = parseUrl(url)
  switch (parsed.kind) {
    case 'skip':
      return parsed
    case 'absolute':
      return resolveAbsolute(parsed.url, base)
    case 'root-relative': {
      const { segments } = applySegments([], parsed.path.split('/').slice(1), decodeSegment)
      return underBase(segments, base, parsed.suffix)
    }
    case 'relative': {
      // An empty path (`url(?v=1)`) is the referencing file itself.
      if (parsed.path === '') return { kind: 'local', path: fromPath, suffix: parsed.suffix }
      const { segments, above } = applySegments(directoryOf(fromPath), parsed.path.split('/'), decodeSegment)
      if (above > 0) return { kind: 'outside-root', path: '../'.repeat(above) + segments.join('/') }
      return { kind: 'local', path: segments.join('/'), suffix: parsed.suffix }
    }
  }
}

function resolveAbsolute(url: string, base: ParsedBase): ResolvedReference {
  if (base.origin === null) return { kind: 'skip', reason: 'external' }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { kind: 'skip', reason: 'external' }
  }
  if (parsed.origin !== base.origin) return { kind: 'skip', reason: 'external' }
  const cut = url.search(/[?#]/)
  const suffix = cut === -1 ? '' : url.slice(cut)
  return underBase(parsed.pathname.split('/').slice(1).map(decodeSegment), base, suffix)
}

function underBase(segments: readonly string[], base: ParsedBase, suffix: string): ResolvedReference {
  const inside =
    segments.length > base.segments.length && base.segments.every((segment, index) => segments[index] === segment)
  const rest = segments.slice(base.segments.length)
  if (!inside || rest.join('/') === '') return { kind: 'skip', reason: 'outside-base' }
  return { kind: 'local', path: rest.join('/'), suffix }
}

/**
 * The relative URL from the file at logical path `fromPath` to the file at `toPath` — what the rewriter writes.
 * Each segment is percent-encoded (spaces, `#`, `?`, `%`, `+`, `:`, quotes, parentheses, non-ASCII as UTF-8; `@`
 * and the other characters legal in a URL path are kept), so the result needs no escaping in any quote style or in
 * an unquoted `url()`. A file in the same directory or below comes without `./` (`img/x.png`).
 *
 * @throws {RangeError} when a path is absolute or holds `.` or `..` segments.
 * @example
 * relativeUrl('css/a.css', 'img/x.png')          // '../img/x.png'
 * relativeUrl('css/a.css', 'css/fonts/my font.woff2') // 'fonts/my%20font.woff2'
 */
export function relativeUrl(fromPath: string, toPath: string): string {
  assertLogicalPath(fromPath)
  assertLogicalPath(toPath)
  const from = directoryOf(fromPath)
  const to = toPath.split('/')
  let common = 0
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++
  return joinRelative(from.length - common, to.slice(common).map(encodeSegment))
}

function assertLogicalPath(path: string): void {
  if (path === '' || path.startsWith('/') || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new RangeError(`@convoy/references: "${path}" is not a logical path (relative, "/"-separated, no "." or "..")`)
  }
}
