import { createHash } from 'node:crypto'
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { serveStatic, type ServeStaticMiddleware, type ServeStaticOptions } from './serve-static.js'
import { SECRETS, countingStats, createMemoryStorage, request, sharedFixture, thrownBy } from './test-helpers.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
const CSS_TYPE = 'text/css; charset=utf-8'
const JS_TYPE = 'text/javascript; charset=utf-8'

const { fixture, listenWhenReady } = sharedFixture()
let counter = 0

afterEach(() => {
  vi.useRealTimers()
})

interface Bundle {
  readonly path: string
  readonly bytes: Buffer
  readonly gzip: Buffer
  readonly br: Buffer
}

/** A bundle as the carpool builder names it, with content no other test uses. */
function makeBundle(kind: 'css' | 'js'): Bundle {
  counter += 1
  const text =
    kind === 'css'
      ? Array.from({ length: 60 }, (_, i) => `.b${counter}-${i}{margin:${i}px}`).join('')
      : Array.from({ length: 60 }, (_, i) => `var b${counter}_${i}=${i};`).join('\n;\n')
  const bytes = Buffer.from(text)
  const hash = createHash('md5').update(bytes).digest('hex').slice(0, 12)
  return { path: `CARPOOL/${kind}/${hash}.cmin.${kind}`, bytes, gzip: gzipSync(bytes), br: brotliCompressSync(bytes) }
}

