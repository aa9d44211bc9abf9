// Flaky networks: the real SDK through a fault-injecting proxy (src/test/fault-proxy.ts) in front of the local
// S3-compatible server. Resets, 503 SlowDown, 500 InternalError and stalls are retried; a stall ends within the
// timeout; a deploy through faults publishes every object intact; one whose retries run out keeps the old manifest.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import type * as Core from '@convoy/core'
import type * as Pipeline from '@convoy/core/collect'
import { type ConvoyError } from '@convoy/errors'
import { rejection } from './test/rejection.js'
import { storagePathsOf } from '@convoy/manifest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Storage, type S3StorageOptions } from './index.js'
import { FAULTS, type Fault, type FaultProxy, type ProxiedRequest, startFaultProxy } from './test/fault-proxy.js'
import { BUCKET, CREDENTIALS, createTestClient, startS3Server, type TestS3Server, uniquePrefix } from './test/s3-server.js'

/** Timeouts of the storages under test: small, so stalls cost little. */
const REQUEST_TIMEOUT = 600

let pipeline: typeof Pipeline
let server: TestS3Server
let proxy: FaultProxy
let work: string
/** Faults injected and retried over the whole file, for the one line of output. */
const totals = { injected: Object.fromEntries(FAULTS.map((fault) => [fault, 0])) as Record<Fault, number>, retried: 0, requests: 0 }

beforeAll(async () => {
  pipeline = await import('@convoy/core/collect')
  server = await startS3Server()
  proxy = await startFaultProxy(server.port)
  work = await mkdtemp(join(tmpdir(), 'convoy-s3-faults-'))
})

/** Adds the proxy's counts to the totals and clears them. */
function tally(): void {
  for (const fault of FAULTS) totals.injected[fault] += proxy.counts.injected[fault]
  totals.retried += proxy.counts.retried
  totals.requests += proxy.counts.requests
  proxy.clear()
}

afterAll(async () => {
  if (proxy !== undefined) {
    tally()
    const injected = FAULTS.reduce((sum, fault) => sum + totals.injected[fault], 0)
    console.log(`[fault-injection] faults injected: ${injected} (${FAULTS.map((fault) => `${fault} ${totals.injected[fault]}`).join(', ')}); faults retried: ${totals.retried}; requests through the proxy: ${totals.requests}`)
    await proxy.close()
  }
  await server?.dispose()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

function storageVia(prefix: string, options: Partial<S3StorageOptions> = {}): Core.Storage {
  return createS3Storage({
    bucket: BUCKET,
    prefix,
    endpoint: proxy.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    requestTimeout: REQUEST_TIMEOUT,
    connectionTimeout: 2000,
    maxAttempts: 4,
    ...options,
  })
}

/** The storage on the server itself, not through the proxy, to check what landed. */
function direct(prefix: string): Core.Storage {
  return createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(server).client })
}

/** Injects `fault` into the first request `matches` accepts, once. */
function once(matches: (request: ProxiedRequest) => boolean, fault: Fault): void {
  let fired = false
  proxy.decide = (request) => {
    if (fired || !matches(request)) return undefined
    fired = true
    return fault
  }
}

const objectTarget = (prefix: string, path: string) => (request: ProxiedRequest) => request.target.split('?')[0] === `/${BUCKET}/${prefix}/${path}`


function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  let state = seed
  for (let index = 0; index < size; index++) {
    state = (state * 1103515245 + 12345) >>> 0
    bytes[index] = state >>> 24
  }
  return bytes
}

/** Counts the requests that reach the server (after the proxy), by method and key. */
function arrivals(): { count: (method: string, key: string) => number; stop: () => void } {
  const seen: string[] = []
  server.onRequest = (request: IncomingMessage) => seen.push(`${request.method ?? ''} ${(request.url ?? '').split('?')[0]}`)
  return {
    count: (method, key) => seen.filter((entry) => entry === `${method} /${BUCKET}/${key}`).length,
    stop: () => {
      server.onRequest = undefined
    },
  }
}

