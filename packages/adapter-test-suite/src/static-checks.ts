// The checks of a static adapter: each one a plain async function of a running server (`StaticTarget`) that rejects
// when the adapter breaks the contract. `runAdapterTestSuite` registers one `it` per check; `STATIC_CHECKS` lets a
// test run them by hand (the suite's own suite-catches-bugs.test.ts does, against broken servers).
import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { expect } from 'vitest'
import { STATIC_PREFIX, type AdapterCheck, type StaticTarget } from './adapter.js'
import { decodeBody, rawRequest, rawStatus, request, type Reply } from './client.js'
import { HOSTILE, RAW_HOSTILE_TARGETS, expectNothingLeaked } from './hostile-paths.js'

/** The `Cache-Control` of a fingerprinted file the manifest knows. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'
/** The body of the framework's not-found handler in the suite's servers. */
export const FALLBACK_BODY = 'fallback'
/** The longest max-age, in seconds, a name that is not fingerprinted may get ("short"; serve's default is 60). */
const SHORT_MAX_AGE_LIMIT = 86_400

/** One row of the precompressed-negotiation table: an `Accept-Encoding` and the representation it must get. */
export interface PrecompressedNegotiationCase {
  /** `undefined`: no `Accept-Encoding` header at all. */
  readonly acceptEncoding: string | undefined
  /** The `Content-Encoding` served (`identity`: none), or 406 when nothing we have is acceptable. */
  readonly expected: 'br' | 'gzip' | 'identity' | 406
}

/** `Accept-Encoding` → what a file with `.br` and `.gz` siblings is served as (q-values honoured; br wins a tie). */
export const PRECOMPRESSED_NEGOTIATION_CASES: readonly PrecompressedNegotiationCase[] = [
  { acceptEncoding: undefined, expected: 'identity' },
  { acceptEncoding: 'gzip, deflate, br', expected: 'br' },
  { acceptEncoding: 'gzip', expected: 'gzip' },
  { acceptEncoding: 'br', expected: 'br' },
  { acceptEncoding: 'GZIP', expected: 'gzip' },
  { acceptEncoding: 'BR, GZIP', expected: 'br' },
  { acceptEncoding: 'gzip;q=0', expected: 'identity' },
  { acceptEncoding: 'gzip;q=0, br', expected: 'br' },
  { acceptEncoding: 'br;q=0', expected: 'identity' },
  { acceptEncoding: 'br;q=0, gzip', expected: 'gzip' },
  { acceptEncoding: 'br;q=0.5, gzip;q=0.8', expected: 'gzip' },
  { acceptEncoding: 'gzip;q=0.5, br;q=0.4', expected: 'gzip' },
  { acceptEncoding: 'gzip;q=0.4, br;q=0.5', expected: 'br' },
  { acceptEncoding: 'gzip;q=1.0, br;q=1.0', expected: 'br' },
  { acceptEncoding: '*', expected: 'br' },
  { acceptEncoding: 'br;q=0, *', expected: 'gzip' },
  { acceptEncoding: 'identity', expected: 'identity' },
  { acceptEncoding: 'deflate', expected: 'identity' },
  { acceptEncoding: 'br, identity;q=0', expected: 'br' },
  { acceptEncoding: 'identity;q=0', expected: 406 },
  { acceptEncoding: '*;q=0', expected: 406 },
  { acceptEncoding: 'identity;q=0, deflate', expected: 406 },
]

/**
 * What a request says it holds in `Available-Dictionary`: `held`, the hash of the earlier version the fixture's
 * deltas were made against; `unknown`, another SHA-256; `malformed`, the held hash without the colons of a byte
 * sequence; `undefined`, no header.
 */
export type AvailableDictionaryCase = 'held' | 'unknown' | 'malformed' | undefined

/** One row of the delta table (Compression Dictionary Transport, RFC 9842) for the fixture's `deltaServed`. */
export interface DeltaNegotiationCase {
  readonly acceptEncoding: string
  readonly availableDictionary: AvailableDictionaryCase
  /** A `Range` header sent too: a range request never gets a delta. */
  readonly range?: string
  /** Default `GET`. */
  readonly method?: 'GET' | 'HEAD'
  /** The `Content-Encoding` served (`identity`: none): a delta, the `.br` sibling or the file itself. */
  readonly expected: 'dcb' | 'dcz' | 'br' | 'identity'
}

/**
 * `Accept-Encoding` and `Available-Dictionary` → what a script with a `.br` sibling and a `dcb` and a `dcz` delta is
 * served as. A delta only to a request that holds its dictionary, names the delta coding with q > 0 and has no
 * `Range`; the highest q wins, then the fewest bytes (the fixture's `dcz` is smaller than its `dcb`, both smaller than
 * the `.br`); `*` never covers a delta coding. Every answer varies on `Accept-Encoding` and `Available-Dictionary`
 * and carries `Use-As-Dictionary`.
 */