/** Writes like the builder: each file atomically, the siblings first, the bundle last. */
async function writeToRoot(bundle: Bundle, siblings: readonly ('gz' | 'br')[] = ['gz', 'br']): Promise<void> {
  const put = async (path: string, bytes: Buffer): Promise<void> => {
    const file = join(fixture.root, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(`${file}.tmp`, bytes)
    await rename(`${file}.tmp`, file)
  }
  if (siblings.includes('gz')) await put(`${bundle.path}.gz`, bundle.gzip)
  if (siblings.includes('br')) await put(`${bundle.path}.br`, bundle.br)
  await put(bundle.path, bundle.bytes)
}

async function writeToStorage(storage: ReturnType<typeof createMemoryStorage>, bundle: Bundle): Promise<void> {
  await storage.write(`${bundle.path}.gz`, bundle.gzip)
  await storage.write(`${bundle.path}.br`, bundle.br)
  await storage.write(bundle.path, bundle.bytes)
}

async function start(options: ServeStaticOptions): Promise<{ port: number; serve: ServeStaticMiddleware }> {
  const serve = serveStatic(options)
  const server = await listenWhenReady(serve, (res, error) => {
    res.writeHead(error === undefined ? 404 : 500, { 'content-type': 'text/plain' })
    res.end(error === undefined ? 'fallback' : 'error')
  })
  return { port: server.port, serve }
}

/** Asks for the CSS `bundle` with `acceptEncoding` and checks it comes back as brotli, immutable, typed, with Vary. */
async function expectBrotliCss(port: number, bundle: Bundle, acceptEncoding: string): Promise<void> {
  const br = await request(port, `/${bundle.path}`, { headers: { 'accept-encoding': acceptEncoding } })
  expect([br.status, br.headers['content-encoding'], br.headers.vary, br.headers['cache-control'], br.headers['content-type']]).toEqual([
    200,
    'br',
    'Accept-Encoding',
    IMMUTABLE,
    CSS_TYPE,
  ])
  expect(brotliDecompressSync(br.body).equals(bundle.bytes)).toBe(true)
}

/** Only `Date` is faked: sockets and file system timers run for real, the miss window moves when we say. */
function freezeClock(): (ms: number) => void {
  vi.useFakeTimers({ toFake: ['Date'] })
  return (ms) => vi.setSystemTime(Date.now() + ms)
}

/** Names that must never reach the file system or the storage, whatever is there. */
const NEVER_LOOKED_UP = [
  'CARPOOL/css/abc.cmin.js',
  'CARPOOL/css/abcdef.cmin.js',
  'CARPOOL/js/abcdef.cmin.css',
  'CARPOOL/css/abc.cmin.css',
  'CARPOOL/css/ABCDEF.cmin.css',
  'CARPOOL/img/abcdef.cmin.css',
  'CARPOOL/css/abcdef.cmin.css.map',
  'CARPOOL/css/abcdef.cmin.css.gz.gz',
  'CARPOOL/css/abcdef.cmin.css/',
  'CARPOOL/css/sub/abcdef.cmin.css',
  'carpool/css/abcdef.cmin.css',
  'CARPOOL/css/..%2f..%2fsecret.cmin.css',
  'CARPOOL/css/..%2F..%2F..%2Fsecret.cmin.css',
  'CARPOOL/css/%2e%2e/%2e%2e/secret.cmin.css',
  'CARPOOL/css/%252e%252e%252f%252e%252e%252fsecret.cmin.css',
  'CARPOOL/css/x/../../secret',
  'CARPOOL/css/x/../../../secret.cmin.css',
  'CARPOOL/css/../../../secret.cmin.css',
  'CARPOOL/css/abcdef.cmin.css%00',
  'CARPOOL/css/abcdef%00.cmin.css',
  'CARPOOL/css/abcdef.cmin.css%2f..%2f..%2f..%2fsecret.cmin.css',
  'CARPOOL\\css\\abcdef.cmin.css',
  'CARPOOL%5ccss%5cabcdef.cmin.css',
  'CARPOOL/css/%',
  '/CARPOOL/css/abcdef.cmin.css',
  'x/CARPOOL/css/abcdef.cmin.css',
  `CARPOOL/css/${'a'.repeat(65)}.cmin.css`,
]

describe('bundles written into a directory after start', () => {
  it('serves them immutable, typed and negotiated, with Vary', async () => {
    const { port } = await start({ root: fixture.root })
    const css = makeBundle('css')
    await writeToRoot(css)

    await expectBrotliCss(port, css, 'gzip, br')

    const gzip = await request(port, `/${css.path}`, { headers: { 'accept-encoding': 'gzip' } })
    expect([gzip.headers['content-encoding'], gzip.headers.vary]).toEqual(['gzip', 'Accept-Encoding'])
    expect(gunzipSync(gzip.body).equals(css.bytes)).toBe(true)

    const identity = await request(port, `/${css.path}`)
    expect([identity.headers['content-encoding'], identity.headers.vary, identity.headers['accept-ranges']]).toEqual([undefined, 'Accept-Encoding', 'bytes'])
    expect(identity.body.equals(css.bytes)).toBe(true)
    expect((await request(port, `/${css.path}`, { headers: { 'if-none-match': identity.headers.etag! } })).status).toBe(304)

    // The siblings by name, as for any other file: the inner type, with their Content-Encoding.
    const direct = await request(port, `/${css.path}.gz`)
    expect([direct.status, direct.headers['content-encoding'], direct.headers['content-type'], direct.headers['cache-control']]).toEqual([
      200,
      'gzip',
      CSS_TYPE,
      IMMUTABLE,
    ])
    expect(direct.body.equals(css.gzip)).toBe(true)
  })

  it('serves a JS bundle, and a sibling asked for first, negotiating only the siblings that exist', async () => {
    const { port } = await start({ root: fixture.root })
    const js = makeBundle('js')
    await writeToRoot(js, ['gz'])
    const direct = await request(port, `/${js.path}.gz`)
    expect([direct.status, direct.headers['content-type'], direct.headers['content-encoding']]).toEqual([200, JS_TYPE, 'gzip'])
    const br = await request(port, `/${js.path}`, { headers: { 'accept-encoding': 'br' } })
    expect([br.status, br.headers['content-type'], br.headers['content-encoding'], br.headers.vary]).toEqual([200, JS_TYPE, undefined, 'Accept-Encoding'])
    expect(br.body.equals(js.bytes)).toBe(true)
    expect((await request(port, `/${js.path}.br`)).body.toString()).toBe('fallback')
  })

  it('passes a missing bundle to next() and finds it once written, after the miss window', async () => {
    const advance = freezeClock()
    const { port } = await start({ root: fixture.root })
    const css = makeBundle('css')
    expect((await request(port, `/${css.path}`)).body.toString()).toBe('fallback')
    await writeToRoot(css)
    // The miss is remembered for dynamicLookupTtlMs (1000 by default), siblings included.
    expect((await request(port, `/${css.path}`)).body.toString()).toBe('fallback')
    expect((await request(port, `/${css.path}.br`)).body.toString()).toBe('fallback')
    advance(1001)
    const reply = await request(port, `/${css.path}`, { headers: { 'accept-encoding': 'br' } })
    expect([reply.status, reply.headers['content-encoding']]).toEqual([200, 'br'])
  })

  it('remembers no miss with dynamicLookupTtlMs: 0', async () => {
    const { port } = await start({ root: fixture.root, dynamicLookupTtlMs: 0 })
    const css = makeBundle('css')
    expect((await request(port, `/${css.path}`)).body.toString()).toBe('fallback')
    await writeToRoot(css)
    expect((await request(port, `/${css.path}`)).status).toBe(200)
  })

  it('rejects a dynamicLookupTtlMs that is not a whole number ≥ 0', () => {
    for (const dynamicLookupTtlMs of [-1, 1.5, Number.NaN]) {
      const caught = thrownBy(() => serveStatic({ root: fixture.root, dynamicLookupTtlMs }))
      expect(isConvoyError(caught) && caught.code).toBe('ERR_CONVOY_CONFIG')
    }
  })

  it('never looks up any other name, nor follows a bundle symlinked out of the root', async () => {
    // Files that would be served if these names reached the file system.
    for (const path of ['CARPOOL/css/abcdef.cmin.js', 'CARPOOL/js/abcdef.cmin.css', 'CARPOOL/css/ABCDEF.cmin.css', 'CARPOOL/css/abc.cmin.css', 'CARPOOL/css/abcdef.cmin.css.map', 'CARPOOL/css/sub/abcdef.cmin.css', 'CARPOOL/img/abcdef.cmin.css', 'carpool/css/abcdef.cmin.css', 'x/CARPOOL/css/abcdef.cmin.css']) {
      const file = join(fixture.root, ...path.split('/'))
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, SECRETS[0])
    }
    await writeFile(join(fixture.base, 'secret.cmin.css'), SECRETS[0])
    await writeFile(join(fixture.root, 'secret'), SECRETS[0])
    await writeFile(join(fixture.root, 'secret.cmin.css'), SECRETS[0])
    const escape = 'CARPOOL/css/0123456789ab.cmin.css'
    await symlink(join(fixture.base, 'secret.cmin.css'), join(fixture.root, ...escape.split('/')))

    const { port } = await start({ root: fixture.root, dynamicLookupTtlMs: 0 })
    for (const path of [...NEVER_LOOKED_UP, escape]) {
      const reply = await request(port, `/${path}`)
      expect([path, reply.status, reply.body.toString()]).toEqual([path, 404, 'fallback'])
    }
    // Lookups are on: a real bundle in the same server is found.
    const css = makeBundle('css')
    await writeToRoot(css)
    expect((await request(port, `/${css.path}`)).status).toBe(200)
  })

  it('keeps found bundles across reload() only while they exist', async () => {
    const { port, serve } = await start({ root: fixture.root, dynamicLookupTtlMs: 0 })
    const css = makeBundle('css')
    await writeToRoot(css)
    expect((await request(port, `/${css.path}`)).status).toBe(200)
    await serve.reload()
    const kept = await request(port, `/${css.path}`, { headers: { 'accept-encoding': 'br' } })
    expect([kept.status, kept.headers['content-encoding'], kept.headers['cache-control']]).toEqual([200, 'br', IMMUTABLE])
    for (const path of [css.path, `${css.path}.gz`, `${css.path}.br`]) await rm(join(fixture.root, ...path.split('/')))
    await serve.reload()
    expect((await request(port, `/${css.path}`)).body.toString()).toBe('fallback')
    expect((await request(port, `/${css.path}.br`)).body.toString()).toBe('fallback')
  })
})

