import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { isConvoyError } from '@convoy/errors'
import { createStaticFiles, type StaticFiles } from '@convoy/serve'
import { createFsStorage } from '@convoy/storage-fs'
import type Koa from 'koa'
import mount from 'koa-mount'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, type ServeStaticOptions } from './serve-static.js'
import { createSite, SECRET, type Site } from './test/fixture.js'
import { KOAS, listen, ownHeaders, quiet, rawRequest, request, type TestServer } from './test/http.js'

let site: Site
beforeAll(async () => {
  site = await createSite()
})
afterAll(() => site.cleanup())

/** A Koa app: `serveStatic` under /static/, then a not-found handler answering 404 'fallback'. */
async function start(App: typeof Koa, options: Partial<ServeStaticOptions> = {}, before?: Koa.Middleware): Promise<{ server: TestServer; app: Koa; errors: unknown[] }> {
  const app = new App()
  const errors = quiet(app)
  if (before !== undefined) app.use(before)
  const assets = serveStatic({ root: site.root, prefix: '/static/', ...options } as ServeStaticOptions)
  await assets.ready
  app.use(assets)
  app.use((ctx) => {
    ctx.status = 404
    ctx.type = 'text/plain'
    ctx.body = 'fallback'
  })
  return { server: await listen(app), app, errors }
}

/** The core's answer to the same request, as a header record and body bytes. */
async function coreAnswer(files: StaticFiles, method: string, url: string, headers: Record<string, string>) {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
  const answer = await files.answer({ method, url, header: (name) => lower[name] })
  if (answer.kind !== 'file' && answer.kind !== 'reply') throw new Error(`not an answer with headers: ${answer.kind}`)
  const record: Record<string, string> = {}
  for (let i = 0; i < answer.headers.length; i += 2) record[answer.headers[i]!.toLowerCase()] = answer.headers[i + 1]!
  let body = Buffer.alloc(0)
  if (answer.kind === 'reply') body = Buffer.from(answer.text)
  else if (answer.body instanceof Uint8Array) body = Buffer.from(answer.body)
  else if (answer.body !== undefined) body = Buffer.concat(await answer.body.toArray() as Buffer[])
  return { status: answer.status, headers: record, body: method === 'HEAD' ? Buffer.alloc(0) : body }
}