export const DELTA_NEGOTIATION_CASES: readonly DeltaNegotiationCase[] = [
  { acceptEncoding: 'gzip, deflate, br, zstd, dcb, dcz', availableDictionary: 'held', expected: 'dcz' },
  { acceptEncoding: 'br, dcb', availableDictionary: 'held', expected: 'dcb' },
  { acceptEncoding: 'dcb, dcz;q=0.5', availableDictionary: 'held', expected: 'dcb' },
  { acceptEncoding: 'br;q=0.5, dcb;q=0.5', availableDictionary: 'held', expected: 'dcb' },
  { acceptEncoding: 'br, dcz;q=0.5', availableDictionary: 'held', expected: 'br' },
  { acceptEncoding: 'br, dcb, dcz', availableDictionary: 'unknown', expected: 'br' },
  { acceptEncoding: 'br, dcb, dcz', availableDictionary: undefined, expected: 'br' },
  { acceptEncoding: 'br, dcb, dcz', availableDictionary: 'malformed', expected: 'br' },
  { acceptEncoding: 'gzip, br, zstd', availableDictionary: 'held', expected: 'br' },
  { acceptEncoding: '*', availableDictionary: 'held', expected: 'br' },
  { acceptEncoding: 'br, dcb, dcz', availableDictionary: 'held', range: 'bytes=0-9', expected: 'br' },
  { acceptEncoding: 'dcb, dcz', availableDictionary: 'held', range: 'bytes=0-9', expected: 'identity' },
  { acceptEncoding: 'dcz', availableDictionary: 'held', method: 'HEAD', expected: 'dcz' },
]

const HOSTILE_GROUP = 'hostile paths'
const NEGOTIATION_GROUP = 'precompressed negotiation'
const DELTA_GROUP = 'deltas (RFC 9842)'
const CACHING_GROUP = 'caching and content types'
const CONDITIONAL_GROUP = 'conditional requests'
const RANGE_GROUP = 'ranges'
const METHOD_GROUP = 'methods'
const FALLTHROUGH_GROUP = 'fallthrough'

/** `target` (a HOSTILE entry, written for a root served at `/`) moved under `prefix`. */
export function hostileUnderPrefix(target: string, prefix: string): string {
  const base = prefix.replace(/\/$/, '')
  if (target.startsWith('/')) return `${base}${target}`
  const origin = /^[a-z]+:\/\/[^/]+/i.exec(target)?.[0]
  return origin === undefined ? target : `${origin}${base}${target.slice(origin.length)}`
}

const url = (target: StaticTarget, path: string): string => `${target.prefix}${path}`
const get = (target: StaticTarget, path: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> =>
  request(target.url, url(target, path), { method, headers })
const bytesOf = (target: StaticTarget, path: string): Buffer => {
  const bytes = target.fixture.files.get(path)
  if (bytes === undefined) throw new Error(`@convoy/adapter-test-suite: the fixture has no ${path}`)
  return bytes
}

/** The names in a `Vary` header, lower-cased. */
function varyNames(headers: IncomingHttpHeaders): string[] {
  const vary = headers.vary
  return vary === undefined ? [] : vary.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean)
}

function expectVaryOnAcceptEncoding(reply: Reply, what: string): void {
  expect(varyNames(reply.headers), `${what}: Vary must name Accept-Encoding`).toContain('accept-encoding')
}

function expectVaryOnDictionary(reply: Reply, what: string): void {
  expect(varyNames(reply.headers), `${what}: Vary must name Accept-Encoding and Available-Dictionary`).toEqual(expect.arrayContaining(['accept-encoding', 'available-dictionary']))
}

function expectFallback(reply: Reply, what: string): void {
  expect([reply.status, reply.body.toString('utf8')], `${what} must reach the framework's not-found handler (404 "${FALLBACK_BODY}")`).toEqual([404, FALLBACK_BODY])
}

function expectBody(reply: Reply, expected: Buffer, what: string): void {
  expect(reply.body.length, `${what}: body length`).toBe(expected.length)
  expect(reply.body.equals(expected), `${what}: body bytes`).toBe(true)
}

function expectShortCaching(reply: Reply, what: string): void {
  const cacheControl = reply.headers['cache-control'] ?? ''
  const match = /^public, max-age=(\d+)$/.exec(cacheControl)
  expect(match, `${what}: Cache-Control ${JSON.stringify(cacheControl)} must be "public, max-age=<short>"`).not.toBeNull()
  expect(Number(match?.[1]), `${what}: max-age`).toBeLessThanOrEqual(SHORT_MAX_AGE_LIMIT)
}

// ─── hostile paths ──────────────────────────────────────────────────────────────────────────────────────────────