describe('one fault on one request: retried, and the operation succeeds', () => {
  for (const fault of FAULTS) {
    it(`${fault}: write, read, stat, list and delete each succeed`, async () => {
      const prefix = uniquePrefix(`one-${fault}`)
      const storage = storageVia(prefix)
      const check = direct(prefix)
      const expectRetried = (operation: string): void => {
        expect(proxy.counts.injected[fault], `${operation}: the fault was injected`).toBe(1)
        expect(proxy.counts.retried, `${operation}: the faulted request was sent again`).toBe(1)
        tally()
      }
      const body = `hello through ${fault}\n`.repeat(50)

      once((request) => request.method === 'PUT' && objectTarget(prefix, 'a.txt')(request), fault)
      await storage.write('a.txt', body, { contentType: 'text/plain; charset=utf-8' })
      expect(Buffer.from((await check.read('a.txt'))!).toString('utf8')).toBe(body)
      expectRetried('write')

      once((request) => request.method === 'GET' && objectTarget(prefix, 'a.txt')(request), fault)
      expect(Buffer.from((await storage.read('a.txt'))!).toString('utf8')).toBe(body)
      expectRetried('read')

      once((request) => request.method === 'HEAD' && objectTarget(prefix, 'a.txt')(request), fault)
      expect(await storage.stat('a.txt')).toMatchObject({ path: 'a.txt', size: Buffer.byteLength(body) })
      expectRetried('stat')

      once((request) => request.method === 'GET' && request.target.includes('list-type=2'), fault)
      const listed: string[] = []
      for await (const entry of storage.list()) listed.push(entry.path)
      expect(listed).toEqual(['a.txt'])
      expectRetried('list')

      once((request) => request.method === 'DELETE' && objectTarget(prefix, 'a.txt')(request), fault)
      await storage.delete('a.txt')
      expect(await check.exists('a.txt')).toBe(false)
      expectRetried('delete')
    })
  }
})

describe('a reset in the middle of an upload body: the retry sends the whole body again', () => {
  const cases: [label: string, size: number, body: (bytes: Buffer, file: string) => Core.StorageBody, options?: Partial<S3StorageOptions>][] = [
    ['a stream', 1024 * 1024, (bytes) => Readable.from((function* () { for (let offset = 0; offset < bytes.byteLength; offset += 64 * 1024) yield bytes.subarray(offset, offset + 64 * 1024) })())],
    ['a file stream (what collect gives for { file } bodies)', 3 * 1024 * 1024 + 17, (_bytes, file) => createReadStream(file)],
    ['bytes', 512 * 1024, (bytes) => bytes],
    ['a multipart upload (the second part is cut)', 11 * 1024 * 1024, (_bytes, file) => createReadStream(file), { partSize: 5 * 1024 * 1024 }],
  ]
  for (const [label, size, body, options] of cases) {
    it(label, async () => {
      const prefix = uniquePrefix('midbody')
      const bytes = patterned(size, size)
      const file = join(work, `${prefix}.bin`)
      await writeFile(file, bytes)
      const multipart = options?.partSize !== undefined
      once((request) => request.method === 'PUT' && objectTarget(prefix, 'big.bin')(request) && (!multipart || /[?&]partNumber=2(&|$)/.test(request.target)), 'reset-request')
      const seen = arrivals()
      try {
        await storageVia(prefix, { requestTimeout: 5000, ...options }).write('big.bin', body(bytes, file))
      } finally {
        seen.stop()
      }
      expect(proxy.cuts, 'the first attempt was cut in the middle of its body').toHaveLength(1)
      const [cutOff] = proxy.cuts
      expect(cutOff!.forwarded).toBeGreaterThan(0)
      expect(cutOff!.forwarded).toBeLessThan(cutOff!.length)
      expect(seen.count('PUT', `${prefix}/big.bin`), 'the server saw the cut attempt and the retry').toBe(multipart ? 4 : 2)
      expect(proxy.counts.retried).toBe(1)
      tally()
      const stored = await direct(prefix).read('big.bin')
      expect(stored?.byteLength, 'the stored object is whole').toBe(size)
      expect(sha(stored!), 'the stored object has the bytes written').toBe(sha(bytes))
    })
  }
})

describe('a stalled socket', () => {
  it('fails within the configured timeout and its retries, never hangs; the error names the key, the cause and the attempts', async () => {
    const prefix = uniquePrefix('stall')
    await direct(prefix).write('a.txt', 'a')
    proxy.decide = () => 'stall'
    const storage = storageVia(prefix, { requestTimeout: 300, maxAttempts: 2 })
    try {
      for (const [operation, call] of [
        ['read', () => storage.read('a.txt')],
        ['write', () => storage.write('a.txt', 'b')],
      ] as const) {
        const started = Date.now()
        const error = await rejection(call())
        const took = Date.now() - started
        expect(error.code).toBe('ERR_CONVOY_STORAGE')
        expect(error.message).toMatch(new RegExp(`^@convoy/storage-s3: cannot ${operation} a\\.txt (from|to) s3://${BUCKET}/${prefix}: TimeoutError: .*300 ms of inactivity.* \\(key ${prefix}/a\\.txt, 2 attempts\\)$`))
        expect(error.cause).toMatchObject({ name: 'TimeoutError' })
        // Two attempts of 300 ms each and one short backoff; far below any hang.
        expect(took, `${operation} took ${took} ms`).toBeGreaterThanOrEqual(2 * 300 - 50)
        expect(took, `${operation} took ${took} ms`).toBeLessThan(5000)
        expect(proxy.counts.injected.stall).toBe(2)
        tally()
      }
    } finally {
      proxy.decide = () => undefined
    }
    expect(Buffer.from((await direct(prefix).read('a.txt'))!).toString('utf8'), 'the stalled write changed nothing').toBe('a')
  })
})

