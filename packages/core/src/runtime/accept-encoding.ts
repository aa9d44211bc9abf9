import { parseAcceptEncoding } from '@convoy/gzip'

let lastHeader: string | undefined
let lastAnswer = false

/**
 * Whether a request's `Accept-Encoding` makes gzip acceptable, read by Convoy's one parser (`@convoy/gzip`'s
 * `parseAcceptEncoding`, RFC 9110 §12.5.3): coding names in any case (`x-gzip` is `gzip`), q-values honoured
 * (`gzip;q=0` refuses it), `*` covers gzip when gzip is not named. No header, or an empty one, means no gzip.
 *
 * The last header and its answer are remembered: a page asks once per `url()`, always with the same header, so
 * every call after the first is one string comparison and allocates nothing.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false
  if (header === lastHeader) return lastAnswer
  const answer = parseAcceptEncoding(header).gzip > 0
  lastHeader = header
  lastAnswer = answer
  return answer
}
