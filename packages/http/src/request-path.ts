import { ConvoyError } from '@convoy/errors'

/** The request is not under the prefix: not ours to answer. */
export const NOT_OURS = Symbol('not ours')
/** The path's percent-encoding is invalid. */
export const MALFORMED = Symbol('malformed')

/**
 * A URL path prefix as every Convoy server takes it: starts with `/`, ends with `/` (added when missing), no `?`,
 * `#` or backslash.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG`, prefixed with `packageName`.
 */
export function normalizePrefix(prefix: string, packageName: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || /[?#\\]/.test(prefix)) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: prefix must be a URL path starting with "/", got ${JSON.stringify(prefix)}`)
  }
  return prefix.endsWith('/') ? prefix : `${prefix}/`
}

/**
 * The path a request URL (path and query, as on the request line) names below `prefix`, without the query,
 * percent-decoded exactly once: `%252e` stays the literal `%2e`, which no servable path can equal. Adapters pass the
 * raw URL, never a path their framework already decoded, so every adapter sees hostile paths the same way.
 *
 * @example
 * requestPath('/static/css/a%20b.css?v=1', '/static/') // 'css/a b.css'
 * requestPath('/other', '/static/')                    // NOT_OURS
 * requestPath('/static/%zz', '/static/')               // MALFORMED
 */
export function requestPath(url: string | undefined, prefix: string): string | typeof NOT_OURS | typeof MALFORMED {
  const whole = url ?? '/'
  const query = whole.indexOf('?')
  const rawPath = query === -1 ? whole : whole.slice(0, query)
  if (!rawPath.startsWith(prefix)) return NOT_OURS
  const path = rawPath.slice(prefix.length)
  if (!path.includes('%')) return path
  try {
    return decodeURIComponent(path)
  } catch {
    return MALFORMED
  }
}

/**
 * The `Vary` value after adding `name` to `previous`: each header `name` lists (one, or several separated by commas,
 * as `DICTIONARY_VARY`) that `previous` does not name yet is appended once, case-insensitively; `previous` is kept as
 * it is when it names them all, or is `*`.
 *
 * @example
 * mergeVary('Origin', 'Accept-Encoding')                                    // 'Origin, Accept-Encoding'
 * mergeVary('Origin, accept-encoding', 'Accept-Encoding, Available-Dictionary') // 'Origin, accept-encoding, Available-Dictionary'
 */
export function mergeVary(previous: number | string | readonly string[] | null | undefined, name: string): string {
  if (previous === undefined || previous === null || previous === '') return name
  const list = typeof previous === 'object' ? previous.join(', ') : String(previous)
  const names = list.split(',').map((entry) => entry.trim().toLowerCase())
  if (names.includes('*')) return list
  let merged = list
  for (const added of name.split(',')) {
    const trimmed = added.trim()
    if (trimmed === '' || names.includes(trimmed.toLowerCase())) continue
    names.push(trimmed.toLowerCase())
    merged = `${merged}, ${trimmed}`
  }
  return merged
}
