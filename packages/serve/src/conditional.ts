/**
 * The entity-tags of an `If-None-Match`/`If-Match` header: `*` or a list of `"tag"`/`W/"tag"`.
 * Tags may contain commas, so the list is scanned by its quotes rather than split.
 */
export function parseEntityTags(header: string): '*' | { readonly tag: string; readonly weak: boolean }[] {
  if (header.trim() === '*') return '*'
  const tags: { tag: string; weak: boolean }[] = []
  let i = 0
  while (i < header.length) {
    const char = header[i]
    if (char === ' ' || char === '\t' || char === ',') {
      i++
      continue
    }
    let weak = false
    if (char === 'W' && header[i + 1] === '/') {
      weak = true
      i += 2
    }
    if (header[i] !== '"') break
    const close = header.indexOf('"', i + 1)
    if (close === -1) break
    tags.push({ tag: header.slice(i, close + 1), weak })
    i = close + 1
  }
  return tags
}

/** `If-None-Match` uses the weak comparison (RFC 9110 §8.8.3.2): `W/"x"` matches `"x"`. `etag` is ours, strong. */
export function noneMatchHits(header: string, etag: string): boolean {
  const tags = parseEntityTags(header)
  return tags === '*' || tags.some((candidate) => candidate.tag === etag)
}

/** `If-Match` uses the strong comparison: a weak tag never matches. */
export function matchHits(header: string, etag: string): boolean {
  const tags = parseEntityTags(header)
  return tags === '*' || tags.some((candidate) => !candidate.weak && candidate.tag === etag)
}

/** An HTTP-date as milliseconds, or `undefined` when it is not a date. */
export function parseHttpDate(header: string): number | undefined {
  const time = Date.parse(header)
  return Number.isNaN(time) ? undefined : time
}

/** A satisfiable single byte range, both ends inclusive. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/**
 * What a `Range` header asks of a representation of `size` bytes:
 * - `'ignore'`: not a single well-formed `bytes=` range (other units, syntax errors, several ranges) → send 200;
 * - `'unsatisfiable'`: → 416 with `Content-Range: bytes * /size`;
 * - a range, clamped to the representation → 206.
 *
 * Several ranges would need a `multipart/byteranges` body; sending the whole representation instead is allowed
 * (RFC 9110 §14.2) and is what clients handle best.
 *
 * @example
 * parseRange('bytes=0-99', 1000)  // { start: 0, end: 99 }
 * parseRange('bytes=-100', 1000)  // { start: 900, end: 999 }
 * parseRange('bytes=2000-', 1000) // 'unsatisfiable'
 */
export function parseRange(header: string, size: number): ByteRange | 'ignore' | 'unsatisfiable' {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (match === null) return 'ignore'
  const [, first = '', last = ''] = match
  if (first === '') {
    if (last === '') return 'ignore'
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (last !== '' && Number(last) < start) return 'ignore'
  if (start >= size) return 'unsatisfiable'
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  return { start, end }
}

/**
 * `If-Range` (RFC 9110 §13.1.5): the range applies only when the validator still matches — an entity-tag by the
 * strong comparison, or a date equal to our `Last-Modified`. Anything else means "send the whole thing".
 */
export function ifRangeHolds(header: string, etag: string, lastModified: string | undefined): boolean {
  const value = header.trim()
  if (value.startsWith('"')) return value === etag
  if (value.startsWith('W/')) return false
  if (lastModified === undefined) return false
  const date = parseHttpDate(value)
  return date !== undefined && date === Date.parse(lastModified)
}

/** What the preconditions of a request say about one representation (RFC 9110 §13.2.2). */
export type PreconditionOutcome = 'send' | 'not-modified' | 'failed'

/**
 * Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since`, in the order of RFC 9110
 * §13.2.2, against a representation's strong `etag` and modification time (dates compare by whole seconds, as
 * `Last-Modified` carries them). `'failed'` → 412, `'not-modified'` → 304.
 */
export function evaluatePreconditions(
  header: (name: string) => string | undefined,
  etag: string,
  mtimeMs: number | undefined,
): PreconditionOutcome {
  const seconds = mtimeMs === undefined ? undefined : Math.floor(mtimeMs / 1000) * 1000
  const ifMatch = header('if-match')
  if (ifMatch !== undefined) {
    if (!matchHits(ifMatch, etag)) return 'failed'
  } else {
    const ifUnmodifiedSince = header('if-unmodified-since')
    const since = ifUnmodifiedSince === undefined || seconds === undefined ? undefined : parseHttpDate(ifUnmodifiedSince)
    if (since !== undefined && seconds !== undefined && seconds > since) return 'failed'
  }
  const ifNoneMatch = header('if-none-match')
  if (ifNoneMatch !== undefined) return noneMatchHits(ifNoneMatch, etag) ? 'not-modified' : 'send'
  const ifModifiedSince = header('if-modified-since')
  const since = ifModifiedSince === undefined || seconds === undefined ? undefined : parseHttpDate(ifModifiedSince)
  return since !== undefined && seconds !== undefined && seconds <= since ? 'not-modified' : 'send'
}