describe.each(KOAS)('serveStatic on %s', (_name, App) => {
  let server: TestServer
  let files: StaticFiles
  beforeAll(async () => {
    ;({ server } = await start(App))
    files = createStaticFiles({ root: site.root, prefix: '/static/', watch: false })
    await files.ready
  })
  afterAll(() => server.close())

  const css = () => `/static/${site.served['css/base.css']!}`
  const etagOf = async (path: string, headers: Record<string, string>) => (await request(server.url + path, { headers })).headers.etag!

  it.each<[string, string, () => string, () => Promise<Record<string, string>>]>([
    ['GET, brotli', 'GET', css, () => Promise.resolve({ 'Accept-Encoding': 'br, gzip' })],
    ['GET, gzip', 'GET', css, () => Promise.resolve({ 'Accept-Encoding': 'gzip' })],
    ['GET, identity', 'GET', css, () => Promise.resolve({})],
    ['GET of the original', 'GET', () => '/static/css/base.css', () => Promise.resolve({ 'Accept-Encoding': 'gzip' })],
    ['GET of a .gz sibling by name', 'GET', () => `/static/${site.served['css/base.css']!}.gz`, () => Promise.resolve({})],
    ['GET of a file without siblings', 'GET', () => `/static/${site.served['robots.txt']!}`, () => Promise.resolve({ 'Accept-Encoding': 'gzip' })],
    ['GET of an image', 'GET', () => `/static/${site.served['img/logo.png']!}`, () => Promise.resolve({ 'Accept-Encoding': 'gzip, br' })],
    ['GET of the manifest', 'GET', () => '/static/convoy-manifest.json', () => Promise.resolve({})],
    ['HEAD, brotli', 'HEAD', css, () => Promise.resolve({ 'Accept-Encoding': 'br' })],
    ['HEAD, identity', 'HEAD', css, () => Promise.resolve({})],
    ['a range', 'GET', css, () => Promise.resolve({ Range: 'bytes=10-99' })],
    ['a range HEAD ignores', 'HEAD', css, () => Promise.resolve({ Range: 'bytes=10-99' })],
    ['an unsatisfiable range', 'GET', css, () => Promise.resolve({ Range: 'bytes=999999-' })],
    ['If-None-Match that matches (304)', 'GET', css, async () => ({ 'Accept-Encoding': 'br', 'If-None-Match': await etagOf(css(), { 'Accept-Encoding': 'br' }) })],
    ['If-None-Match on HEAD (304)', 'HEAD', css, async () => ({ 'If-None-Match': await etagOf(css(), {}) })],
    ['If-Match that fails (412)', 'GET', css, () => Promise.resolve({ 'If-Match': '"nope"' })],
    ['identity refused (406)', 'GET', css, () => Promise.resolve({ 'Accept-Encoding': 'identity;q=0' })],
    ['POST (405)', 'POST', css, () => Promise.resolve({})],
    ['DELETE (405)', 'DELETE', css, () => Promise.resolve({})],
  ])('%s: the status, headers and body are exactly the core answer', async (_case, method, path, headers) => {
    const sent = await headers()
    const expected = await coreAnswer(files, method, path(), sent)
    const reply = await request(server.url + path(), { method, headers: sent })
    expect(reply.status).toBe(expected.status)
    expect(ownHeaders(reply.headers)).toEqual(expected.headers)
    expect(reply.raw.equals(expected.body)).toBe(true)
  })

  it('sends the file size as Content-Length on HEAD, with no body, and none on a 304', async () => {
    const head = await request(server.url + css(), { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } })
    expect(head.status).toBe(200)
    expect(head.headers['content-encoding']).toBe('gzip')
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100)
    expect(head.raw.length).toBe(0)
    const notModified = await request(server.url + css(), { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': head.headers.etag! } })
    expect(notModified.status).toBe(304)
    expect(notModified.headers['content-length']).toBeUndefined()
    expect(notModified.headers['content-type']).toBeUndefined()
    expect(notModified.headers.etag).toBe(head.headers.etag)
    expect(notModified.raw.length).toBe(0)
  })

  it.each([
    ['an unknown path under the prefix', '/static/css/nope.css'],
    ['a path outside the prefix', '/about'],
    ['the prefix itself (no listing)', '/static/'],
    ['a malformed path', '/static/%zz'],
    ['a dotfile in the root', '/static/.env'],
  ])('hands %s to the next middleware', async (_case, path) => {
    const reply = await rawRequest(server.url, path)
    expect(reply.status).toBe(404)
    expect(reply.text).toBe('fallback')
  })

  it.each([
    '/static/../secret.txt',
    '/static/%2e%2e/secret.txt',
    '/static/..%2fsecret.txt',
    '/static/%252e%252e/secret.txt',
    '/static/..%5csecret.txt',
    '/static/..\\secret.txt',
    '/static/secret.txt%00.css',
    '/static/%c0%ae%c0%ae/secret.txt',
    '/static/../../secret.txt',
    '/static//etc/passwd',
    '/static/%2e%2e/%2e%2e/secret.txt',
  ])('never serves anything outside the root: %s', async (path) => {
    const reply = await rawRequest(server.url, path)
    expect(reply.status).toBe(404)
    expect(reply.text).toBe('fallback')
    expect(reply.text).not.toContain(SECRET)
  })
})

