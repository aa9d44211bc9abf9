/** A content coding this middleware can produce. */
export type HttpEncoding = 'br' | 'gzip'

export const HTTP_ENCODINGS: readonly HttpEncoding[] = ['br', 'gzip']

/** What a request's `Accept-Encoding` allows. */
export interface EncodingChoice {
  /** The coding to use, or `undefined` when the client accepts none of ours. */
  readonly encoding: HttpEncoding | undefined
  /** The client refused an uncompressed body (`identity;q=0`, or `*;q=0` without an `identity` entry). */
  readonly identityRefused: boolean
}

/**
 * Picks a coding from an `Accept-Encoding` header (RFC 9110 §12.5.3): the highest q-value wins, ties go to
 * the earliest of `encodings`; `q=0` means "not acceptable"; an explicit entry beats `*`; coding names and
 * the `q` parameter are case-insensitive; `x-gzip` means `gzip`. A missing header gets no compression,
 * as everywhere else on the web (clients that can decode say so).
 */
export function negotiateEncoding(header: string | undefined, encodings: readonly HttpEncoding[]): EncodingChoice {
  if (header === undefined) return { encoding: undefined, identityRefused: false }
  const weights = parseAcceptEncoding(header)
  const star = weights.get('*')

  let best: { encoding: HttpEncoding; q: number } | undefined
  for (const encoding of encodings) {
    const q = weights.get(encoding) ?? star ?? 0
    // Strictly greater: on a tie the earlier (preferred) coding stays.
    if (q > 0 && (best === undefined || q > best.q)) best = { encoding, q }
  }
  const identity = weights.get('identity') ?? star ?? 1
  return { encoding: best?.encoding, identityRefused: identity === 0 }
}

/** Coding name (lower case) → q-value. A coding listed twice keeps its highest q. */
function parseAcceptEncoding(header: string): Map<string, number> {
  const weights = new Map<string, number>()
  for (const entry of header.split(',')) {
    const [rawName = '', ...params] = entry.split(';')
    const lowered = rawName.trim().toLowerCase()
    if (lowered === '') continue
    const name = lowered === 'x-gzip' ? 'gzip' : lowered
    const q = qValue(params)
    const previous = weights.get(name)
    weights.set(name, previous === undefined ? q : Math.max(previous, q))
  }
  return weights
}

/** The `q` parameter clamped to 0..1; absent means 1, unreadable means 0 (not acceptable, the cautious reading). */
function qValue(params: readonly string[]): number {
  for (const param of params) {
    const equals = param.indexOf('=')
    if (equals === -1 || param.slice(0, equals).trim().toLowerCase() !== 'q') continue
    const raw = param.slice(equals + 1).trim()
    const q = raw === '' ? Number.NaN : Number(raw)
    return Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 0
  }
  return 1
}
