// Serving deltas (Compression Dictionary Transport, RFC 9842) through the core every adapter calls: which request
// gets a delta, which gets today's negotiation, and the Vary and Use-As-Dictionary every answer for such a URL has.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { DELTA_ENCODERS, dictionaryHash } from '@convoy/gzip'
import { DICTIONARY_VARY } from '@convoy/http'
import { createManifest, serializeManifest, type ManifestEntry } from '@convoy/manifest'
import { deltaPath, type DeltaEncoding } from '@convoy/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaticFiles, type FileAnswer, type StaticAnswer, type StaticFiles, type StaticFilesOptions } from './static-files.js'
import { serveStatic } from './serve-static.js'
import { createMemoryStorage, listen, request } from './test-helpers.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
const JS_TYPE = 'text/javascript; charset=utf-8'
const CSS_TYPE = 'text/css; charset=utf-8'
const PREFIX = '/static/'
const INTEGRITY = (bytes: Buffer): string => `sha384-${createHash('sha384').update(bytes).digest('base64')}`
const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex').slice(0, 12)

/** Which delta encoders this Node.js has: with them the fixture's deltas are real, else bytes of the right shape. */
const REAL: Readonly<Record<DeltaEncoding, boolean>> = {
  dcb: DELTA_ENCODERS.dcb.unavailable() === undefined,
  dcz: DELTA_ENCODERS.dcz.unavailable() === undefined,
}

/** A delta of `target` against `dictionary`: the real one where this Node.js makes it, else its header and filler. */
function deltaOf(encoding: DeltaEncoding, target: Buffer, dictionary: Buffer, fillerBytes = 60): Buffer {
  if (REAL[encoding]) return Buffer.from(DELTA_ENCODERS[encoding].encodeSync(target, dictionary, DELTA_ENCODERS[encoding].defaultLevel))
  // Serving never decodes a delta: these bytes stand for one (the magic, the dictionary's SHA-256, a body).
  const magic = encoding === 'dcb' ? [0xff, 0x44, 0x43, 0x42] : [0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00]
  return Buffer.concat([Buffer.from(magic), createHash('sha256').update(dictionary).digest(), Buffer.alloc(fillerBytes, encoding === 'dcb' ? 0x62 : 0x7a)])
}

/** Bytes that stand for a delta of exactly `size` bytes, when only the size matters. */
const fakeDelta = (size: number, fill: number): Buffer => Buffer.alloc(size, fill)

const script = (version: number): Buffer =>
  Buffer.from(Array.from({ length: 120 }, (_, i) => `function f${i}(a){return a*${i}+${i === 60 ? version : 1}}`).join(';'))

interface DeltaFixture {
  readonly root: string
  /** Storage path → bytes of everything written. */
  readonly files: ReadonlyMap<string, Buffer>
  readonly app: {
    readonly served: string
    readonly old: string
    readonly oldHash: string
    readonly dcb: string
    readonly dcz: string
    readonly gzip: string
    readonly br: string
  }
  /** A file with two dictionaries: against `small.dcb` its dcb delta is the smaller, against `small.dcz` its dcz one. */
  readonly sizes: { readonly served: string; readonly smallDcb: string; readonly smallDcz: string; readonly br: string }
  /** `js/my app (v2).js`: a name that needs percent-encoding, with a dictionary only. */
  readonly spaced: string
  /** A stylesheet with a dictionary and one dcz delta (whose file is missing), and a .gz sibling. */
  readonly css: { readonly served: string; readonly dictionaryHash: string; readonly missingDelta: string }
  /** A stylesheet with siblings and no dictionary. */
  readonly plain: string
  /** An entry whose served file is missing, and its delta, which is there. */
  readonly gone: { readonly served: string; readonly delta: string }
}

