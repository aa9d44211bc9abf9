import { DELTA_ENCODING_NAMES, type DeltaEncoding } from '@convoy/storage'
import { ENCODING_NAMES, ENCODINGS, type Encoding, type EncodingName } from './encodings.js'

/** The content codings Convoy serves: precompressed siblings (a name in `ENCODINGS`) or the file itself. */
export type Coding = EncodingName | 'identity'

/**
 * The dictionary-compressed codings of Compression Dictionary Transport (RFC 9842): `'dcb' | 'dcz'`, the names of
 * `DELTA_ENCODINGS` of `@convoy/storage` and of `DELTA_ENCODERS`.
 */
export type DeltaCoding = DeltaEncoding

/**
 * What an `Accept-Encoding` header says about each coding we have: its q-value, 0 meaning "not acceptable". The
 * delta codings (`dcb`, `dcz`) have one too, for a server that has a delta for the client's `Available-Dictionary`.
 */
export type AcceptedCodings = Readonly<Record<Coding | DeltaCoding, number>>

/** Every sibling coding at `q`, identity at `identity`, no delta coding. */
function acceptedAll(q: number, identity: number): AcceptedCodings {
  const accepted: Partial<Record<Coding | DeltaCoding, number>> = { identity }
  for (const name of ENCODING_NAMES) accepted[name] = q
  for (const name of DELTA_ENCODING_NAMES) accepted[name] = 0
  return Object.freeze(accepted) as AcceptedCodings
}

/** No header at all: identity only. RFC 9110 allows any coding then, but old clients without the header break on it. */
const NO_HEADER = acceptedAll(0, 1)

/** Identity that the header neither names nor covers by `*` is acceptable but least preferred (RFC 9110 §12.5.3). */
const IMPLICIT_IDENTITY = 0.0001

const Q_VALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/**
 * Each lower-case token a header may use, and the coding it names: every name in `ENCODINGS`, its aliases, identity,
 * and the delta codings.
 */
const TOKENS: ReadonlyMap<string, Coding | DeltaCoding> = new Map<string, Coding | DeltaCoding>([
  ['identity', 'identity'],
  ...ENCODING_NAMES.flatMap((name) => {
    const encoding: Encoding = ENCODINGS[name]
    return [name, ...(encoding.aliases ?? [])].map((token): [string, Coding] => [token, name])
  }),
  ...DELTA_ENCODING_NAMES.map((name): [string, DeltaCoding] => [name, name]),
])

/** The encodings by ascending `preference`, so that a later one wins a tie of q-values and sizes. */
const BY_PREFERENCE: readonly EncodingName[] = Object.freeze(
  [...ENCODING_NAMES].sort((a, b) => ENCODINGS[a].preference - ENCODINGS[b].preference),
)

/**
 * Parses an `Accept-Encoding` header (RFC 9110 §12.5.3): codings are case-insensitive, an alias names its coding
 * (`x-gzip` is `gzip`), `q=0` refuses a coding, `*` covers every sibling coding not named, and identity stays
 * acceptable unless refused by `identity;q=0` or by `*;q=0` without an `identity` entry. A delta coding (`dcb`,
 * `dcz`) is acceptable only when named: `*` never covers it, since a client sends them only while it holds a
 * dictionary for the request (RFC 9842, "Accept-Encoding"). Malformed members are ignored.
 *
 * @example
 * parseAcceptEncoding('br;q=0.5, gzip;q=0.8') // { identity: 0.0001, gzip: 0.8, br: 0.5, zstd: 0, dcb: 0, dcz: 0 }
 * parseAcceptEncoding('gzip;q=0')             // { identity: 0.0001, gzip: 0, br: 0, zstd: 0, dcb: 0, dcz: 0 }
 * parseAcceptEncoding('*, dcz')               // { identity: 1, gzip: 1, br: 1, zstd: 1, dcb: 0, dcz: 1 }
 */
export function parseAcceptEncoding(header: string | undefined): AcceptedCodings {
  if (header === undefined) return NO_HEADER
  const named: Partial<Record<Coding | DeltaCoding, number>> = {}
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
  const accepted: Partial<Record<Coding | DeltaCoding, number>> = { identity: named.identity ?? star ?? IMPLICIT_IDENTITY }
  for (const name of ENCODING_NAMES) accepted[name] = named[name] ?? star ?? 0
  for (const name of DELTA_ENCODING_NAMES) accepted[name] = named[name] ?? 0
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
 * Picks the sibling coding to answer with among those available, or `null` when none is acceptable (→ 406).
 * `available` has the size in bytes of each sibling there is, by encoding name (a missing one is unavailable).
 * Highest q wins; among codings of the same q the smallest sibling (the fewest bytes to send), then the higher
 * `preference` of `ENCODINGS` on equal sizes; identity loses every tie, since a sibling is smaller than the file.
 * Allocates nothing: `available` is built once per file. Delta codings are not chosen here: whether a delta
 * applies depends on the request's `Available-Dictionary`, which the caller checks first.
 *
 * @example
 * chooseCoding(parseAcceptEncoding('gzip, br'), { gzip: 1210, br: 1024 })          // 'br'
 * chooseCoding(parseAcceptEncoding('gzip, br, zstd'), { br: 1024, zstd: 1090 })    // 'br'
 * chooseCoding(parseAcceptEncoding('br;q=0.5, gzip'), { gzip: 1210, br: 1024 })    // 'gzip'
 */
export function chooseCoding(accepted: AcceptedCodings, available: Readonly<Partial<Record<EncodingName, number>>>): Coding | null {
  let best: Coding | null = accepted.identity > 0 ? 'identity' : null
  let bestQ = accepted.identity
  let bestSize = Infinity
  for (const name of BY_PREFERENCE) {
    const size = available[name]
    const q = accepted[name]
    if (size === undefined || !(q > 0)) continue
    if (q > bestQ || (q === bestQ && size <= bestSize)) {
      best = name
      bestQ = q
      bestSize = size
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
