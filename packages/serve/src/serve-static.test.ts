import { mkdir, rename, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { serveStatic, type ServeStaticOptions } from './serve-static.js'
import { request, sharedFixture, thrownBy } from './test-helpers.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
const SHORT = 'public, max-age=60'

const { fixture, listen, listenWhenReady } = sharedFixture()

/** A plain node:http server whose fallback answers 404 "fallback", so a test sees when next() was called. */
async function start(options: Partial<ServeStaticOptions> = {}): Promise<number> {
  const server = await listenWhenReady(serveStatic({ root: fixture.root, ...options } as ServeStaticOptions), (res, error) => {
    res.writeHead(error === undefined ? 404 : 500, { 'content-type': 'text/plain' })
    res.end(error === undefined ? 'fallback' : `error: ${error instanceof Error ? error.message : 'unknown'}`)
  })
  return server.port
}

describe('negotiation of precompressed siblings', () => {
  let port: number
  beforeAll(async () => {
    port = await start()
  })

  it.each([
    [undefined, 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['gzip;q=0', 'identity'],
    ['gzip;q=0, br', 'br'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['*', 'br'],
    ['identity', 'identity'],
    ['GZIP', 'gzip'],
    ['BR, GZIP', 'br'],
    ['deflate', 'identity'],
  ])('Accept-Encoding %j → %s, with Vary and the right body', async (acceptEncoding, coding) => {
    const reply = await request(port, `/${fixture.paths.served}`, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } })
    const identity = fixture.files.get(fixture.paths.served)!
    expect(reply.status).toBe(200)
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(reply.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(reply.headers['content-length']).toBe(String(reply.body.length))
    expect(reply.headers['cache-control']).toBe(IMMUTABLE)
    expect(reply.headers['x-content-type-options']).toBe('nosniff')
    if (coding === 'identity') {
      expect(reply.headers['content-encoding']).toBeUndefined()
      expect(reply.headers['accept-ranges']).toBe('bytes')
      expect(reply.body.equals(identity)).toBe(true)
    } else {
      expect(reply.headers['content-encoding']).toBe(coding)
      expect(reply.headers['accept-ranges']).toBeUndefined()
      const decoded = coding === 'br' ? brotliDecompressSync(reply.body) : gunzipSync(reply.body)
      expect(decoded.equals(identity)).toBe(true)
    }
  })

  it.each(['identity;q=0', '*;q=0', 'identity;q=0, deflate'])('Accept-Encoding %j refuses everything we have → 406', async (acceptEncoding) => {
    const reply = await request(port, `/${fixture.paths.served}`, { headers: { 'accept-encoding': acceptEncoding } })
    expect(reply.status).toBe(406)
    expect(reply.headers.vary).toBe('Accept-Encoding')
  })

  it('uses gzip when that is the only sibling', async () => {
    const br = await request(port, `/${fixture.paths.jsServed}`, { headers: { 'accept-encoding': 'br' } })
    expect(br.headers['content-encoding']).toBeUndefined()
    expect(br.headers.vary).toBe('Accept-Encoding')
    const gzip = await request(port, `/${fixture.paths.jsServed}`, { headers: { 'accept-encoding': 'br, gzip' } })
    expect(gzip.headers['content-encoding']).toBe('gzip')
    expect(gzip.headers['content-type']).toBe('text/javascript; charset=utf-8')
  })

  it('gives each representation its own strong ETag', async () => {
    const tags = await Promise.all(
      ['identity', 'gzip', 'br'].map(async (coding) => (await request(port, `/${fixture.paths.served}`, { headers: { 'accept-encoding': coding } })).headers.etag),
    )
    for (const tag of tags) expect(tag).toMatch(/^"[^"]+"$/)
    expect(new Set(tags).size).toBe(3)
  })

  it('answers a direct request for x.css.gz with Content-Encoding: gzip and the inner type', async () => {
    for (const [path, coding] of [
      [fixture.paths.gzip, 'gzip'],
      [fixture.paths.br, 'br'],
    ] as const) {
      const reply = await request(port, `/${path}`, { headers: { 'accept-encoding': 'identity' } })
      expect(reply.status).toBe(200)
      expect(reply.headers['content-encoding']).toBe(coding)
      expect(reply.headers['content-type']).toBe('text/css; charset=utf-8')
      expect(reply.headers.vary).toBeUndefined()
      expect(reply.headers['cache-control']).toBe(IMMUTABLE)
      expect(reply.body.equals(fixture.files.get(path)!)).toBe(true)
    }
  })

  it('serves files without siblings without Vary, whatever Accept-Encoding says', async () => {
    const reply = await request(port, `/${fixture.paths.image}`, { headers: { 'accept-encoding': 'identity;q=0' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('image/png')
    expect(reply.headers.vary).toBeUndefined()
    expect(reply.body.equals(fixture.files.get(fixture.paths.image)!)).toBe(true)
  })
})

describe('caching policy', () => {
  it('marks immutable only the fingerprinted names the manifest knows', async () => {
    const port = await start()
    const { paths } = fixture
    const immutable = [paths.served, paths.fingerprinted, paths.gzip, paths.br, paths.jsMap, paths.jsGzip, paths.image, paths.carpool, paths.carpoolBr, paths.big]
    // `paths.old` is named only by an earlier version: served, but the manifest does not say its name is content-addressed.
    const short = [paths.original, paths.imageOriginal, paths.old]
    const cases = [
      ...immutable.map((path): [string, string] => [path, IMMUTABLE]),
      ...short.map((path): [string, string] => [path, SHORT]),
      // The manifest is where a deploy switches over: revalidated on every use, as collect stores it on S3.
      ['convoy-manifest.json', 'no-cache'],
    ]
    for (const [path, cacheControl] of cases) {
      const reply = await request(port, `/${path}`)
      expect([path, reply.status, reply.headers['cache-control']]).toEqual([path, 200, cacheControl])
    }
    const map = await request(port, `/${fixture.paths.jsMap}`)
    expect(map.headers['content-type']).toBe('application/json; charset=utf-8')
    const manifest = await request(port, '/convoy-manifest.json')
    expect(JSON.parse(manifest.body.toString())).toMatchObject({ version: 1 })
  })

  it('sends the manifest with no-cache, with or without manifest mode, and answers its revalidation with 304', async () => {
    for (const options of [{}, { manifest: false as const }, { maxAge: 3600 }]) {
      const port = await start(options)
      const first = await request(port, '/convoy-manifest.json')
      expect([first.status, first.headers['cache-control']]).toEqual([200, 'no-cache'])
      const again = await request(port, '/convoy-manifest.json', { headers: { 'if-none-match': first.headers.etag! } })
      expect([again.status, again.headers['cache-control']]).toEqual([304, 'no-cache'])
    }
  })

  it('serves only what the manifest names when there is one, and everything found when there is none', async () => {
    const withManifest = await start()
    expect((await request(withManifest, `/${fixture.paths.stray}`)).body.toString()).toBe('fallback')
    expect((await request(withManifest, '/css/alias.css')).body.toString()).toBe('fallback')
    const walked = await start({ manifest: false })
    const stray = await request(walked, `/${fixture.paths.stray}`)
    expect([stray.status, stray.body.toString(), stray.headers['cache-control']]).toEqual([200, 'stray file', SHORT])
    // Without a manifest no name is known to be fingerprinted, yet siblings are still negotiated.
    const served = await request(walked, `/${fixture.paths.served}`, { headers: { 'accept-encoding': 'br' } })
    expect([served.headers['cache-control'], served.headers['content-encoding']]).toEqual([SHORT, 'br'])
    // A symlink that stays inside the root is followed.
    const alias = await request(walked, '/css/alias.css')
    expect(alias.body.equals(fixture.files.get(fixture.paths.served)!)).toBe(true)
  })

  it('takes maxAge, immutableMaxAge and a manifest object from the options', async () => {
    const port = await start({ manifest: fixture.manifest, maxAge: 5, immutableMaxAge: 600 })
    expect((await request(port, `/${fixture.paths.served}`)).headers['cache-control']).toBe('public, max-age=600, immutable')
    expect((await request(port, `/${fixture.paths.original}`)).headers['cache-control']).toBe('public, max-age=5')
  })

  it.each([
    ['Origin', 'Origin, Accept-Encoding'],
    ['accept-encoding', 'accept-encoding'],
    ['*', '*'],
  ])('merges Vary %j set before it into %j', async (before, after) => {
    const serve = serveStatic({ root: fixture.root })
    const server = await listen((req, res) => {
      res.setHeader('Vary', before)
      serve(req, res)
    })
    expect((await request(server.port, `/${fixture.paths.served}`)).headers.vary).toBe(after)
  })

  it('lets the headers hook add or override headers', async () => {
    const seen: string[] = []
    const port = await start({
      headers: (path, res) => {
        seen.push(path)
        res.setHeader('Access-Control-Allow-Origin', '*')
        if (path === fixture.paths.original) res.setHeader('Cache-Control', 'no-cache')
      },
    })
    const served = await request(port, `/${fixture.paths.served}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(served.headers['access-control-allow-origin']).toBe('*')
    expect(served.headers['content-encoding']).toBe('gzip')
    const original = await request(port, `/${fixture.paths.original}`)
    expect(original.headers['cache-control']).toBe('no-cache')
    expect(seen).toEqual([fixture.paths.served, fixture.paths.original])
  })
})

describe('a headers hook that throws', () => {
  it.each([
    ['from memory', {}],
    ['streamed from disk', { memoryCacheBytes: 0 }],
  ])('sends the error to next(error) with none of our headers, %s', async (_, options) => {
    const port = await start({
      ...options,
      headers: () => {
        throw new Error('hook failed')
      },
    })
    const reply = await request(port, `/${fixture.paths.served}`)
    expect([reply.status, reply.body.toString(), reply.headers.etag, reply.headers['cache-control']]).toEqual([500, 'error: hook failed', undefined, undefined])
    // The server is still up.
    expect((await request(port, '/nope.css')).body.toString()).toBe('fallback')
  })
})

describe('conditional requests', () => {
  let port: number
  let etag: string
  let lastModified: string
  beforeAll(async () => {
    port = await start()
    const reply = await request(port, `/${fixture.paths.served}`)
    etag = reply.headers.etag!
    lastModified = reply.headers['last-modified']!
  })

  const get = (headers: Record<string, string>) => request(port, `/${fixture.paths.served}`, { headers })

  it.each([
    ['If-None-Match: the tag', () => ({ 'if-none-match': etag }), 304],
    ['If-None-Match: weak form of the tag', () => ({ 'if-none-match': `W/${etag}` }), 304],
    ['If-None-Match: a list holding the tag', () => ({ 'if-none-match': `"other", ${etag}` }), 304],
    ['If-None-Match: *', () => ({ 'if-none-match': '*' }), 304],
    ['If-None-Match: another tag', () => ({ 'if-none-match': '"other"' }), 200],
    ['If-None-Match: the identity tag, gzip chosen', () => ({ 'if-none-match': etag, 'accept-encoding': 'gzip' }), 200],
    ['If-Modified-Since: Last-Modified', () => ({ 'if-modified-since': lastModified }), 304],
    ['If-Modified-Since: later', () => ({ 'if-modified-since': new Date(Date.parse(lastModified) + 60_000).toUTCString() }), 304],
    ['If-Modified-Since: earlier', () => ({ 'if-modified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() }), 200],
    ['If-Modified-Since: not a date', () => ({ 'if-modified-since': 'yesterday' }), 200],
    ['If-None-Match wins over If-Modified-Since', () => ({ 'if-none-match': '"other"', 'if-modified-since': lastModified }), 200],
    ['If-Match: the tag', () => ({ 'if-match': etag }), 200],
    ['If-Match: another tag', () => ({ 'if-match': '"other"' }), 412],
    ['If-Match: weak form (strong comparison)', () => ({ 'if-match': `W/${etag}` }), 412],
    ['If-Unmodified-Since: earlier', () => ({ 'if-unmodified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() }), 412],
    ['If-Unmodified-Since: Last-Modified', () => ({ 'if-unmodified-since': lastModified }), 200],
  ])('%s → %i', async (_, headers, status) => {
    const reply = await get(headers())
    expect(reply.status).toBe(status)
    if (status === 304) {
      expect(reply.body.length).toBe(0)
      expect(reply.headers.etag).toBe(etag)
      expect(reply.headers['cache-control']).toBe(IMMUTABLE)
      expect(reply.headers.vary).toBe('Accept-Encoding')
      expect(reply.headers['content-type']).toBeUndefined()
    }
  })

  it('revalidates a compressed representation by its own tag', async () => {
    const first = await get({ 'accept-encoding': 'br' })
    const again = await get({ 'accept-encoding': 'br', 'if-none-match': first.headers.etag! })
    expect(again.status).toBe(304)
    expect(again.headers.etag).toBe(first.headers.etag)
  })
})

describe.each([
  ['from memory', {}],
  ['streamed from disk', { memoryCacheBytes: 0 }],
])('ranges, %s', (_, options) => {
  let port: number
  const image = (): Buffer => fixture.files.get(fixture.paths.image)!
  beforeAll(async () => {
    port = await start(options)
  })
  const get = (path: string, headers: Record<string, string>) => request(port, `/${path}`, { headers })

  it.each([
    ['bytes=0-9', 0, 9],
    ['bytes=-5', 1203, 1207],
    ['bytes=1200-', 1200, 1207],
    ['bytes=100-99999', 100, 1207],
  ])('%s → 206 with Content-Range', async (range, start, end) => {
    const reply = await get(fixture.paths.image, { range })
    expect(reply.status).toBe(206)
    expect(reply.headers['content-range']).toBe(`bytes ${start}-${end}/1208`)
    expect(reply.headers['content-length']).toBe(String(end - start + 1))
    expect(reply.body.equals(image().subarray(start, end + 1))).toBe(true)
  })

  it('answers an unsatisfiable range with 416 and bytes */length', async () => {
    const reply = await get(fixture.paths.image, { range: 'bytes=5000-' })
    expect(reply.status).toBe(416)
    expect(reply.headers['content-range']).toBe('bytes */1208')
  })

  it.each(['bytes=0-1,5-6', 'bytes=9-2', 'lines=1-2'])('answers %s with the whole file', async (range) => {
    const reply = await get(fixture.paths.image, { range })
    expect(reply.status).toBe(200)
    expect(reply.body.equals(image())).toBe(true)
  })

  it('honours If-Range with the current tag or date, and sends everything otherwise', async () => {
    const { etag, 'last-modified': lastModified } = (await get(fixture.paths.image, {})).headers
    expect((await get(fixture.paths.image, { range: 'bytes=0-0', 'if-range': etag! })).status).toBe(206)
    expect((await get(fixture.paths.image, { range: 'bytes=0-0', 'if-range': lastModified! })).status).toBe(206)
    expect((await get(fixture.paths.image, { range: 'bytes=0-0', 'if-range': '"stale"' })).status).toBe(200)
    expect((await get(fixture.paths.image, { range: 'bytes=0-0', 'if-range': `W/${etag!}` })).status).toBe(200)
  })

  it('ranges the identity of a negotiated file but never a compressed answer', async () => {
    const identity = await get(fixture.paths.served, { range: 'bytes=0-3', 'accept-encoding': 'identity' })
    expect([identity.status, identity.body.toString(), identity.headers.vary]).toEqual([206, '.rul', 'Accept-Encoding'])
    const br = await get(fixture.paths.served, { range: 'bytes=0-3', 'accept-encoding': 'br' })
    expect([br.status, br.headers['content-encoding']]).toEqual([200, 'br'])
    expect(brotliDecompressSync(br.body).equals(fixture.files.get(fixture.paths.served)!)).toBe(true)
  })

  it('ranges and streams a file too big for memory', async () => {
    const big = fixture.files.get(fixture.paths.big)!
    const whole = await get(fixture.paths.big, {})
    expect(whole.body.equals(big)).toBe(true)
    const part = await get(fixture.paths.big, { range: 'bytes=70000-200000' })
    expect(part.status).toBe(206)
    expect(part.body.equals(big.subarray(70000, 200001))).toBe(true)
  })
})

describe('methods and what is never served', () => {
  let port: number
  beforeAll(async () => {
    port = await start()
  })

  it('sends the headers of a GET and no body for HEAD, ignoring Range', async () => {
    const get = await request(port, `/${fixture.paths.big}`)
    const head = await request(port, `/${fixture.paths.big}`, { method: 'HEAD', headers: { range: 'bytes=0-1' } })
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    for (const name of ['content-length', 'content-type', 'etag', 'last-modified', 'cache-control']) {
      expect(head.headers[name]).toBe(get.headers[name])
    }
    const headBr = await request(port, `/${fixture.paths.served}`, { method: 'HEAD', headers: { 'accept-encoding': 'br' } })
    expect([headBr.headers['content-encoding'], headBr.headers['content-length']]).toEqual(['br', String(fixture.files.get(fixture.paths.br)!.length)])
  })

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s on a known file → 405 with Allow', async (method) => {
    const reply = await request(port, `/${fixture.paths.served}`, { method })
    expect(reply.status).toBe(405)
    expect(reply.headers.allow).toBe('GET, HEAD')
  })

  it('passes other methods on unknown paths to next()', async () => {
    const reply = await request(port, '/api/things', { method: 'POST' })
    expect([reply.status, reply.body.toString()]).toEqual([404, 'fallback'])
  })

  it.each(['/', '/css', '/css/', '/img/', '/.env', '/.git/config', '/css/.hidden.css', '/%2eenv', '/nope.css', '/css/base.css/', '/linked/secret.txt'])(
    '%s (directories, dotfiles, unknown) → next()',
    async (path) => {
      for (const manifest of [undefined, false] as const) {
        const reply = await request(manifest === false ? await start({ manifest }) : port, path)
        expect([reply.status, reply.body.toString()]).toEqual([404, 'fallback'])
      }
    },
  )

  it('keeps the query string out of the lookup', async () => {
    const reply = await request(port, `/${fixture.paths.served}?v=1&x=/../..`)
    expect(reply.status).toBe(200)
  })
})

describe('without next, or with fallthrough off', () => {
  it('answers 404 and 400 itself', async () => {
    const serve = serveStatic({ root: fixture.root })
    const bare = await listen(serve)
    const strict = await start({ fallthrough: false })
    for (const port of [bare.port, strict]) {
      expect((await request(port, '/nope.css')).status).toBe(404)
      expect((await request(port, '/%E0%A4%A')).status).toBe(400)
      expect((await request(port, `/${fixture.paths.served}`)).status).toBe(200)
    }
  })

  it('falls through on malformed percent-encoding when fallthrough is on', async () => {
    const port = await start()
    expect((await request(port, '/%E0%A4%A')).body.toString()).toBe('fallback')
  })

  it('strips a prefix for plain node:http and passes on what is outside it, even without fallthrough', async () => {
    for (const fallthrough of [true, false]) {
      const port = await start({ prefix: '/static', fallthrough })
      expect((await request(port, `/static/${fixture.paths.served}`)).status).toBe(200)
      expect((await request(port, `/${fixture.paths.served}`)).body.toString()).toBe('fallback')
      expect((await request(port, `/staticx/${fixture.paths.served}`)).body.toString()).toBe('fallback')
    }
  })
})

describe('startup, errors and reload', () => {
  it('rejects bad options at once', () => {
    const bad: unknown[] = [
      {},
      { root: 'a', storage: {} },
      { root: 'a', maxAge: -1 },
      { root: 'a', immutableMaxAge: 1.5 },
      { root: 'a', memoryCacheBytes: Number.NaN },
      { root: 'a', prefix: 'static/' },
    ]
    for (const options of bad) {
      const caught = thrownBy(() => serveStatic(options as ServeStaticOptions))
      expect(isConvoyError(caught) && caught.code).toBe('ERR_CONVOY_CONFIG')
    }
  })

  it('reports a missing root through ready and to requests', async () => {
    const serve = serveStatic({ root: join(fixture.base, 'missing') })
    await expect(serve.ready).rejects.toMatchObject({ code: 'ERR_CONVOY_STORAGE', message: expect.stringContaining('missing') as string })
    const server = await listen((req, res) =>
      serve(req, res, (error) => {
        res.writeHead(500)
        res.end(isConvoyError(error) ? error.code : 'no error')
      }),
    )
    expect((await request(server.port, '/x.css')).body.toString()).toBe('ERR_CONVOY_STORAGE')
  })

  it('reports an invalid manifest naming the file', async () => {
    const file = join(fixture.base, 'broken-manifest.json')
    await writeFile(file, '{"version": 1, ')
    const serve = serveStatic({ root: fixture.root, manifest: file })
    await expect(serve.ready).rejects.toMatchObject({ code: 'ERR_CONVOY_MANIFEST', message: expect.stringContaining('broken-manifest.json') as string })
    const missing = serveStatic({ root: fixture.root, manifest: join(fixture.base, 'nope.json') })
    await expect(missing.ready).rejects.toMatchObject({ code: 'ERR_CONVOY_MANIFEST' })
  })

  it('answers requests that arrive before the index is built', async () => {
    const serve = serveStatic({ root: fixture.root })
    const server = await listen(serve)
    expect((await request(server.port, `/${fixture.paths.served}`)).status).toBe(200)
  })

  it('follows a root symlink swapped by a deploy on reload()', async () => {
    const releases = join(fixture.base, 'releases')
    await mkdir(join(releases, 'a'), { recursive: true })
    await mkdir(join(releases, 'b'), { recursive: true })
    await writeFile(join(releases, 'a', 'version.txt'), 'a')
    await writeFile(join(releases, 'b', 'version.txt'), 'b')
    const current = join(fixture.base, 'current')
    await symlink(join(releases, 'a'), current)
    const serve = serveStatic({ root: current })
    const server = await listen(serve)
    expect((await request(server.port, '/version.txt')).body.toString()).toBe('a')
    await symlink(join(releases, 'b'), `${current}.next`)
    await rename(`${current}.next`, current)
    expect((await request(server.port, '/version.txt')).body.toString()).toBe('a')
    await serve.reload()
    expect((await request(server.port, '/version.txt')).body.toString()).toBe('b')
  })

  it('picks up a new collect on reload(), and heals by itself when a streamed file changes in place', async () => {
    const serve = serveStatic({ root: fixture.root, manifest: false, memoryCacheBytes: 0 })
    const server = await listen(serve)
    await serve.ready
    expect((await request(server.port, '/fresh.txt')).status).toBe(404)
    await writeFile(join(fixture.root, 'fresh.txt'), 'fresh')
    await serve.reload()
    expect((await request(server.port, '/fresh.txt')).body.toString()).toBe('fresh')
    // Rewritten behind our back with another size: the indexed Content-Length would lie, so the index is rebuilt.
    await writeFile(join(fixture.root, 'fresh.txt.tmp'), 'fresher and longer')
    await rename(join(fixture.root, 'fresh.txt.tmp'), join(fixture.root, 'fresh.txt'))
    const reply = await request(server.port, '/fresh.txt')
    expect([reply.body.toString(), reply.headers['content-length']]).toEqual(['fresher and longer', '18'])
  })
})