describe('bundles written into a Storage after start', () => {
  const startCounted = async (
    options: Partial<ServeStaticOptions> = {},
  ): Promise<{ port: number; serve: ServeStaticMiddleware; memory: ReturnType<typeof createMemoryStorage>; stats: string[] }> => {
    const memory = createMemoryStorage(fixture.files)
    const { storage, stats } = countingStats(memory)
    const { port, serve } = await start({ ...options, storage } as ServeStaticOptions)
    stats.length = 0
    return { port, serve, memory, stats }
  }

  it.each([
    ['from memory', undefined],
    ['streamed through readStream', 0],
  ])('looks a bundle up with one stat, then its siblings, and serves it %s', async (_, memoryCacheBytes) => {
    const advance = freezeClock()
    const { port, memory, stats } = await startCounted(memoryCacheBytes === undefined ? {} : { memoryCacheBytes })
    const css = makeBundle('css')
    expect((await request(port, `/${css.path}`)).body.toString()).toBe('fallback')
    expect(stats).toEqual([css.path])
    await writeToStorage(memory, css)
    expect((await request(port, `/${css.path}.gz`)).body.toString()).toBe('fallback')
    expect(stats).toEqual([css.path])
    advance(1001)

    await expectBrotliCss(port, css, 'br, gzip')
    const gzip = await request(port, `/${css.path}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(gunzipSync(gzip.body).equals(css.bytes)).toBe(true)
    expect((await request(port, `/${css.path}`)).body.equals(css.bytes)).toBe(true)
    expect(stats).toEqual([css.path, css.path, `${css.path}.gz`, `${css.path}.br`, `${css.path}.zst`])

    // A bundle the manifest names is no lookup of a request-time bundle: the index finds it and its siblings once,
    // at its first request (the same stats as any file the manifest names), and never again.
    const named = fixture.paths.carpool
    expect((await request(port, `/${named}`)).status).toBe(200)
    expect((await request(port, `/${named}`, { headers: { 'accept-encoding': 'br' } })).headers['content-encoding']).toBe('br')
    expect(stats.slice(5).sort()).toEqual([named, `${named}.br`, `${named}.gz`])
  })

  it('shares one lookup between concurrent requests', async () => {
    const { port, memory, stats } = await startCounted()
    const js = makeBundle('js')
    await writeToStorage(memory, js)
    const replies = await Promise.all(Array.from({ length: 8 }, () => request(port, `/${js.path}`, { headers: { 'accept-encoding': 'gzip' } })))
    for (const reply of replies) expect([reply.status, reply.headers['content-type'], reply.headers['content-encoding']]).toEqual([200, JS_TYPE, 'gzip'])
    expect(stats).toEqual([js.path, `${js.path}.gz`, `${js.path}.br`, `${js.path}.zst`])
  })

  it('never stats any other name', async () => {
    const { port, stats } = await startCounted({ dynamicLookupTtlMs: 0 })
    for (const path of NEVER_LOOKED_UP) {
      const reply = await request(port, `/${path}`)
      expect([path, reply.status]).toEqual([path, 404])
    }
    expect(stats).toEqual([])
  })

  it('remembers at most 1000 misses, forgetting the oldest first', async () => {
    freezeClock()
    const { serve, stats } = await startCounted()
    const ask = (path: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = { url: `/${path}`, method: 'GET', headers: {} } as IncomingMessage
        serve(req, {} as ServerResponse, (error) => {
          if (error === undefined) resolve()
          else reject(new Error('next(error)', { cause: error }))
        })
      })
    const names = Array.from({ length: 1001 }, (_, i) => `CARPOOL/css/${i.toString(16).padStart(12, '0')}.cmin.css`)
    for (const name of names) await ask(name)
    expect(stats).toHaveLength(1001)
    await ask(names[1000]!)
    expect(stats).toHaveLength(1001)
    // The first miss was forgotten when the 1001st was remembered: it is looked up again.
    await ask(names[0]!)
    expect(stats).toHaveLength(1002)
  })

  it('keeps found bundles across reload() only while they exist', async () => {
    const { port, serve, memory, stats } = await startCounted({ dynamicLookupTtlMs: 0 })
    const css = makeBundle('css')
    await writeToStorage(memory, css)
    expect((await request(port, `/${css.path}`)).status).toBe(200)
    await serve.reload()
    // Looked up again by the reload itself, not by the next request.
    stats.length = 0
    expect((await request(port, `/${css.path}.br`)).status).toBe(200)
    expect(stats).toEqual([])
    for (const path of [css.path, `${css.path}.gz`, `${css.path}.br`]) await memory.delete(path)
    await serve.reload()
    expect((await request(port, `/${css.path}`)).body.toString()).toBe('fallback')
  })
})
