// The runtime's only view of Accept-Encoding. Its reading matches `@convoy/serve`'s parser (RFC 9110 §12.5.3), so
// that one shared implementation can replace the body of `acceptsGzip` without changing any answer.

const Q_VALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

let lastHeader: string | undefined
let lastAnswer = false

/**
 * Whether a request's `Accept-Encoding` makes gzip acceptable: coding names in any case (`x-gzip` is `gzip`),
 * q-values honoured (`gzip;q=0` refuses it), `*` covers gzip when gzip is not named, the first listing of a coding
 * counts, a member with a malformed weight is ignored. No header, or an empty one, means no gzip.
 *
 * The last header and its answer are remembered: a page asks once per `url()`, always with the same header, so
 * every call after the first is one string comparison and allocates nothing.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false
  if (header === lastHeader) return lastAnswer
  const answer = gzipWeight(header) > 0
  lastHeader = header
  lastAnswer = answer
  return answer
}

function gzipWeight(header: string): number {
  let gzip: number | undefined
  let star: number | undefined
  for (const member of header.split(',')) {
    const semicolon = member.indexOf(';')
    const coding = (semicolon === -1 ? member : member.slice(0, semicolon)).trim().toLowerCase()
    const isGzip = coding === 'gzip' || coding === 'x-gzip'
    if (!isGzip && coding !== '*') continue
    const q = semicolon === -1 ? 1 : weight(member.slice(semicolon + 1))
    if (q === undefined) continue
    if (isGzip) gzip ??= q
    else star ??= q
  }
  return gzip ?? star ?? 0
}

/** The `q` of `;q=0.8` (other parameters ignored), or `undefined` when the parameters are malformed. */
function weight(parameters: string): number | undefined {
  let q = 1
  for (const parameter of parameters.split(';')) {
    const equals = parameter.indexOf('=')
    if (equals === -1) {
      if (parameter.trim() === '') continue
      return undefined
    }
    if (parameter.slice(0, equals).trim().toLowerCase() !== 'q') continue
    const value = parameter.slice(equals + 1).trim()
    if (!Q_VALUE.test(value)) return undefined
    q = Number(value)
  }
  return q
}