async function buildFixture(): Promise<DeltaFixture> {
  const root = await mkdtemp(join(tmpdir(), 'convoy-serve-deltas-'))
  const files = new Map<string, Buffer>()
  const put = async (path: string, bytes: Buffer): Promise<Buffer> => {
    const file = join(root, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, bytes)
    files.set(path, bytes)
    return bytes
  }
  const entry = (served: string, bytes: Buffer, contentType: string, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({
    served,
    size: bytes.length,
    integrity: INTEGRITY(bytes),
    fingerprinted: served.replace('.cmin', ''),
    sourceHash: md5(bytes),
    contentType,
    ...extra,
  })
  const variant = (path: string): { path: string; size: number } => ({ path, size: files.get(path)!.length })

  // js/app.js: version 2 served, version 1 (an earlier deploy) the dictionary browsers hold.
  const v1 = script(1)
  const v2 = script(2)
  const old = `js/app.${md5(v1)}.cmin.js`
  const served = `js/app.${md5(v2)}.cmin.js`
  await put(old, v1)
  await put(`js/app.${md5(v1)}.js`, v1)
  await put(served, v2)
  await put(served.replace('.cmin', ''), v2)
  await put('js/app.js', v2)
  await put(`${served}.gz`, gzipSync(v2, { level: 9 }))
  await put(`${served}.br`, brotliCompressSync(v2))
  const oldHash = dictionaryHash(v1)
  const dcb = deltaPath(served, oldHash, 'dcb')
  const dcz = deltaPath(served, oldHash, 'dcz')
  // The dcz delta is made the larger of the two (when both are real, as they come out).
  await put(dcb, deltaOf('dcb', v2, v1, 50))
  await put(dcz, deltaOf('dcz', v2, v1, 70))
  // Version 1's own deltas, dropped with it: never served by name either.
  const oldDelta = deltaPath(old, dictionaryHash(Buffer.from('v0')), 'dcb')
  await put(oldDelta, fakeDelta(40, 1))

  // js/sizes.js: sizes chosen so that each dictionary makes another coding the smallest.
  const sizesBytes = script(3)
  const sizesServed = `js/sizes.${md5(sizesBytes)}.cmin.js`
  await put(sizesServed, sizesBytes)
  await put(`${sizesServed}.br`, brotliCompressSync(sizesBytes))
  const smallDcb = dictionaryHash(Buffer.from('dictionary where dcb is smaller'))
  const smallDcz = dictionaryHash(Buffer.from('dictionary where dcz is smaller'))
  await put(deltaPath(sizesServed, smallDcb, 'dcb'), fakeDelta(100, 2))
  await put(deltaPath(sizesServed, smallDcb, 'dcz'), fakeDelta(200, 3))
  await put(deltaPath(sizesServed, smallDcz, 'dcb'), fakeDelta(210, 4))
  await put(deltaPath(sizesServed, smallDcz, 'dcz'), fakeDelta(110, 5))

  const spacedBytes = script(4)
  const spaced = `js/my app (v2).${md5(spacedBytes)}.cmin.js`
  await put(spaced, spacedBytes)

  const cssBytes = Buffer.from(Array.from({ length: 80 }, (_, i) => `.r${i}{margin:${i}px}`).join(''))
  const cssServed = `css/site.${md5(cssBytes)}.css`
  await put(cssServed, cssBytes)
  await put(`${cssServed}.gz`, gzipSync(cssBytes))
  const cssDictionary = dictionaryHash(Buffer.from('an earlier site.css'))
  const missingDelta = deltaPath(cssServed, cssDictionary, 'dcz')

  // An entry whose served file is missing (a half-finished upload): its delta is there, and must not be served.
  const goneBytes = script(5)
  const gone = `js/gone.${md5(goneBytes)}.cmin.js`
  const goneDelta = deltaPath(gone, oldHash, 'dcb')
  await put(goneDelta, fakeDelta(50, 6))

  const plainBytes = Buffer.from(Array.from({ length: 80 }, (_, i) => `.p${i}{padding:${i}px}`).join(''))
  const plain = `css/plain.${md5(plainBytes)}.css`
  await put(plain, plainBytes)
  await put(`${plain}.br`, brotliCompressSync(plainBytes))

  const manifest = createManifest({
    baseUrl: PREFIX,
    hash: { algorithm: 'md5', length: 12 },
    files: {
      'js/app.js': entry(served, v2, JS_TYPE, {
        encodings: { gzip: variant(`${served}.gz`), br: variant(`${served}.br`) },
        dictionary: { hash: dictionaryHash(v2), match: 'js/app.*.cmin.js' },
        deltas: { [oldHash]: { dcb: variant(dcb), dcz: variant(dcz) } },
      }),
      'js/sizes.js': entry(sizesServed, sizesBytes, JS_TYPE, {
        encodings: { br: variant(`${sizesServed}.br`) },
        dictionary: { hash: dictionaryHash(sizesBytes), match: 'js/sizes.*.cmin.js' },
        deltas: {
          [smallDcb]: { dcb: variant(deltaPath(sizesServed, smallDcb, 'dcb')), dcz: variant(deltaPath(sizesServed, smallDcb, 'dcz')) },
          [smallDcz]: { dcb: variant(deltaPath(sizesServed, smallDcz, 'dcb')), dcz: variant(deltaPath(sizesServed, smallDcz, 'dcz')) },
        },
      }),
      'js/my app (v2).js': entry(spaced, spacedBytes, JS_TYPE, { dictionary: { hash: dictionaryHash(spacedBytes), match: 'js/my app (v2).*.cmin.js' } }),
      'css/site.css': entry(cssServed, cssBytes, CSS_TYPE, {
        encodings: { gzip: variant(`${cssServed}.gz`) },
        dictionary: { hash: dictionaryHash(cssBytes), match: 'css/site.*.css' },
        deltas: { [cssDictionary]: { dcz: { path: missingDelta, size: 30 } } },
      }),
      'css/plain.css': entry(plain, plainBytes, CSS_TYPE, { encodings: { br: variant(`${plain}.br`) } }),
      'js/gone.js': entry(gone, goneBytes, JS_TYPE, { deltas: { [oldHash]: { dcb: variant(goneDelta) } } }),
    },
    history: [{ supersededAt: '2026-01-01T00:00:00.000Z', id: 'previous', dropped: [old, oldDelta] }],
  })
  await put('convoy-manifest.json', Buffer.from(serializeManifest(manifest)))
  return {
    root,
    files,
    app: { served, old, oldHash, dcb, dcz, gzip: `${served}.gz`, br: `${served}.br` },
    sizes: { served: sizesServed, smallDcb, smallDcz, br: `${sizesServed}.br` },
    spaced,
    css: { served: cssServed, dictionaryHash: cssDictionary, missingDelta },
    plain,
    gone: { served: gone, delta: goneDelta },
  }
}

let fixture: DeltaFixture
const opened: StaticFiles[] = []
beforeAll(async () => {
  fixture = await buildFixture()
})
afterAll(async () => {
  for (const files of opened) files.close()
  await rm(fixture.root, { recursive: true, force: true })
})

async function open(options: Partial<StaticFilesOptions> = {}): Promise<StaticFiles> {
  const files = createStaticFiles({ root: fixture.root, prefix: PREFIX, watch: false, ...options } as StaticFilesOptions)
  opened.push(files)
  await files.ready
  return files
}

let shared: StaticFiles | undefined
const files = async (): Promise<StaticFiles> => (shared ??= await open())

/** The answer to a request for `path` (a storage path) with `headers` (lower-case names). */
async function ask(path: string, headers: Record<string, string> = {}, method = 'GET', using?: StaticFiles): Promise<StaticAnswer> {
  const core = using ?? (await files())
  return core.answer({ method, url: `${PREFIX}${path.split('/').map(encodeURIComponent).join('/')}`, header: (name) => headers[name] })
}

/** The headers of an answer as an object (names as the core writes them). */
function headersOf(answer: StaticAnswer): Record<string, string> {
  if (answer.kind !== 'file' && answer.kind !== 'reply') throw new Error(`expected a file or a reply, got ${JSON.stringify(answer)}`)
  const headers: Record<string, string> = {}
  for (let i = 0; i < answer.headers.length; i += 2) headers[answer.headers[i]!] = answer.headers[i + 1]!
  return headers
}

function fileAnswer(answer: StaticAnswer): FileAnswer {
  if (answer.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(answer)}`)
  return answer
}

async function bodyOf(answer: FileAnswer): Promise<Buffer> {
  const { body } = answer
  if (body === undefined) return Buffer.alloc(0)
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const available = (hash: string): string => `:${hash}:`
const bytes = (path: string): Buffer => fixture.files.get(path)!
// Relative to the file's own URL, where a browser resolves it: whatever prefix or mount the files are served under.
const USE_AS_DICTIONARY_APP = 'match="app.*.cmin.js", match-dest=("script")'

/** Which file an answer sent: the storage path whose bytes its body is (HEAD and 304 have none: by Content-Length). */
async function sentFile(answer: StaticAnswer, candidates: readonly string[]): Promise<string> {
  const body = await bodyOf(fileAnswer(answer))
  const found = candidates.filter((path) => bytes(path).equals(body))
  if (found.length !== 1) throw new Error(`the body is not exactly one of ${candidates.join(', ')}`)
  return found[0]!
}

describe('a request that holds the dictionary and accepts a delta coding', () => {
  it('gets the delta: Content-Encoding, its own ETag and length, the type, caching, Vary and Use-As-Dictionary of the file', async () => {
    const { app } = fixture
    const [dcb, dcz] = [bytes(app.dcb), bytes(app.dcz)]
    const smaller = dcb.length <= dcz.length ? 'dcb' : 'dcz'
    const answer = fileAnswer(await ask(app.served, { 'accept-encoding': 'gzip, deflate, br, zstd, dcb, dcz', 'available-dictionary': available(app.oldHash) }))
    const headers = headersOf(answer)
    expect(answer.status).toBe(200)
    expect(headers).toMatchObject({
      'Content-Encoding': smaller,
      'Content-Type': JS_TYPE,
      'Content-Length': String(bytes(smaller === 'dcb' ? app.dcb : app.dcz).length),
      'Cache-Control': IMMUTABLE,
      Vary: DICTIONARY_VARY,
      'Use-As-Dictionary': USE_AS_DICTIONARY_APP,
      'X-Content-Type-Options': 'nosniff',
    })
    expect(headers['Accept-Ranges'], 'a delta is never ranged').toBeUndefined()
    expect(answer.vary).toBe(true)
    expect((await bodyOf(answer)).equals(bytes(smaller === 'dcb' ? app.dcb : app.dcz))).toBe(true)
    const plain = headersOf(await ask(app.served, { 'accept-encoding': 'br' }))
    expect(headers.ETag).not.toBe(plain.ETag)
  })

  it.each<DeltaEncoding>(['dcb', 'dcz'])('gets the %s delta when it names only that coding', async (coding) => {
    const { app } = fixture
    const answer = await ask(app.served, { 'accept-encoding': `br, ${coding}`, 'available-dictionary': available(app.oldHash) })
    expect(headersOf(answer)['Content-Encoding']).toBe(coding)
    expect(await sentFile(answer, [app.dcb, app.dcz, app.br])).toBe(coding === 'dcb' ? app.dcb : app.dcz)
  })

  it.each<DeltaEncoding>(['dcb', 'dcz'])('sends a %s delta that decodes to the file with the dictionary (where this Node.js makes them)', async (coding) => {
    const { app } = fixture
    if (!REAL[coding]) {
      // Without the encoder the fixture holds bytes of the right shape: serving them is all the rest of this file checks.
      expect(DELTA_ENCODERS[coding].unavailable()).toEqual(expect.any(String))
      return
    }
    const answer = fileAnswer(await ask(app.served, { 'accept-encoding': coding, 'available-dictionary': available(app.oldHash) }))
    expect(Buffer.from(DELTA_ENCODERS[coding].decode(await bodyOf(answer), bytes(app.old))).equals(bytes(app.served))).toBe(true)
  })

  it('streams a delta too big for the memory cache', async () => {
    const { app } = fixture
    const streaming = await open({ memoryCacheBytes: 0 })
    const answer = fileAnswer(await ask(app.served, { 'accept-encoding': 'dcz', 'available-dictionary': available(app.oldHash) }, 'GET', streaming))
    expect(answer.body).not.toBeInstanceOf(Uint8Array)
    expect((await bodyOf(answer)).equals(bytes(app.dcz))).toBe(true)
    expect(headersOf(answer)['Content-Length']).toBe(String(bytes(app.dcz).length))
  })

  it('serves deltas from a Storage as from a directory', async () => {
    const { app } = fixture
    const storage = createMemoryStorage(fixture.files)
    const fromStorage = await open({ root: undefined, storage })
    const answer = fileAnswer(await ask(app.served, { 'accept-encoding': 'dcb', 'available-dictionary': available(app.oldHash) }, 'GET', fromStorage))
    expect(headersOf(answer)).toMatchObject({ 'Content-Encoding': 'dcb', Vary: DICTIONARY_VARY, 'Use-As-Dictionary': USE_AS_DICTIONARY_APP })
    expect((await bodyOf(answer)).equals(bytes(app.dcb))).toBe(true)
  })
})

describe('q-values and sizes', () => {
  /** Accept-Encoding, the dictionary held (`dcb`: the one whose dcb delta is smaller), and the coding sent. */
  const CASES: readonly (readonly [acceptEncoding: string, held: 'small dcb' | 'small dcz', expected: string | 406])[] = [
    ['dcb, dcz', 'small dcb', 'dcb'],
    ['dcb, dcz', 'small dcz', 'dcz'],
    ['br, dcb, dcz', 'small dcz', 'dcz'],
    ['dcb;q=0.5, dcz', 'small dcb', 'dcz'],
    ['dcb, dcz;q=0.5', 'small dcz', 'dcb'],
    ['br, dcb;q=0.9, dcz;q=0.9', 'small dcb', 'br'],
    ['br;q=0.5, dcb;q=0.5', 'small dcb', 'dcb'],
    ['dcb;q=0, dcz', 'small dcb', 'dcz'],
    ['br, dcb, dcz;q=0', 'small dcz', 'dcb'],
    ['dcb;q=0, dcz;q=0, br', 'small dcb', 'br'],
    ['*', 'small dcb', 'br'],
    ['*;q=0.1, dcz;q=0.2', 'small dcb', 'dcz'],
    ['identity;q=0, dcz', 'small dcb', 'dcz'],
    ['DCB', 'small dcb', 'dcb'],
    ['identity;q=0', 'small dcb', 406],
    ['identity;q=0, dcb;q=0', 'small dcb', 406],
  ]

  it.each(CASES)('Accept-Encoding %j holding the dictionary where %s is smaller → %s', async (acceptEncoding, held, expected) => {
    const { sizes } = fixture
    const answer = await ask(sizes.served, { 'accept-encoding': acceptEncoding, 'available-dictionary': available(held === 'small dcb' ? sizes.smallDcb : sizes.smallDcz) })
    const headers = headersOf(answer)
    expect(headers.Vary).toBe(DICTIONARY_VARY)
    if (expected === 406) {
      expect(answer).toMatchObject({ kind: 'reply', status: 406 })
      return
    }
    expect([answer.kind === 'file' && answer.status, headers['Content-Encoding']]).toEqual([200, expected])
    const hash = held === 'small dcb' ? sizes.smallDcb : sizes.smallDcz
    const path = expected === 'br' ? sizes.br : deltaPath(sizes.served, hash, expected as DeltaEncoding)
    expect((await bodyOf(fileAnswer(answer))).equals(bytes(path))).toBe(true)
  })
})

describe('requests that get today\'s negotiation, with the Vary and Use-As-Dictionary of the URL', () => {
  const OTHER_HASH = dictionaryHash(Buffer.from('a dictionary nobody made a delta against'))
  it.each<[string, Record<string, string>, string | undefined]>([
    ['an unknown dictionary hash', { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': available(OTHER_HASH) }, 'br'],
    ['the hash of the current version itself', { 'accept-encoding': 'gzip, dcb, dcz', 'available-dictionary': available(dictionaryHash(script(2))) }, 'gzip'],
    ['no Available-Dictionary', { 'accept-encoding': 'br, dcb, dcz' }, 'br'],
    ['no Accept-Encoding at all', { 'available-dictionary': ':x:' }, undefined],
    ['the hash without its colons', { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': '' }, 'br'],
    ['a malformed Available-Dictionary (not a byte sequence)', { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': 'abc' }, 'br'],
    ['an Available-Dictionary of 4 bytes', { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': ':dGVzdA==:' }, 'br'],
    ['two Available-Dictionary headers (a list)', { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': '' }, 'br'],
    ['dcb and dcz not named', { 'accept-encoding': 'gzip, br, zstd', 'available-dictionary': '' }, 'br'],
    ['dcb and dcz refused', { 'accept-encoding': 'br, dcb;q=0, dcz;q=0', 'available-dictionary': '' }, 'br'],
  ])('%s', async (title, headers, expected) => {
    const { app } = fixture
    // The rows whose header is '' hold the dictionary a delta exists for, in the form the title says.
    const held =
      headers['available-dictionary'] !== ''
        ? headers
        : {
            ...headers,
            'available-dictionary': title.startsWith('the hash without')
              ? app.oldHash
              : title.startsWith('two')
                ? `${available(app.oldHash)}, ${available(app.oldHash)}`
                : available(app.oldHash),
          }
    const answer = fileAnswer(await ask(app.served, held))
    const sent = headersOf(answer)
    expect([answer.status, sent['Content-Encoding']]).toEqual([200, expected])
    expect(sent.Vary).toBe(DICTIONARY_VARY)
    expect(sent['Use-As-Dictionary']).toBe(USE_AS_DICTIONARY_APP)
    const path = expected === 'br' ? app.br : expected === 'gzip' ? app.gzip : app.served
    expect((await bodyOf(answer)).equals(bytes(path))).toBe(true)
  })

  it('a Range request gets a range of the file, never a delta', async () => {
    const { app } = fixture
    const answer = fileAnswer(await ask(app.served, { 'accept-encoding': 'dcb, dcz', 'available-dictionary': available(app.oldHash), range: 'bytes=0-9' }))
    const headers = headersOf(answer)
    expect([answer.status, headers['Content-Encoding'], headers['Content-Range']]).toEqual([206, undefined, `bytes 0-9/${bytes(app.served).length}`])
    expect([headers.Vary, headers['Use-As-Dictionary']]).toEqual([DICTIONARY_VARY, USE_AS_DICTIONARY_APP])
    expect((await bodyOf(answer)).equals(bytes(app.served).subarray(0, 10))).toBe(true)
    // With br acceptable too, the br sibling as today (a compressed answer is never ranged).
    const br = fileAnswer(await ask(app.served, { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': available(app.oldHash), range: 'bytes=0-9' }))
    expect([br.status, headersOf(br)['Content-Encoding']]).toEqual([200, 'br'])
  })

  it('a HEAD request with a Range gets no delta either', async () => {
    const { app } = fixture
    const answer = fileAnswer(await ask(app.served, { 'accept-encoding': 'br, dcb', 'available-dictionary': available(app.oldHash), range: 'bytes=0-9' }, 'HEAD'))
    expect(headersOf(answer)['Content-Encoding']).toBe('br')
  })
})

describe('HEAD and conditional requests', () => {
  it('HEAD sends the delta\'s headers and no body', async () => {
    const { app } = fixture
    const held = { 'accept-encoding': 'dcz', 'available-dictionary': available(app.oldHash) }
    const get = fileAnswer(await ask(app.served, held))
    const head = fileAnswer(await ask(app.served, held, 'HEAD'))
    expect([head.status, head.body]).toEqual([200, undefined])
    expect(head.headers).toEqual(get.headers)
    expect(headersOf(head)).toMatchObject({ 'Content-Encoding': 'dcz', 'Content-Length': String(bytes(app.dcz).length) })
  })

  it('If-None-Match with the delta\'s ETag → 304 with that ETag, Vary and Use-As-Dictionary, when the delta is what would be sent', async () => {
    const { app } = fixture
    const held = { 'accept-encoding': 'br, dcb', 'available-dictionary': available(app.oldHash) }
    const etag = headersOf(await ask(app.served, held)).ETag!
    const again = fileAnswer(await ask(app.served, { ...held, 'if-none-match': etag }))
    expect([again.status, again.body]).toEqual([304, undefined])
    expect(headersOf(again)).toMatchObject({ ETag: etag, 'Cache-Control': IMMUTABLE, Vary: DICTIONARY_VARY, 'Use-As-Dictionary': USE_AS_DICTIONARY_APP })
    expect(headersOf(again)['Content-Type']).toBeUndefined()
    // Without the dictionary the br sibling would be sent: another representation, so its tag does not match.
    const without = fileAnswer(await ask(app.served, { 'accept-encoding': 'br, dcb', 'if-none-match': etag }))
    expect([without.status, headersOf(without)['Content-Encoding']]).toEqual([200, 'br'])
  })

  it('If-Match with another tag → 412, whatever is chosen', async () => {
    const { app } = fixture
    expect(await ask(app.served, { 'accept-encoding': 'dcb', 'available-dictionary': available(app.oldHash), 'if-match': '"other"' })).toMatchObject({ kind: 'reply', status: 412 })
  })
})

describe('Vary and Use-As-Dictionary', () => {
  it('every answer for a URL with a dictionary or deltas varies on Accept-Encoding and Available-Dictionary', async () => {
    const { app } = fixture
    const held = available(app.oldHash)
    const answers: [string, StaticAnswer][] = [
      ['200 identity', await ask(app.served)],
      ['200 br', await ask(app.served, { 'accept-encoding': 'br' })],
      ['200 delta', await ask(app.served, { 'accept-encoding': 'dcb', 'available-dictionary': held })],
      ['206', await ask(app.served, { range: 'bytes=1-2' })],
      ['304', await ask(app.served, { 'if-none-match': '*' })],
      ['406', await ask(app.served, { 'accept-encoding': 'identity;q=0' })],
      ['416', await ask(app.served, { range: 'bytes=999999-' })],
    ]
    for (const [what, answer] of answers) {
      expect([what, headersOf(answer).Vary]).toEqual([what, DICTIONARY_VARY])
      const status = answer.kind === 'file' ? answer.status : answer.kind === 'reply' ? answer.status : 0
      expect([what, status]).toEqual([what, Number(what.slice(0, 3))])
      // Use-As-Dictionary on the answers that carry the file (or stand for it), not on the short error replies.
      expect([what, headersOf(answer)['Use-As-Dictionary']]).toEqual([what, status < 400 ? USE_AS_DICTIONARY_APP : undefined])
    }
  })

  it('percent-encodes and escapes the pattern of a name that needs it', async () => {
    const headers = headersOf(await ask(fixture.spaced))
    // The sf-string escapes the backslashes that escape URLPattern's parentheses.
    expect(headers['Use-As-Dictionary']).toBe('match="my%20app%20\\\\(v2\\\\).*.cmin.js", match-dest=("script")')
    // A dictionary without deltas or siblings: still Vary, so that a later delta is never hidden by a cached answer.
    expect(headers.Vary).toBe(DICTIONARY_VARY)
    expect(headers['Content-Encoding']).toBeUndefined()
  })

  it('sends the same relative pattern under any prefix (an Express mount strips the prefix before serve sees it)', async () => {
    const atRoot = await open({ prefix: '/' })
    const answer = await atRoot.answer({ method: 'GET', url: `/${fixture.app.served}`, header: () => undefined })
    expect(headersOf(answer)['Use-As-Dictionary']).toBe(USE_AS_DICTIONARY_APP)
  })

  it('names a stylesheet\'s destination style', async () => {
    const headers = headersOf(await ask(fixture.css.served, { 'accept-encoding': 'gzip' }))
    expect(headers).toMatchObject({ 'Use-As-Dictionary': 'match="site.*.css", match-dest=("style")', Vary: DICTIONARY_VARY, 'Content-Encoding': 'gzip' })
  })

  it('adds nothing to a file without a dictionary or deltas', async () => {
    const negotiated = headersOf(await ask(fixture.plain, { 'accept-encoding': 'br, dcb', 'available-dictionary': available(fixture.app.oldHash) }))
    expect([negotiated.Vary, negotiated['Use-As-Dictionary'], negotiated['Content-Encoding']]).toEqual(['Accept-Encoding', undefined, 'br'])
    const earlier = fileAnswer(await ask(fixture.app.old, { 'accept-encoding': 'dcb', 'available-dictionary': available(fixture.app.oldHash) }))
    expect([earlier.status, earlier.vary, headersOf(earlier)['Use-As-Dictionary'], headersOf(earlier)['Content-Encoding']]).toEqual([200, false, undefined, undefined])
    const sibling = headersOf(await ask(fixture.app.br))
    expect([sibling.Vary, sibling['Use-As-Dictionary'], sibling['Content-Encoding']]).toEqual([undefined, undefined, 'br'])
  })

  it('merges into a Vary an earlier middleware set, through serveStatic', async () => {
    const serve = serveStatic({ root: fixture.root, prefix: PREFIX, watch: false })
    await serve.ready
    const server = await listen((req, res) => {
      res.setHeader('Vary', 'Origin, accept-encoding')
      serve(req, res, () => res.writeHead(404).end())
    })
    try {
      const reply = await request(server.port, `${PREFIX}${fixture.app.served}`, { headers: { 'accept-encoding': 'dcb', 'available-dictionary': available(fixture.app.oldHash) } })
      expect([reply.status, reply.headers['content-encoding'], reply.headers.vary]).toEqual([200, 'dcb', 'Origin, accept-encoding, Available-Dictionary'])
      expect(reply.headers['use-as-dictionary']).toBe(USE_AS_DICTIONARY_APP)
      expect(reply.body.equals(bytes(fixture.app.dcb))).toBe(true)
    } finally {
      serve.close()
      await server.close()
    }
  })
})

describe('delta files', () => {
  it.each([
    ['a current delta', () => fixture.app.dcb],
    ['another current delta', () => fixture.app.dcz],
    ['a delta of a file the manifest gives two dictionaries', () => deltaPath(fixture.sizes.served, fixture.sizes.smallDcz, 'dcz')],
    ['a delta an earlier version named', () => deltaPath(fixture.app.old, dictionaryHash(Buffer.from('v0')), 'dcb')],
  ])('%s is not served by its own URL (404), even after its file was', async (_, path) => {
    expect(await ask(path(), { 'accept-encoding': 'dcb, dcz', 'available-dictionary': available(fixture.app.oldHash) })).toEqual({ kind: 'miss', status: 404 })
    await ask(fixture.app.served)
    await ask(fixture.sizes.served)
    expect(await ask(path())).toEqual({ kind: 'miss', status: 404 })
  })

  it('are not served by their own URL without a manifest either', async () => {
    const listed = await open({ manifest: false })
    expect(await ask(fixture.app.dcb, {}, 'GET', listed)).toEqual({ kind: 'miss', status: 404 })
    // Nor offered: without a manifest nothing says which dictionary a delta is made against.
    const answer = await ask(fixture.app.served, { 'accept-encoding': 'br, dcb', 'available-dictionary': available(fixture.app.oldHash) }, 'GET', listed)
    expect([headersOf(answer)['Content-Encoding'], headersOf(answer).Vary, headersOf(answer)['Use-As-Dictionary']]).toEqual(['br', 'Accept-Encoding', undefined])
  })

  it('the delta of a file that is missing is not served either, before or after the file is looked for', async () => {
    const { gone } = fixture
    const held = { 'accept-encoding': 'dcb', 'available-dictionary': available(fixture.app.oldHash) }
    expect(await ask(gone.delta, held)).toEqual({ kind: 'miss', status: 404 })
    expect(await ask(gone.served, held)).toEqual({ kind: 'miss', status: 404 })
    expect(await ask(gone.delta, held)).toEqual({ kind: 'miss', status: 404 })
    // In an index whose first request is the file's, too.
    const fresh = await open()
    expect(await ask(gone.served, held, 'GET', fresh)).toEqual({ kind: 'miss', status: 404 })
    expect(await ask(gone.delta, held, 'GET', fresh)).toEqual({ kind: 'miss', status: 404 })
  })

  it('a delta missing on disk is simply not offered', async () => {
    const { css } = fixture
    const answer = fileAnswer(await ask(css.served, { 'accept-encoding': 'gzip, dcz', 'available-dictionary': available(css.dictionaryHash) }))
    expect([answer.status, headersOf(answer)['Content-Encoding'], headersOf(answer).Vary]).toEqual([200, 'gzip', DICTIONARY_VARY])
  })

  it('a delta deleted before its file was first asked for is not offered, the other coding is', async () => {
    const { app } = fixture
    await unlink(join(fixture.root, ...app.dcz.split('/')))
    try {
      const fresh = await open()
      const answer = await ask(app.served, { 'accept-encoding': 'dcb;q=0.5, dcz', 'available-dictionary': available(app.oldHash) }, 'GET', fresh)
      expect(headersOf(answer)['Content-Encoding']).toBe('dcb')
      const only = await ask(app.served, { 'accept-encoding': 'br, dcz', 'available-dictionary': available(app.oldHash) }, 'GET', fresh)
      expect(headersOf(only)['Content-Encoding']).toBe('br')
    } finally {
      await writeFile(join(fixture.root, ...app.dcz.split('/')), bytes(app.dcz))
    }
  })
})

describe('development (sources)', () => {
  it('sends no delta, Vary on Available-Dictionary or Use-As-Dictionary', async () => {
    const sources = createStaticFiles({ sources: [fixture.root], prefix: PREFIX })
    await sources.ready
    const answer = await ask(fixture.app.served, { 'accept-encoding': 'br, dcb, dcz', 'available-dictionary': available(fixture.app.oldHash) }, 'GET', sources)
    const headers = headersOf(answer)
    expect([headers['Content-Encoding'], headers['Use-As-Dictionary'], headers['Cache-Control']]).toEqual([undefined, undefined, 'no-cache'])
    expect(headers.Vary ?? '').not.toMatch(/available-dictionary/i)
    expect((await bodyOf(fileAnswer(answer))).equals(bytes(fixture.app.served))).toBe(true)
  })
})