// ---- collect() through faults --------------------------------------------------------------------------------------

async function writeTree(root: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), body)
  }
}

/** A site of `count` CSS and JS files, long enough to be compressed, each different. */
function site(count: number, salt: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (let index = 0; index < count; index++) {
    const rules = Array.from({ length: 30 }, (_, rule) => `.item-${salt}-${index}-${rule} { color: #${((index * 31 + rule) * 4099).toString(16).padStart(6, '0').slice(0, 6)}; margin: ${rule}px; }`)
    files[`css/page-${index}.css`] = `${rules.join('\n')}\n`
    files[`js/page-${index}.js`] = `${Array.from({ length: 20 }, (_, fn) => `export function run${fn}(value) {\n  return value * ${index + fn} + ${JSON.stringify(`${salt}-${fn}`)}\n}`).join('\n\n')}\n`
  }
  return files
}

function processing(): Omit<Pipeline.CollectOptions, 'sources' | 'storage'> {
  // No deploy deltas: they follow the history of the storage, and the runs here are compared with a reference
  // collected without one (expectIntact).
  return { minify: true, compress: { deltas: false }, useExistingMin: true, rewriteJsModules: false, baseUrl: '/static/', runner: pipeline.createInlineRunner(), cache: pipeline.NO_CACHE }
}

interface ManifestEntry {
  readonly served: string
  readonly fingerprinted: string
  readonly map?: string
  readonly encodings?: { readonly gzip?: { readonly path: string }; readonly br?: { readonly path: string } }
}

/**
 * Every object the manifest names is on the server and intact: the same bytes as a collect of the same tree straight
 * to the server (no proxy) gives, originals equal to their source, compressed siblings inflating to the served file.
 */
async function expectIntact(prefix: string, sourceDirectory: string, source: Readonly<Record<string, string>>): Promise<number> {
  const storage = direct(prefix)
  const reference = direct(`${prefix}-reference`)
  await pipeline.collect({ sources: [sourceDirectory], storage: reference, ...processing() })
  const manifest = await pipeline.readManifest(storage)
  expect(Object.keys(manifest.files).sort()).toEqual(Object.keys(source).sort())
  const paths = storagePathsOf(manifest)
  expect(paths, 'the same objects as a collect without faults').toEqual(new Set(storagePathsOf(await pipeline.readManifest(reference))))
  for (const path of paths) {
    if (path === 'convoy-manifest.json') continue
    const [bytes, expected] = await Promise.all([storage.read(path), reference.read(path)])
    expect(bytes, `${path} is stored`).not.toBeNull()
    expect(sha(bytes!), `${path} has the bytes a collect without faults stores`).toBe(sha(expected!))
  }
  for (const [logical, entry] of Object.entries(manifest.files as Record<string, ManifestEntry>)) {
    expect(Buffer.from((await storage.read(logical))!).toString('utf8'), `${logical} (the original)`).toBe(source[logical])
    const served = Buffer.from((await storage.read(entry.served))!)
    if (entry.encodings?.gzip !== undefined) expect(gunzipSync((await storage.read(entry.encodings.gzip.path))!).equals(served), `${entry.encodings.gzip.path} inflates to ${entry.served}`).toBe(true)
    if (entry.encodings?.br !== undefined) expect(brotliDecompressSync((await storage.read(entry.encodings.br.path))!).equals(served), `${entry.encodings.br.path} inflates to ${entry.served}`).toBe(true)
  }
  return paths.size
}

/** A stable choice of about one request in `every`, by method and target (the SDK's own query marker aside). */
function chosen(request: ProxiedRequest, every: number): boolean {
  const key = `${request.method} ${request.target.replace(/[?&]x-id=[^&]*/, '')}`
  return createHash('sha1').update(key).digest().readUInt32BE(0) % every === 0
}