const hostileChecks = (): AdapterCheck<StaticTarget>[] => [
  ...HOSTILE.map(
    (path): AdapterCheck<StaticTarget> => ({
      group: HOSTILE_GROUP,
      title: `GET ${hostileUnderPrefix(path, STATIC_PREFIX)} → 400/404, no secret`,
      run: async (target) => {
        const sent = hostileUnderPrefix(path, target.prefix)
        const reply = await request(target.url, sent)
        expectNothingLeaked(sent, reply.status, reply.body.toString('latin1'))
      },
    }),
  ),
  ...RAW_HOSTILE_TARGETS.map(
    (path): AdapterCheck<StaticTarget> => ({
      group: HOSTILE_GROUP,
      title: `raw request line GET ${JSON.stringify(hostileUnderPrefix(path, STATIC_PREFIX))} → 400/404, no secret`,
      run: async (target) => {
        const line = `GET ${hostileUnderPrefix(path, target.prefix)} HTTP/1.1`
        const response = await rawRequest(target.url, `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
        // A connection closed without an answer is a refusal too.
        expectNothingLeaked(JSON.stringify(line), rawStatus(response) ?? 400, response)
      },
    }),
  ),
  {
    group: HOSTILE_GROUP,
    title: 'still serves the real files',
    run: async (target) => {
      const { paths } = target.fixture
      for (const path of [paths.served, paths.image, paths.jsServed]) {
        const reply = await get(target, path)
        expect(reply.status, path).toBe(200)
        expectBody(reply, bytesOf(target, path), path)
      }
    },
  },
]

// ─── precompressed negotiation ──────────────────────────────────────────────────────────────────────────────────

const negotiationChecks = (): AdapterCheck<StaticTarget>[] => [
  ...PRECOMPRESSED_NEGOTIATION_CASES.map(
    ({ acceptEncoding, expected }): AdapterCheck<StaticTarget> => ({
      group: NEGOTIATION_GROUP,
      title:
        expected === 406
          ? `Accept-Encoding ${JSON.stringify(acceptEncoding)} refuses everything we have → 406, with Vary`
          : `Accept-Encoding ${acceptEncoding === undefined ? '(none)' : JSON.stringify(acceptEncoding)} → ${expected}, with Vary, the inner type and the right body`,
      run: async (target) => {
        const { served } = target.fixture.paths
        const reply = await get(target, served, acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding })
        const what = `Accept-Encoding ${JSON.stringify(acceptEncoding)}`
        if (expected === 406) {
          expect(reply.status, what).toBe(406)
          expectVaryOnAcceptEncoding(reply, what)
          return
        }
        expect(reply.status, what).toBe(200)
        expectVaryOnAcceptEncoding(reply, what)
        expect(reply.headers['content-type'], `${what}: Content-Type of the inner file`).toBe('text/css; charset=utf-8')
        expect(reply.headers['content-length'], `${what}: Content-Length`).toBe(String(reply.body.length))
        expect(reply.headers['cache-control'], `${what}: Cache-Control`).toBe(IMMUTABLE_CACHE_CONTROL)
        expect(reply.headers['x-content-type-options'], `${what}: X-Content-Type-Options`).toBe('nosniff')
        const identity = bytesOf(target, served)
        if (expected === 'identity') {
          expect(reply.headers['content-encoding'], `${what}: Content-Encoding`).toBeUndefined()
          expect(reply.headers['accept-ranges'], `${what}: Accept-Ranges`).toBe('bytes')
          expectBody(reply, identity, what)
        } else {
          expect(reply.headers['content-encoding'], `${what}: Content-Encoding`).toBe(expected)
          expect(reply.headers['accept-ranges'], `${what}: no Accept-Ranges on a compressed answer`).toBeUndefined()
          expectBody(reply, bytesOf(target, expected === 'br' ? target.fixture.paths.br : target.fixture.paths.gzip), what)
          expect(decodeBody(reply.body, expected).equals(identity), `${what}: decoded body`).toBe(true)
        }
      },
    }),
  ),
  {
    group: NEGOTIATION_GROUP,
    title: 'uses gzip when that is the only sibling',
    run: async (target) => {
      const { jsServed, jsGzip } = target.fixture.paths
      const br = await get(target, jsServed, { 'accept-encoding': 'br' })
      expect([br.status, br.headers['content-encoding']], 'a br-only client of a file with only .gz').toEqual([200, undefined])
      expectVaryOnAcceptEncoding(br, 'a br-only client')
      expectBody(br, bytesOf(target, jsServed), 'a br-only client')
      const gzip = await get(target, jsServed, { 'accept-encoding': 'br, gzip' })
      expect([gzip.status, gzip.headers['content-encoding'], gzip.headers['content-type']]).toEqual([200, 'gzip', 'text/javascript; charset=utf-8'])
      expectBody(gzip, bytesOf(target, jsGzip), 'br, gzip')
    },
  },
  {
    group: NEGOTIATION_GROUP,
    title: 'gives each representation its own strong ETag',
    run: async (target) => {
      const tags = await Promise.all(
        ['identity', 'gzip', 'br'].map(async (coding) => (await get(target, target.fixture.paths.served, { 'accept-encoding': coding })).headers.etag),
      )
      for (const tag of tags) expect(tag, 'a strong ETag').toMatch(/^"[^"]+"$/)
      expect(new Set(tags).size, `ETags of identity, gzip and br: ${tags.join(' ')}`).toBe(3)
    },
  },
  {
    group: NEGOTIATION_GROUP,
    title: 'answers a direct request for x.css.gz (and .br) with Content-Encoding and the inner type',
    run: async (target) => {
      const { gzip, br } = target.fixture.paths
      for (const [path, coding] of [
        [gzip, 'gzip'],
        [br, 'br'],
      ] as const) {
        const reply = await get(target, path, { 'accept-encoding': 'identity' })
        expect(reply.status, path).toBe(200)
        expect(reply.headers['content-encoding'], `${path}: Content-Encoding`).toBe(coding)
        expect(reply.headers['content-type'], `${path}: Content-Type of the inner file`).toBe('text/css; charset=utf-8')
        expect(reply.headers.vary, `${path}: one representation only, no Vary`).toBeUndefined()
        expect(reply.headers['cache-control'], `${path}: Cache-Control`).toBe(IMMUTABLE_CACHE_CONTROL)
        expectBody(reply, bytesOf(target, path), path)
      }
    },
  },
  {
    group: NEGOTIATION_GROUP,
    title: 'serves a file without siblings without Vary, whatever Accept-Encoding says',
    run: async (target) => {
      const { image } = target.fixture.paths
      const reply = await get(target, image, { 'accept-encoding': 'identity;q=0' })
      expect([reply.status, reply.headers['content-type'], reply.headers.vary, reply.headers['content-encoding']]).toEqual([200, 'image/png', undefined, undefined])
      expectBody(reply, bytesOf(target, image), image)
    },
  },
]

// ─── deltas ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** The fixture's delta entry: the hash of the dictionary its deltas need, and the pattern it is offered under. */
function deltaEntry(target: StaticTarget): { held: string; useAsDictionary: string } {
  const entry = target.fixture.manifest.files['js/delta.js']
  const held = Object.keys(entry?.deltas ?? {})[0]
  if (entry?.dictionary === undefined || held === undefined) throw new Error('@convoy/adapter-test-suite: the fixture has no delta entry')
  // Relative to the file's own URL, where the browser resolves it.
  return { held, useAsDictionary: `match="${entry.dictionary.match.slice(entry.dictionary.match.lastIndexOf('/') + 1)}", match-dest=("script")` }
}

/** The `Available-Dictionary` header of a row, or `undefined` for none. */
function availableDictionary(target: StaticTarget, which: AvailableDictionaryCase): string | undefined {
  const { held } = deltaEntry(target)
  if (which === 'held') return `:${held}:`
  if (which === 'unknown') return `:${createHash('sha256').update('a dictionary no delta was made against').digest('base64')}:`
  if (which === 'malformed') return held
  return undefined
}

const deltaRowTitle = (row: DeltaNegotiationCase): string =>
  `delta: ${row.method === 'HEAD' ? 'HEAD, ' : ''}Accept-Encoding ${JSON.stringify(row.acceptEncoding)}, Available-Dictionary ${row.availableDictionary ?? 'none'}` +
  `${row.range === undefined ? '' : `, Range ${row.range}`} → ${row.expected}${row.range !== undefined && row.expected === 'identity' ? ' (206)' : ''}`

const deltaChecks = (): AdapterCheck<StaticTarget>[] => [
  ...DELTA_NEGOTIATION_CASES.map(
    (row): AdapterCheck<StaticTarget> => ({
      group: DELTA_GROUP,
      title: `${deltaRowTitle(row)}, with Vary, Use-As-Dictionary and the right body`,
      run: async (target) => {
        const { paths } = target.fixture
        const headers: Record<string, string> = { 'accept-encoding': row.acceptEncoding }
        const dictionary = availableDictionary(target, row.availableDictionary)
        if (dictionary !== undefined) headers['available-dictionary'] = dictionary
        if (row.range !== undefined) headers.range = row.range
        const method = row.method ?? 'GET'
        const reply = await get(target, paths.deltaServed, headers, method)
        const what = deltaRowTitle(row)
        const ranged = row.range !== undefined && row.expected === 'identity'
        expect(reply.status, `${what}: status`).toBe(ranged ? 206 : 200)
        expect(reply.headers['content-encoding'], `${what}: Content-Encoding`).toBe(row.expected === 'identity' ? undefined : row.expected)
        expectVaryOnDictionary(reply, what)
        expect(reply.headers['use-as-dictionary'], `${what}: Use-As-Dictionary`).toBe(deltaEntry(target).useAsDictionary)
        expect(reply.headers['content-type'], `${what}: Content-Type of the file`).toBe('text/javascript; charset=utf-8')
        expect(reply.headers['cache-control'], `${what}: Cache-Control`).toBe(IMMUTABLE_CACHE_CONTROL)
        const file = { dcb: paths.deltaDcb, dcz: paths.deltaDcz, br: paths.deltaBr, identity: paths.deltaServed }[row.expected]
        const sent = ranged ? bytesOf(target, file).subarray(0, 10) : bytesOf(target, file)
        if (method === 'HEAD') {
          expect(reply.body.length, `${what}: HEAD has no body`).toBe(0)
          expect(reply.headers['content-length'], `${what}: Content-Length`).toBe(String(sent.length))
        } else expectBody(reply, sent, what)
      },
    }),
  ),
  {
    group: DELTA_GROUP,
    title: "delta: If-None-Match with the delta's ETag → 304 with that ETag, Vary and Use-As-Dictionary",
    run: async (target) => {
      const { deltaServed } = target.fixture.paths
      const headers = { 'accept-encoding': 'dcb', 'available-dictionary': availableDictionary(target, 'held')! }
      const first = await get(target, deltaServed, headers)
      expect(first.headers['content-encoding']).toBe('dcb')
      const etag = first.headers.etag ?? '"none"'
      const again = await get(target, deltaServed, { ...headers, 'if-none-match': etag })
      expect([again.status, again.headers.etag, again.body.length]).toEqual([304, etag, 0])
      expectVaryOnDictionary(again, '304')
      expect(again.headers['use-as-dictionary'], '304: Use-As-Dictionary').toBe(deltaEntry(target).useAsDictionary)
      // Without the dictionary another representation is chosen, whose tag is another.
      const without = await get(target, deltaServed, { 'accept-encoding': 'dcb, br', 'if-none-match': etag })
      expect([without.status, without.headers['content-encoding']]).toEqual([200, 'br'])
    },
  },
  {
    group: DELTA_GROUP,
    title: 'delta: a 406 varies on Available-Dictionary too',
    run: async (target) => {
      const reply = await get(target, target.fixture.paths.deltaServed, { 'accept-encoding': 'identity;q=0, br;q=0', 'available-dictionary': availableDictionary(target, 'held')! })
      expect(reply.status).toBe(406)
      expectVaryOnDictionary(reply, '406')
    },
  },
  {
    group: DELTA_GROUP,
    title: 'delta: a delta file asked for by its own URL reaches the fallback',
    run: async (target) => {
      const { deltaDcb, deltaDcz } = target.fixture.paths
      for (const path of [deltaDcb, deltaDcz]) {
        expectFallback(await get(target, path, { 'accept-encoding': 'dcb, dcz', 'available-dictionary': availableDictionary(target, 'held')! }), url(target, path))
      }
    },
  },
  {
    group: DELTA_GROUP,
    title: 'delta: a file without a dictionary gets no Use-As-Dictionary and no Vary on Available-Dictionary',
    run: async (target) => {
      const { served, deltaEarlier } = target.fixture.paths
      const css = await get(target, served, { 'accept-encoding': 'br, dcb', 'available-dictionary': availableDictionary(target, 'held')! })
      expect([css.status, css.headers['content-encoding'], css.headers['use-as-dictionary']]).toEqual([200, 'br', undefined])
      expect(varyNames(css.headers)).toEqual(['accept-encoding'])
      const earlier = await get(target, deltaEarlier, { 'accept-encoding': 'dcb', 'available-dictionary': availableDictionary(target, 'held')! })
      expect([earlier.status, earlier.headers['content-encoding'], earlier.headers['use-as-dictionary'], earlier.headers.vary]).toEqual([200, undefined, undefined, undefined])
      expectBody(earlier, bytesOf(target, deltaEarlier), deltaEarlier)
    },
  },
]

// ─── caching and content types ──────────────────────────────────────────────────────────────────────────────────

const cachingChecks = (): AdapterCheck<StaticTarget>[] => [
  {
    group: CACHING_GROUP,
    title: 'marks immutable the fingerprinted names the manifest knows (and their siblings, maps, carpools)',
    run: async (target) => {
      const { paths } = target.fixture
      for (const path of [paths.served, paths.fingerprinted, paths.gzip, paths.br, paths.jsMap, paths.jsGzip, paths.image, paths.carpool, paths.carpoolBr, paths.big]) {
        const reply = await get(target, path)
        expect([path, reply.status, reply.headers['cache-control']]).toEqual([path, 200, IMMUTABLE_CACHE_CONTROL])
      }
    },
  },
  {
    group: CACHING_GROUP,
    title: 'gives a short max-age to the other names (originals, a file of an earlier deploy)',
    run: async (target) => {
      const { paths } = target.fixture
      for (const path of [paths.original, paths.imageOriginal, paths.old]) {
        const reply = await get(target, path)
        expect([path, reply.status]).toEqual([path, 200])
        expectShortCaching(reply, path)
        expectBody(reply, bytesOf(target, path), path)
      }
    },
  },
  {
    group: CACHING_GROUP,
    title: 'sends the manifest with no-cache',
    run: async (target) => {
      const reply = await get(target, 'convoy-manifest.json')
      expect([reply.status, reply.headers['cache-control']]).toEqual([200, 'no-cache'])
      expect(JSON.parse(reply.body.toString('utf8'))).toMatchObject({ version: 1 })
    },
  },
  {
    group: CACHING_GROUP,
    title: 'sends the right Content-Type, Content-Length and nosniff for each kind of file',
    run: async (target) => {
      const { paths } = target.fixture
      for (const [path, type] of [
        [paths.served, 'text/css; charset=utf-8'],
        [paths.jsServed, 'text/javascript; charset=utf-8'],
        [paths.jsMap, 'application/json; charset=utf-8'],
        [paths.image, 'image/png'],
      ] as const) {
        const reply = await get(target, path)
        expect([path, reply.status, reply.headers['content-type']]).toEqual([path, 200, type])
        expect(reply.headers['content-length'], `${path}: Content-Length`).toBe(String(bytesOf(target, path).length))
        expect(reply.headers['x-content-type-options'], `${path}: X-Content-Type-Options`).toBe('nosniff')
      }
    },
  },
]

// ─── conditional requests ───────────────────────────────────────────────────────────────────────────────────────

interface Validators {
  readonly etag: string
  readonly lastModified: string
}

const shiftDate = (date: string, seconds: number): string => new Date(Date.parse(date) + seconds * 1000).toUTCString()

/** Conditional headers on the identity of the served CSS file, and the status they must get. */
const CONDITIONAL_CASES: readonly (readonly [title: string, headers: (v: Validators) => Record<string, string>, status: 200 | 304 | 412])[] = [
  ['If-None-Match: the tag', (v) => ({ 'if-none-match': v.etag }), 304],
  ['If-None-Match: the weak form of the tag', (v) => ({ 'if-none-match': `W/${v.etag}` }), 304],
  ['If-None-Match: a list holding the tag', (v) => ({ 'if-none-match': `"other", ${v.etag}` }), 304],
  ['If-None-Match: *', () => ({ 'if-none-match': '*' }), 304],
  ['If-None-Match: another tag', () => ({ 'if-none-match': '"other"' }), 200],
  ['If-None-Match: the identity tag, gzip chosen', (v) => ({ 'if-none-match': v.etag, 'accept-encoding': 'gzip' }), 200],
  ['If-Modified-Since: Last-Modified', (v) => ({ 'if-modified-since': v.lastModified }), 304],
  ['If-Modified-Since: earlier', (v) => ({ 'if-modified-since': shiftDate(v.lastModified, -60) }), 200],
  ['If-None-Match wins over If-Modified-Since', (v) => ({ 'if-none-match': '"other"', 'if-modified-since': v.lastModified }), 200],
  ['If-Match: the tag', (v) => ({ 'if-match': v.etag }), 200],
  ['If-Match: another tag', () => ({ 'if-match': '"other"' }), 412],
  ['If-Match: the weak form (strong comparison)', (v) => ({ 'if-match': `W/${v.etag}` }), 412],
  ['If-Unmodified-Since: earlier', (v) => ({ 'if-unmodified-since': shiftDate(v.lastModified, -60) }), 412],
]

async function validators(target: StaticTarget): Promise<Validators> {
  const reply = await get(target, target.fixture.paths.served)
  const { etag, 'last-modified': lastModified } = reply.headers
  expect(etag, 'the served file has an ETag').toMatch(/^"[^"]+"$/)
  expect(Number.isNaN(Date.parse(lastModified ?? '')), `Last-Modified ${JSON.stringify(lastModified)} is an HTTP date`).toBe(false)
  return { etag: etag!, lastModified: lastModified! }
}

const conditionalChecks = (): AdapterCheck<StaticTarget>[] => [
  ...CONDITIONAL_CASES.map(
    ([title, headers, status]): AdapterCheck<StaticTarget> => ({
      group: CONDITIONAL_GROUP,
      title: `${title} → ${status}`,
      run: async (target) => {
        const tags = await validators(target)
        const reply = await get(target, target.fixture.paths.served, headers(tags))
        expect(reply.status, title).toBe(status)
        if (status === 304) {
          expect(reply.body.length, '304: no body').toBe(0)
          expect(reply.headers.etag, '304: the ETag').toBe(tags.etag)
          expect(reply.headers['cache-control'], '304: Cache-Control').toBe(IMMUTABLE_CACHE_CONTROL)
          expectVaryOnAcceptEncoding(reply, '304')
          expect(reply.headers['content-type'], '304: no Content-Type').toBeUndefined()
        }
        if (status === 200) expect(reply.body.length, '200: a body').toBeGreaterThan(0)
      },
    }),
  ),
  {
    group: CONDITIONAL_GROUP,
    title: 'revalidates a compressed representation by its own tag',
    run: async (target) => {
      const { served } = target.fixture.paths
      const first = await get(target, served, { 'accept-encoding': 'br' })
      expect(first.headers['content-encoding']).toBe('br')
      const again = await get(target, served, { 'accept-encoding': 'br', 'if-none-match': first.headers.etag ?? '"none"' })
      expect([again.status, again.headers.etag, again.body.length]).toEqual([304, first.headers.etag, 0])
    },
  },
  {
    group: CONDITIONAL_GROUP,
    title: 'answers 304 for the manifest revalidated by its ETag',
    run: async (target) => {
      const first = await get(target, 'convoy-manifest.json')
      const again = await get(target, 'convoy-manifest.json', { 'if-none-match': first.headers.etag ?? '"none"' })
      expect([again.status, again.headers['cache-control']]).toEqual([304, 'no-cache'])
    },
  },
]

// ─── ranges ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** Ranges of the 1208-byte image: the header, and the first and last byte it covers (negative: from the end). */
const RANGE_CASES: readonly (readonly [range: string, first: number, last: number])[] = [
  ['bytes=0-9', 0, 9],
  ['bytes=-5', -5, -1],
  ['bytes=1200-', 1200, -1],
  ['bytes=100-99999', 100, -1],
]

const rangeChecks = (): AdapterCheck<StaticTarget>[] => [
  ...RANGE_CASES.map(
    ([range, firstByte, lastByte]): AdapterCheck<StaticTarget> => ({
      group: RANGE_GROUP,
      title: `Range: ${range} → 206 with Content-Range`,
      run: async (target) => {
        const { image } = target.fixture.paths
        const bytes = bytesOf(target, image)
        const first = firstByte < 0 ? bytes.length + firstByte : firstByte
        const last = lastByte < 0 ? bytes.length + lastByte : lastByte
        const reply = await get(target, image, { range })
        expect(reply.status, range).toBe(206)
        expect(reply.headers['content-range'], `${range}: Content-Range`).toBe(`bytes ${first}-${last}/${bytes.length}`)
        expect(reply.headers['content-length'], `${range}: Content-Length`).toBe(String(last - first + 1))
        expectBody(reply, bytes.subarray(first, last + 1), range)
      },
    }),
  ),
  {
    group: RANGE_GROUP,
    title: 'answers an unsatisfiable range with 416 and Content-Range: bytes */length',
    run: async (target) => {
      const { image } = target.fixture.paths
      const reply = await get(target, image, { range: 'bytes=5000-' })
      expect([reply.status, reply.headers['content-range']]).toEqual([416, `bytes */${bytesOf(target, image).length}`])
    },
  },
  {
    group: RANGE_GROUP,
    title: 'answers several ranges, a reversed one or another unit with the whole file',
    run: async (target) => {
      const { image } = target.fixture.paths
      for (const range of ['bytes=0-1,5-6', 'bytes=9-2', 'lines=1-2']) {
        const reply = await get(target, image, { range })
        expect([range, reply.status]).toEqual([range, 200])
        expectBody(reply, bytesOf(target, image), range)
      }
    },
  },
  {
    group: RANGE_GROUP,
    title: 'honours If-Range with the current tag or date, and sends everything otherwise',
    run: async (target) => {
      const { image } = target.fixture.paths
      const { etag, 'last-modified': lastModified } = (await get(target, image)).headers
      const status = async (ifRange: string): Promise<number> => (await get(target, image, { range: 'bytes=0-0', 'if-range': ifRange })).status
      expect(await status(etag ?? '"none"'), 'If-Range: the ETag').toBe(206)
      expect(await status(lastModified ?? 'never'), 'If-Range: Last-Modified').toBe(206)
      expect(await status('"stale"'), 'If-Range: another tag').toBe(200)
      expect(await status(`W/${etag ?? '"none"'}`), 'If-Range: a weak tag').toBe(200)
    },
  },
  {
    group: RANGE_GROUP,
    title: 'ranges the identity of a negotiated file, never a compressed answer',
    run: async (target) => {
      const { served } = target.fixture.paths
      const identity = await get(target, served, { range: 'bytes=0-3', 'accept-encoding': 'identity' })
      expect([identity.status, identity.headers['content-range'], identity.body.toString('latin1')]).toEqual([
        206,
        `bytes 0-3/${bytesOf(target, served).length}`,
        bytesOf(target, served).subarray(0, 4).toString('latin1'),
      ])
      expectVaryOnAcceptEncoding(identity, 'a range of the identity')
      const br = await get(target, served, { range: 'bytes=0-3', 'accept-encoding': 'br' })
      expect([br.status, br.headers['content-encoding'], br.headers['content-range']]).toEqual([200, 'br', undefined])
      expect(decodeBody(br.body, 'br').equals(bytesOf(target, served)), 'the whole br body').toBe(true)
    },
  },
  {
    group: RANGE_GROUP,
    title: 'streams and ranges a file too big for a memory cache',
    run: async (target) => {
      const { big } = target.fixture.paths
      expectBody(await get(target, big), bytesOf(target, big), big)
      const part = await get(target, big, { range: 'bytes=70000-200000' })
      expect(part.status).toBe(206)
      expectBody(part, bytesOf(target, big).subarray(70000, 200001), 'bytes=70000-200000')
    },
  },
]

// ─── methods ────────────────────────────────────────────────────────────────────────────────────────────────────

const methodChecks = (): AdapterCheck<StaticTarget>[] => [
  {
    group: METHOD_GROUP,
    title: 'HEAD sends the headers of a GET and no body (Range ignored)',
    run: async (target) => {
      const { big, served, br } = target.fixture.paths
      const whole = await get(target, big)
      const head = await get(target, big, { range: 'bytes=0-1' }, 'HEAD')
      expect([head.status, head.body.length]).toEqual([200, 0])
      for (const name of ['content-length', 'content-type', 'etag', 'last-modified', 'cache-control']) {
        expect(head.headers[name], `HEAD: ${name}`).toBe(whole.headers[name])
      }
      const headBr = await get(target, served, { 'accept-encoding': 'br' }, 'HEAD')
      expect([headBr.status, headBr.headers['content-encoding'], headBr.headers['content-length'], headBr.body.length]).toEqual([
        200,
        'br',
        String(bytesOf(target, br).length),
        0,
      ])
      expectVaryOnAcceptEncoding(headBr, 'HEAD')
    },
  },
  ...['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map(
    (method): AdapterCheck<StaticTarget> => ({
      group: METHOD_GROUP,
      title: `${method} on a file → 405 with Allow: GET, HEAD`,
      run: async (target) => {
        const reply = await get(target, target.fixture.paths.served, {}, method)
        expect([reply.status, reply.headers.allow]).toEqual([405, 'GET, HEAD'])
      },
    }),
  ),
  {
    group: METHOD_GROUP,
    title: 'POST on an unknown path reaches the fallback',
    run: async (target) => {
      expectFallback(await get(target, 'api/things', {}, 'POST'), 'POST /static/api/things')
    },
  },
]

// ─── fallthrough ────────────────────────────────────────────────────────────────────────────────────────────────

const fallthroughChecks = (): AdapterCheck<StaticTarget>[] => [
  {
    group: FALLTHROUGH_GROUP,
    title: 'unknown paths, directories and dotfiles reach the fallback 404',
    run: async (target) => {
      const { paths } = target.fixture
      for (const path of ['nope.css', '', 'css', 'css/', 'img/', '.env', '.git/config', 'css/.hidden.css', '%2eenv', `${paths.original}/`, 'linked/secret.txt', paths.stray, 'css/alias.css']) {
        expectFallback(await get(target, path), url(target, path))
      }
    },
  },
  {
    group: FALLTHROUGH_GROUP,
    title: 'paths outside the prefix reach the fallback',
    run: async (target) => {
      const { served } = target.fixture.paths
      const base = target.prefix.replace(/\/$/, '')
      for (const path of [`/${served}`, `${base}x/${served}`, `/other${target.prefix}${served}`]) {
        expectFallback(await request(target.url, path), path)
      }
    },
  },
  {
    group: FALLTHROUGH_GROUP,
    title: 'keeps the query string out of the lookup',
    run: async (target) => {
      const { served } = target.fixture.paths
      const reply = await get(target, `${served}?v=1&x=/../..`)
      expect(reply.status).toBe(200)
      expectBody(reply, bytesOf(target, served), 'with a query string')
    },
  },
]

/**
 * Every check of a static adapter, in the order the suite runs them. Each `run(target)` rejects when the adapter
 * breaks the contract; `target` comes from `startStaticTarget(adapter)`.
 */
export const STATIC_CHECKS: readonly AdapterCheck<StaticTarget>[] = [
  ...hostileChecks(),
  ...negotiationChecks(),
  ...deltaChecks(),
  ...cachingChecks(),
  ...conditionalChecks(),
  ...rangeChecks(),
  ...methodChecks(),
  ...fallthroughChecks(),
]