describe.each(KOAS)('serveStatic options on %s', (name, App) => {
  it('answers 404 and 400 itself without fallthrough', async () => {
    const { server } = await start(App, { fallthrough: false })
    try {
      const unknown = await rawRequest(server.url, '/static/nope.css')
      expect([unknown.status, unknown.headers['content-type'], unknown.text]).toEqual([404, 'text/plain; charset=utf-8', 'Not Found'])
      const malformed = await rawRequest(server.url, '/static/%zz')
      expect([malformed.status, malformed.text]).toEqual([400, 'Bad Request'])
      // Outside the prefix is still not ours.
      expect((await rawRequest(server.url, '/about')).text).toBe('fallback')
    } finally {
      await server.close()
    }
  })

  it('extends a Vary set by earlier middleware instead of replacing it', async () => {
    const { server } = await start(App, {}, (ctx, next) => {
      ctx.set('Vary', 'Origin')
      return next()
    })
    try {
      const reply = await request(`${server.url}/static/${site.served['css/base.css']!}`, { headers: { 'Accept-Encoding': 'gzip' } })
      expect(reply.headers.vary).toBe('Origin, Accept-Encoding')
    } finally {
      await server.close()
    }
  })

  it('calls the headers hook with the storage path and the context, after our headers are set', async () => {
    const seen: [string, string | undefined][] = []
    const { server } = await start(App, {
      headers: (path, ctx) => {
        seen.push([path, ctx.response.get('Cache-Control')])
        ctx.set('X-Asset', path)
      },
    })
    try {
      const served = site.served['css/base.css']!
      const reply = await request(`${server.url}/static/${served}`, { headers: { 'Accept-Encoding': 'br' } })
      expect([reply.headers['content-encoding'], reply.headers['x-asset']]).toEqual(['br', served])
      expect(seen).toEqual([[served, 'public, max-age=31536000, immutable']])
      const notModified = await request(`${server.url}/static/${served}`, { headers: { 'Accept-Encoding': 'br', 'If-None-Match': reply.headers.etag! } })
      expect([notModified.status, notModified.headers['x-asset']]).toEqual([304, served])
    } finally {
      await server.close()
    }
  })

  it('sends a throwing headers hook to Koa error handling, without our headers', async () => {
    const { server, errors } = await start(App, {
      memoryCacheBytes: 0,
      headers: () => {
        throw new Error('hook failed')
      },
    })
    try {
      const reply = await request(`${server.url}/static/${site.served['css/base.css']!}`, { headers: { 'Accept-Encoding': 'br' } })
      expect(reply.status).toBe(500)
      expect(reply.text).toBe('Internal Server Error')
      expect(reply.headers.etag).toBeUndefined()
      expect(reply.headers['cache-control']).toBeUndefined()
      expect(reply.headers['content-encoding']).toBeUndefined()
      expect(errors).toEqual([expect.objectContaining({ message: 'hook failed' })])
    } finally {
      await server.close()
    }
  })

  it('answers from memory synchronously once a file was found, and streams larger files from disk with the same bytes', async () => {
    const results: boolean[] = []
    const app = new App()
    const memory = serveStatic({ root: site.root, prefix: '/static/' })
    const disk = serveStatic({ root: site.root, prefix: '/disk/', memoryCacheBytes: 0 })
    await Promise.all([memory.ready, disk.ready])
    app.use((ctx, next) => {
      const result = memory(ctx, next)
      results.push(result instanceof Promise)
      return result
    })
    app.use(disk)
    const server = await listen(app)
    try {
      const served = site.served['js/app.js']!
      // The first request finds the file (a stat and a read); the next is answered from memory, with no promise.
      const found = await request(`${server.url}/static/${served}`, { headers: { 'Accept-Encoding': 'gzip' } })
      const fromMemory = await request(`${server.url}/static/${served}`, { headers: { 'Accept-Encoding': 'gzip' } })
      const fromDisk = await request(`${server.url}/disk/${served}`, { headers: { 'Accept-Encoding': 'gzip' } })
      expect(results.slice(0, 2)).toEqual([true, false])
      expect(found.raw.equals(fromMemory.raw)).toBe(true)
      expect(fromDisk.status).toBe(200)
      expect(fromDisk.raw.equals(fromMemory.raw)).toBe(true)
      expect(fromDisk.headers['content-length']).toBe(String(fromMemory.raw.length))
      const range = await request(`${server.url}/disk/${served}`, { headers: { Range: 'bytes=5-20' } })
      expect([range.status, range.headers['content-range'], range.raw.length]).toEqual([206, expect.stringMatching(/^bytes 5-20\//), 16])
    } finally {
      await server.close()
    }
  })

  it('cuts the connection when a streamed file fails midway, rather than leaving the client waiting', async () => {
    const storage = createFsStorage({ root: site.root })
    const failing = {
      ...storage,
      name: 'failing',
      list: storage.list.bind(storage),
      stat: storage.stat.bind(storage),
      read: storage.read.bind(storage),
      readStream: () =>
        Promise.resolve(
          Readable.from(
            (async function* () {
              yield Buffer.from('partial')
              await new Promise((resolve) => setTimeout(resolve, 10))
              throw new Error('disk gone')
            })(),
          ),
        ),
    }
    const app = new App()
    quiet(app)
    const assets = serveStatic({ storage: failing, prefix: '/static/', memoryCacheBytes: 0 })
    await assets.ready
    app.use(assets)
    const server = await listen(app)
    try {
      const outcome = await request(`${server.url}/static/${site.served['css/base.css']!}`).then(
        (reply) => ({ complete: Number(reply.headers['content-length']) === reply.raw.length }),
        (error: Error) => ({ error: error.message }),
      )
      expect(outcome).not.toEqual({ complete: true })
      expect(outcome).not.toEqual({ error: expect.stringMatching(/^timeout/) })
    } finally {
      await server.close()
    }
  })

  it('has ready, reload() and close(), and serves a new collect after reload()', async () => {
    const assets = serveStatic({ root: site.root, prefix: '/static/', watch: false })
    expect(assets.name).toBe('convoyServeStatic')
    await assets.ready
    const app = new App()
    app.use(assets)
    const server = await listen(app)
    try {
      const logical = `css/late-${name.replace(/\W/g, '')}.css`
      await writeFile(join(site.sources, ...logical.split('/')), '.late { color: red }\n')
      await site.recollect()
      const late = `/static/${site.served[logical]!}`
      expect((await request(server.url + late)).status).toBe(404)
      await assets.reload()
      const reply = await request(server.url + late)
      expect([reply.status, reply.text]).toEqual([200, '.late{color:red}'])
      assets.close()
    } finally {
      await server.close()
    }
  })

  it('works under koa-mount with the default prefix, seeing the URL still encoded', async () => {
    const assets = serveStatic({ root: site.root })
    await assets.ready
    const app = new App()
    app.use(mount('/static', assets))
    app.use((ctx) => {
      ctx.status = 404
      ctx.body = 'fallback'
    })
    const server = await listen(app)
    try {
      const reply = await request(`${server.url}/static/${site.served['css/base.css']!}`, { headers: { 'Accept-Encoding': 'br' } })
      expect([reply.status, reply.headers['content-encoding']]).toEqual([200, 'br'])
      for (const path of ['/static/%2e%2e/secret.txt', '/static/..%2fsecret.txt', '/css/base.css']) {
        const hostile = await rawRequest(server.url, path)
        expect([path, hostile.status, hostile.text]).toEqual([path, 404, 'fallback'])
      }
    } finally {
      await server.close()
    }
  })

  it('serves the source directories in development, with no-cache', async () => {
    const assets = serveStatic({ sources: [site.sources], prefix: '/static/' })
    expect(assets.name).toBe('convoyServeSources')
    await assets.ready
    const app = new App()
    app.use(assets)
    const server = await listen(app)
    try {
      const reply = await request(`${server.url}/static/css/base.css`)
      expect([reply.status, reply.headers['cache-control'], reply.text.startsWith('/* base */')]).toEqual([200, 'no-cache', true])
    } finally {
      await server.close()
    }
  })
})

describe('serveStatic errors', () => {
  it.each<[string, unknown, RegExp]>([
    ['fallthrough that is not a boolean', { root: '.', fallthrough: 'yes' }, /^@convoy\/koa: fallthrough must be a boolean/],
    ['a headers hook that is not a function', { root: '.', headers: {} }, /^@convoy\/koa: headers must be a function/],
    ['no options', undefined, /^@convoy\/koa: serveStatic\(\) takes an options object/],
    ['both root and sources', { root: '.', sources: ['.'] }, /exactly one of `root`/],
    ['a prefix without a leading slash', { root: '.', prefix: 'static' }, /prefix must be a URL path/],
  ])('throws ERR_CONVOY_CONFIG at once for %s', (_case, options, message) => {
    let thrown: unknown
    try {
      serveStatic(options as ServeStaticOptions)
    } catch (error) {
      thrown = error
    }
    expect(isConvoyError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(message) })
  })

  it('rejects ready for a missing root, and sends requests to Koa error handling', async () => {
    const assets = serveStatic({ root: `${site.base}/missing`, prefix: '/static/' })
    await expect(assets.ready).rejects.toMatchObject({ code: 'ERR_CONVOY_STORAGE' })
    const [, App] = KOAS[0]!
    const app = new App()
    const errors = quiet(app)
    app.use(assets)
    const server = await listen(app)
    try {
      const reply = await request(`${server.url}/static/css/base.css`)
      expect(reply.status).toBe(500)
      expect(errors).toEqual([expect.objectContaining({ code: 'ERR_CONVOY_STORAGE' })])
    } finally {
      await server.close()
    }
  })
})