describe('collect() through a faulty network', () => {
  it('with faults on about a quarter of the requests (each at most once, every kind), succeeds with every object intact', async () => {
    const prefix = uniquePrefix('collect-faults')
    const source = join(work, prefix)
    const files = site(12, 'faults')
    await writeTree(source, files)
    const faulted = new Set<string>()
    let next = 0
    proxy.decide = (request) => {
      const key = `${request.method} ${request.target.replace(/[?&]x-id=[^&]*/, '')}`
      if (faulted.has(key) || !chosen(request, 4)) return undefined
      faulted.add(key)
      return FAULTS[next++ % FAULTS.length]
    }
    const started = Date.now()
    try {
      const report = await pipeline.collect({ sources: [source], storage: storageVia(prefix, { requestTimeout: 1500 }), ...processing() })
      expect(report.written).toBeGreaterThan(60)
    } finally {
      proxy.decide = () => undefined
    }
    const injected = FAULTS.reduce((sum, fault) => sum + proxy.counts.injected[fault], 0)
    console.log(`[fault-injection] collect through faults: ${proxy.summary()}; ${Date.now() - started} ms`)
    expect(injected, 'faults were injected').toBeGreaterThan(15)
    for (const fault of FAULTS) expect(proxy.counts.injected[fault], `${fault} faults`).toBeGreaterThan(0)
    // Every injected fault was followed by the same request again.
    expect(proxy.counts.retried).toBe(injected)
    expect(injected / proxy.counts.requests, 'the fraction of requests faulted').toBeLessThan(0.4)
    tally()
    expect(await expectIntact(prefix, source, files)).toBeGreaterThan(90)
  }, 120_000)

  it('when every request fails, collect fails naming an object; the old manifest stays; the next run uploads only what is missing', async () => {
    const prefix = uniquePrefix('collect-down')
    const source = join(work, prefix)
    const first = site(4, 'one')
    await writeTree(source, first)
    await pipeline.collect({ sources: [source], storage: storageVia(prefix), ...processing() })
    const published = Buffer.from((await direct(prefix).read('convoy-manifest.json'))!)
    tally()

    const more = site(10, 'two')
    await writeTree(source, more)
    // The listing and the manifest read pass, and 25 uploads; then every request fails, one kind after another.
    let puts = 0
    let failing = 0
    proxy.decide = (request) => {
      if (request.method === 'PUT' && puts < 25) {
        puts += 1
        return undefined
      }
      if (puts < 25) return undefined
      return (['slow-down', 'reset-request', 'internal-error', 'reset-response'] as const)[failing++ % 4]
    }
    let error: ConvoyError
    try {
      error = await rejection(pipeline.collect({ sources: [source], storage: storageVia(prefix, { maxAttempts: 3 }), ...processing() }))
    } finally {
      proxy.decide = () => undefined
    }
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toContain('nothing was published (the previous manifest is still in force)')
    expect(error.message).toMatch(new RegExp(`@convoy/storage-s3: cannot write (\\S+) to s3://${BUCKET}/${prefix}: .* \\(key ${prefix}/\\S+, 3 attempts\\)`))
    console.log(`[fault-injection] collect with retries running out: ${proxy.summary()}`)
    expect(proxy.counts.injected['slow-down'] + proxy.counts.injected['reset-request'] + proxy.counts.injected['internal-error'] + proxy.counts.injected['reset-response']).toBeGreaterThan(0)
    tally()
    expect(Buffer.from((await direct(prefix).read('convoy-manifest.json'))!).equals(published), 'the previous manifest is still the current one').toBe(true)

    const present = new Set<string>()
    for await (const entry of direct(prefix).list()) present.add(entry.path)
    const named = new Set(storagePathsOf(await pipeline.readManifest(direct(prefix))))
    const fingerprinted = /\.[0-9a-f]{12}\./
    const strays = [...present].filter((path) => fingerprinted.test(path) && !named.has(path))
    expect(strays.length, 'the failed run had stored some new content-addressed objects').toBeGreaterThan(0)
    const uploaded: string[] = []
    server.onRequest = (request: IncomingMessage) => {
      if (request.method === 'PUT') uploaded.push((request.url ?? '').split('?')[0]!.slice(`/${BUCKET}/${prefix}/`.length))
    }
    let report: Pipeline.CollectReport
    try {
      report = await pipeline.collect({ sources: [source], storage: storageVia(prefix), ...processing() })
    } finally {
      server.onRequest = undefined
    }
    expect(uploaded, 'one PutObject per object written').toHaveLength(report.written)
    expect(uploaded.filter((path) => fingerprinted.test(path) && present.has(path)), 'content-addressed objects already stored, uploaded again').toEqual([])
    expect(FAULTS.reduce((sum, fault) => sum + proxy.counts.injected[fault], 0), 'no faults in the last run').toBe(0)
    tally()
    await expectIntact(prefix, source, { ...first, ...more })
  }, 120_000)
})
