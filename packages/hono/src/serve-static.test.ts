import { createFixture, request, type Fixture } from '@convoy/adapter-test-suite'
import { isConvoyError } from '@convoy/errors'
import { Hono, type MiddlewareHandler } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, targetOf, type ServeStaticOptions } from './serve-static.js'
import { listen, memoryStorage, type Running } from './test-helpers.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'

let fixture: Fixture
const cleanups: (() => Promise<void> | void)[] = []

beforeAll(async () => {
  fixture = await createFixture()
})

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await fixture?.cleanup()
})

/** An app with `serveStatic(options)` on /static/*, `before` in front of it, on real HTTP; 404 `fallback` for the rest. */
async function start(options: Partial<ServeStaticOptions> = {}, before?: (app: Hono) => void): Promise<Running> {
  const assets = serveStatic({ root: fixture.root, prefix: '/static/', ...options } as ServeStaticOptions)
  await assets.ready
  const app = new Hono()
  before?.(app)
  app.use('/static/*', assets)
  app.get('/', (c) => c.text('home'))
  app.notFound((c) => c.text('fallback', 404))
  app.onError((error, c) => c.text(`error: ${error.message}`, 500))
  const running = await listen(app)
  cleanups.push(() => assets.close(), running.close)
  return running
}

describe('serveStatic on @hono/node-server', () => {
  let server: Running
  beforeAll(async () => {
    server = await start()
  })

  it('answers a fingerprinted file with its precompressed sibling, immutable, varied, byte for byte', async () => {
    const reply = await request(server.url, `/static/${fixture.paths.served}`, { headers: { 'accept-encoding': 'gzip, br' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(reply.headers['cache-control']).toBe(IMMUTABLE)
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(reply.headers['content-length']).toBe(String(fixture.files.get(fixture.paths.br)?.length))
    expect(reply.body.equals(fixture.files.get(fixture.paths.br) as Buffer)).toBe(true)
  })

  it('streams a file too big for memory, whole and with its length', async () => {
    const reply = await request(server.url, `/static/${fixture.paths.big}`)
    const bytes = fixture.files.get(fixture.paths.big) as Buffer
    expect([reply.status, reply.headers['content-length']]).toEqual([200, String(bytes.length)])
    expect(reply.body.equals(bytes)).toBe(true)
  })

  it('HEAD: the headers of the GET, no body', async () => {
    const reply = await request(server.url, `/static/${fixture.paths.big}`, { method: 'HEAD' })
    expect([reply.status, reply.headers['content-length'], reply.body.length]).toEqual([200, String(fixture.files.get(fixture.paths.big)?.length), 0])
  })

  it('304 on If-None-Match, 206 on Range, 405 with Allow on POST', async () => {
    const first = await request(server.url, `/static/${fixture.paths.image}`)
    const etag = first.headers.etag as string
    const notModified = await request(server.url, `/static/${fixture.paths.image}`, { headers: { 'if-none-match': etag } })
    expect([notModified.status, notModified.body.length, notModified.headers.etag]).toEqual([304, 0, etag])

    const range = await request(server.url, `/static/${fixture.paths.image}`, { headers: { range: 'bytes=0-7' } })
    expect([range.status, range.headers['content-range'], range.headers['content-length']]).toEqual([206, `bytes 0-7/${first.body.length}`, '8'])
    expect(range.body.equals(first.body.subarray(0, 8))).toBe(true)

    const post = await request(server.url, `/static/${fixture.paths.image}`, { method: 'POST' })
    expect([post.status, post.headers.allow, post.body.toString()]).toEqual([405, 'GET, HEAD', 'Method Not Allowed'])
  })

  it('hands unknown paths, malformed ones and paths outside the prefix on to the app', async () => {
    for (const path of ['/static/nope.css', '/static/%zz', '/elsewhere']) {
      const reply = await request(server.url, path)
      expect([path, reply.status, reply.body.toString()]).toEqual([path, 404, 'fallback'])
    }
    expect((await request(server.url, '/')).body.toString()).toBe('home')
  })
})

describe('serveStatic options and other middleware', () => {
  it('fallthrough: false answers 404 and 400 itself', async () => {
    const server = await start({ fallthrough: false })
    const missing = await request(server.url, '/static/nope.css')
    expect([missing.status, missing.headers['content-type'], missing.body.toString()]).toEqual([404, 'text/plain; charset=utf-8', 'Not Found'])
    const malformed = await request(server.url, '/static/%zz')
    expect([malformed.status, malformed.body.toString()]).toEqual([400, 'Bad Request'])
    // Outside the prefix is still not ours.
    expect((await request(server.url, '/elsewhere')).body.toString()).toBe('fallback')
  })

  it("keeps what earlier middleware set with c.header(), and merges its Vary with the file's", async () => {
    const server = await start({}, (app) => {
      app.use(async (c, next) => {
        c.header('X-Request-Id', 'r-1')
        c.header('Vary', 'Origin')
        await next()
      })
    })
    const reply = await request(server.url, `/static/${fixture.paths.served}`, { headers: { 'accept-encoding': 'gzip' } })
    expect([reply.status, reply.headers['content-encoding'], reply.headers['x-request-id'], reply.headers.vary]).toEqual([200, 'gzip', 'r-1', 'Origin, Accept-Encoding'])
    expect(reply.body.equals(fixture.files.get(fixture.paths.gzip) as Buffer)).toBe(true)
  })

  it('a headers hook changes the headers of files; a throwing one goes to the error handler', async () => {
    const seen: string[] = []
    const server = await start({
      headers: (path, headers) => {
        seen.push(path)
        if (path === fixture.paths.big) throw new Error('hook failed')
        headers.set('X-Served', path)
        headers.set('Cache-Control', 'private, max-age=5')
      },
    })
    const reply = await request(server.url, `/static/${fixture.paths.image}`)
    expect([reply.status, reply.headers['x-served'], reply.headers['cache-control']]).toEqual([200, fixture.paths.image, 'private, max-age=5'])
    const failed = await request(server.url, `/static/${fixture.paths.big}`)
    expect([failed.status, failed.body.toString()]).toEqual([500, 'error: hook failed'])
    expect(seen).toEqual([fixture.paths.image, fixture.paths.big])
  })

  it('answers files held in memory synchronously once found (no promise: @hono/node-server writes the bytes at once)', async () => {
    const assets = serveStatic({ root: fixture.root, prefix: '/static/' })
    cleanups.push(() => assets.close())
    await assets.ready
    const kinds: string[] = []
    const app = new Hono()
    const spy: MiddlewareHandler = (c, next) => {
      const result = assets(c, next)
      kinds.push(result instanceof Promise ? 'promise' : 'response')
      return result
    }
    app.use('/static/*', spy)
    // The first request finds the file (a stat and a read); the next is answered from memory.
    expect((await app.request(`/static/${fixture.paths.served}`)).status).toBe(200)
    const response = await app.request(`/static/${fixture.paths.served}`)
    expect(response.status).toBe(200)
    await app.request(`/static/${fixture.paths.big}`)
    expect(kinds).toEqual(['promise', 'response', 'promise'])
  })

  it('ready rejects with a ConvoyError for a root that does not exist; requests then fail to the error handler', async () => {
    const assets = serveStatic({ root: `${fixture.base}/no-such-root`, prefix: '/static/' })
    const failure: unknown = await assets.ready.then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(isConvoyError(failure)).toBe(true)
    const app = new Hono()
    app.use('/static/*', assets)
    app.onError((_error, c) => c.text('broken', 500))
    const response = await app.request('/static/x.css')
    expect([response.status, await response.text()]).toEqual([500, 'broken'])
  })

  it('refuses bad options at once, as createStaticFiles does', () => {
    expect(() => serveStatic({ root: fixture.root, prefix: 'static' })).toThrow(/prefix/)
  })
})

describe('serveStatic from a Storage, through app.request() (no server)', () => {
  it('serves the collected files of a storage, HEAD and 304 included, and hands the rest on', async () => {
    const storage = memoryStorage(fixture.files)
    const assets = serveStatic({ storage, prefix: '/static/' })
    await assets.ready
    const app = new Hono()
    app.use('/static/*', assets)
    app.notFound((c) => c.text('fallback', 404))

    const response = await app.request(`/static/${fixture.paths.jsServed}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-encoding')).toBe('gzip')
    expect(response.headers.get('cache-control')).toBe(IMMUTABLE)
    expect(Buffer.from(await response.arrayBuffer()).equals(fixture.files.get(fixture.paths.jsGzip) as Buffer)).toBe(true)

    const big = await app.request(`/static/${fixture.paths.big}`)
    expect(Buffer.from(await big.arrayBuffer()).equals(fixture.files.get(fixture.paths.big) as Buffer)).toBe(true)

    const head = await app.request(`/static/${fixture.paths.big}`, { method: 'HEAD' })
    expect([head.status, head.headers.get('content-length'), head.body]).toEqual([200, String(fixture.files.get(fixture.paths.big)?.length), null])

    const etag = response.headers.get('etag') as string
    const notModified = await app.request(`/static/${fixture.paths.jsServed}`, { headers: { 'accept-encoding': 'gzip', 'if-none-match': etag } })
    expect(notModified.status).toBe(304)

    const missing = await app.request('/static/css/none.css')
    expect([missing.status, await missing.text()]).toEqual([404, 'fallback'])
  })
})

describe('serveStatic({ sources }) in development', () => {
  it('serves the source files as they are on disk, no-cache, and never a dotfile', async () => {
    const assets = serveStatic({ sources: [fixture.root], prefix: '/static/' })
    await assets.ready
    expect(assets.name).toBe('convoyServeSources')
    const app = new Hono()
    app.use('/static/*', assets)
    app.notFound((c) => c.text('fallback', 404))
    const response = await app.request(`/static/${fixture.paths.original}`)
    expect([response.status, response.headers.get('cache-control')]).toEqual([200, 'no-cache'])
    expect(Buffer.from(await response.arrayBuffer()).equals(fixture.files.get(fixture.paths.original) as Buffer)).toBe(true)
    for (const path of ['/static/.env', '/static/css/escape.css', '/static/%2e%2e/secret.txt']) {
      const refused = await app.request(path)
      expect([path, refused.status, await refused.text()]).toEqual([path, 404, 'fallback'])
    }
  })
})

describe('targetOf', () => {
  it('is pathname + search of the URL, still encoded', () => {
    expect(targetOf('http://example.com/static/a%20b.css?v=1')).toBe('/static/a%20b.css?v=1')
    expect(targetOf('http://example.com:8080/')).toBe('/')
    expect(targetOf('https://example.com')).toBe('/')
    expect(targetOf('http://example.com/x#frag')).toBe('/x')
    const url = new URL('http://[::1]:3000/static/%2e%2e/x?q=/a')
    expect(targetOf(url.href)).toBe(url.pathname + url.search)
  })
})
