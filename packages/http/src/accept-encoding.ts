import { createAcceptEncodingCache } from '@convoy/gzip'

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

const acceptedCodings = createAcceptEncodingCache()

/**
 * Picks a coding from an `Accept-Encoding` header, parsed by `@convoy/gzip` (RFC 9110 §12.5.3: q-values, `*`,
 * case-insensitive, `x-gzip`): the highest q-value wins and ties go to the earliest of `encodings`. A missing header
 * gets no compression, as everywhere else on the web (clients that can decode say so).
 */
export function negotiateEncoding(header: string | undefined, encodings: readonly HttpEncoding[]): EncodingChoice {
  if (header === undefined) return { encoding: undefined, identityRefused: false }
  const accepted = acceptedCodings(header)
  let best: { encoding: HttpEncoding; q: number } | undefined
  for (const encoding of encodings) {
    const q = accepted[encoding]
    // Strictly greater: on a tie the earlier (preferred) coding stays.
    if (q > 0 && (best === undefined || q > best.q)) best = { encoding, q }
  }
  return { encoding: best?.encoding, identityRefused: accepted.identity === 0 }
}
