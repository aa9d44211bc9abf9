import { ENCODING_NAMES, ENCODINGS, type Encoding, type EncodingName } from './encodings.js'

/** The content codings Convoy serves: precompressed siblings (a name in `ENCODINGS`) or the file itself. */
export type Coding = EncodingName | 'identity'

/** What an `Accept-Encoding` header says about each coding we have: its q-value, 0 meaning "not acceptable". */
export type AcceptedCodings = Readonly<Record<Coding, number>>

/** Every coding at `q`, identity at `identity`. */
function acceptedAll(q: number, identity: number): AcceptedCodings {
  const accepted: Partial<Record<Coding, number>> = { identity }
  for (const name of ENCODING_NAMES) accepted[name] = q
  return Object.freeze(accepted) as AcceptedCodings
}

/** No header at all: identity only. RFC 9110 allows any coding then, but old clients without the header break on it. */
const NO_HEADER = acceptedAll(0, 1)

/** Identity that the header neither names nor covers by `*` is acceptable but least preferred (RFC 9110 §12.5.3). */
const IMPLICIT_IDENTITY = 0.0001

const Q_VALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/** Each lower-case token a header may use, and the coding it names: every name in `ENCODINGS`, its aliases, identity. */
const TOKENS: ReadonlyMap<string, Coding> = new Map<string, Coding>([
  ['identity', 'identity'],
  ...ENCODING_NAMES.flatMap((name) => {
    const encoding: Encoding = ENCODINGS[name]
    return [name, ...(encoding.aliases ?? [])].map((token): [string, Coding] => [token, name])
  }),
])

/** The encodings by ascending `preference`, so that a later one wins a tie of q-values. */
const BY_PREFERENCE: readonly EncodingName[] = Object.freeze(
  [...ENCODING_NAMES].sort((a, b) => ENCODINGS[a].preference - ENCODINGS[b].preference),
)

/**
 * Parses an `Accept-Encoding` header (RFC 9110 §12.5.3): codings are case-insensitive, an alias names its coding
 * (`x-gzip` is `gzip`), `q=0` refuses a coding, `*` covers every coding not named, and identity stays acceptable
 * unless refused by `identity;q=0` or by `*;q=0` without an `identity` entry. Malformed members are ignored.
 *
 * @example
 * parseAcceptEncoding('br;q=0.5, gzip;q=0.8') // { br: 0.5, gzip: 0.8, identity: 0.0001 }
 * parseAcceptEncoding('gzip;q=0')             // { br: 0, gzip: 0, identity: 0.0001 }
 */
export function parseAcceptEncoding(header: string | undefined): AcceptedCodings {
  if (header === undefined) return NO_HEADER
  const named: Partial<Record<Coding, number>> = {}
  let star: number | undefined
  for (const member of header.split(',')) {
    const semicolon = member.indexOf(';')
    const token = (semicolon === -1 ? member : member.slice(0, semicolon)).trim().toLowerCase()
    if (token === '') continue
    let q = 1
    if (semicolon !== -1) {
      const parsed = parseWeight(member.slice(semicolon + 1))
      if (parsed === undefined) continue
      q = parsed
    }
    // When a coding is listed twice, the first listing counts (as in most servers); later ones are ignored.
    const coding = TOKENS.get(token)
    if (coding !== undefined) named[coding] ??= q
    else if (token === '*') star ??= q
  }
  const accepted: Partial<Record<Coding, number>> = { identity: named.identity ?? star ?? IMPLICIT_IDENTITY }
  for (const name of ENCODING_NAMES) accepted[name] = named[name] ?? star ?? 0
  return accepted as AcceptedCodings
}

/** The `q` of `;q=0.8` (other parameters are ignored), or `undefined` when the weight is malformed. */
function parseWeight(parameters: string): number | undefined {
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

/**
 * Picks the coding to answer with among those available, or `null` when none is acceptable (→ 406).
 * Highest q wins; on a tie the higher `preference` of `ENCODINGS` (br beats gzip) and identity last, since a smaller
 * body is what both sides want.
 *
 * @example
 * chooseCoding(parseAcceptEncoding('gzip, br'), { br: true, gzip: true }) // 'br'
 */
export function chooseCoding(accepted: AcceptedCodings, available: Readonly<Partial<Record<EncodingName, boolean>>>): Coding | null {
  let best: Coding | null = accepted.identity > 0 ? 'identity' : null
  let bestQ = accepted.identity
  for (const name of BY_PREFERENCE) {
    const q = accepted[name]
    if (available[name] === true && q > 0 && q >= bestQ) {
      best = name
      bestQ = q
    }
  }
  return best
}

/**
 * A parser with a small memo: clients send a handful of distinct headers (`gzip, deflate, br, zstd` …), so
 * caching the parse keeps negotiation at one Map lookup per request. The memo is bounded and starts over when full.
 */
export function createAcceptEncodingCache(limit = 256): (header: string | undefined) => AcceptedCodings {
  const memo = new Map<string, AcceptedCodings>()
  return (header) => {
    if (header === undefined) return NO_HEADER
    let accepted = memo.get(header)
    if (accepted === undefined) {
      accepted = parseAcceptEncoding(header)
      if (memo.size >= limit) memo.clear()
      memo.set(header, accepted)
    }
    return accepted
  }
}

const OLD_MSIE = /\bMSIE\s+(\d+)/

/**
 * Legacy, from django-asset-convoy's `CONVOY_CONSERVATIVE_MSIE_GZIP`: true for Internet Explorer 6 and older
 * (`User-Agent` containing `MSIE <n>` with n < 7), whose gzip support was broken. Callers that honour it must vary
 * on `User-Agent`.
 */
export function isOldMsie(userAgent: string | undefined): boolean {
  const match = userAgent === undefined ? null : OLD_MSIE.exec(userAgent)
  return match?.[1] !== undefined && Number(match[1]) < 7
}
