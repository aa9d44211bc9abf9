import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { isConvoyError } from '@convoy/errors'
import { createFsStorage } from '@convoy/storage-fs'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { convoyCompress } from './compress.js'
import { convoyStatic, type ConvoyStaticOptions } from './static.js'
import { BIG_TEXT, collectTree, listen, request, served, SOURCES, type CollectedTree } from './test/helpers.js'

let tree: CollectedTree
beforeAll(async () => {
  tree = await collectTree()
}, 60_000)
afterAll(() => tree?.remove())

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** An app serving the fixture under /static/, whose own not-found handler answers 404 'fallback'. */
async function start(options: Partial<ConvoyStaticOptions> = {}, setup?: (app: FastifyInstance) => void | Promise<void>): Promise<string> {
  const app = Fastify()
  apps.push(app)
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('fallback'))
  await setup?.(app)
  await app.register(convoyStatic, { root: tree.root, prefix: '/static/', ...options } as ConvoyStaticOptions)
  return listen(app)
}

describe('convoyStatic', () => {
  it('serves the brotli sibling of a fingerprinted file, immutable, with the headers the core decided', async () => {
    const url = await start()
    const path = served(tree, 'css/site.css')
    const reply = await request(`${url}/static/${path}`, { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(reply.headers['content-length']).toBe(String(reply.raw.length))
    expect(reply.headers.etag).toMatch(/^"/)
    expect(reply.text).toContain('.rule-59')
  })

  it('honours q-values: gzip when br is refused, identity when nothing is acceptable but identity', async () => {
    const url = await start()
    const path = served(tree, 'css/site.css')
    const gzipped = await request(`${url}/static/${path}`, { headers: { 'Accept-Encoding': 'br;q=0, gzip' } })
    expect(gzipped.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gzipped.raw).toString()).toContain('.rule-59')
    const plain = await request(`${url}/static/${path}`, { headers: { 'Accept-Encoding': 'identity' } })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.text).toContain('.rule-59')
  })

  it('answers a direct request for a .br sibling with Content-Encoding br and the inner type', async () => {
    const url = await start()
    const sibling = tree.manifest.files['js/app.js']?.encodings?.br?.path
    expect(sibling).toMatch(/\.br$/)
    const reply = await request(`${url}/static/${sibling}`)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers['content-type']).toMatch(/^text\/javascript/)
    expect(brotliDecompressSync(reply.raw).toString()).toContain('value39')
  })

  it('answers HEAD with the headers of GET and no body', async () => {
    const url = await start()
    const target = `${url}/static/${served(tree, 'img/logo.svg')}`
    const get = await request(target, { headers: { 'Accept-Encoding': 'gzip' } })
    const head = await request(target, { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } })
    expect(head.status).toBe(200)
    expect(head.raw.length).toBe(0)
    for (const name of ['content-type', 'content-length', 'content-encoding', 'etag', 'cache-control', 'vary']) {
      expect(head.headers[name], name).toBe(get.headers[name])
    }
  })

  it('answers 304 to a matching If-None-Match, without a body', async () => {
    const url = await start()
    const target = `${url}/static/${served(tree, 'css/site.css')}`
    const first = await request(target, { headers: { 'Accept-Encoding': 'br' } })
    const again = await request(target, { headers: { 'Accept-Encoding': 'br', 'If-None-Match': first.headers.etag! } })
    expect(again.status).toBe(304)
    expect(again.raw.length).toBe(0)
    expect(again.headers.etag).toBe(first.headers.etag)
  })

  it('answers a Range of the identity file with 206', async () => {
    const url = await start()
    const reply = await request(`${url}/static/${served(tree, 'css/site.css')}`, { headers: { Range: 'bytes=0-9' } })
    expect(reply.status).toBe(206)
    expect(reply.headers['content-range']).toMatch(/^bytes 0-9\/\d+$/)
    expect(reply.raw.length).toBe(10)
  })

  it('answers 405 with Allow to other methods, even with a body Fastify could not parse', async () => {
    const url = await start()
    const target = `${url}/static/${served(tree, 'css/site.css')}`
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await request(target, { method, headers: { 'Content-Type': 'application/x-unknown' }, body: 'x=1' })
      expect(reply.status, method).toBe(405)
      expect(reply.headers.allow).toBe('GET, HEAD')
      expect(reply.text).toBe('Method Not Allowed')
    }
  })

  it('hands unknown and malformed paths to the app not-found handler (fallthrough)', async () => {
    const url = await start()
    for (const path of ['/static/nope.css', '/static/', '/static/css/', '/static/..%2fconvoy-manifest.json', '/other']) {
      const reply = await request(`${url}${path}`)
      expect(reply.status, path).toBe(404)
      expect(reply.text, path).toBe('fallback')
    }
  })

  it('never serves the manifest or anything outside the root', async () => {
    const url = await start()
    for (const path of ['/static/../package.json', '/static/%2e%2e/convoy-manifest.json', '/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/static/.%2e/x']) {
      const reply = await request(`${url}${path}`)
      expect([400, 404], path).toContain(reply.status)
      expect(reply.text, path).not.toContain('"version"')
    }
  })

  it('answers 404 and 400 itself without fallthrough', async () => {
    const url = await start({ fallthrough: false })
    const missing = await request(`${url}/static/nope.css`)
    expect(missing.status).toBe(404)
    expect(missing.text).toBe('Not Found')
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8')
    // Outside the prefix is not ours: the app's handler still answers.
    const other = await request(`${url}/elsewhere`)
    expect(other.text).toBe('fallback')
  })

  it('serves under the route prefix of the context it is registered in', async () => {
    const app = Fastify()
    apps.push(app)
    app.setNotFoundHandler((_request, reply) => reply.code(404).send('fallback'))
    await app.register(
      async (scope) => {
        await scope.register(convoyStatic, { root: tree.root, prefix: '/assets' })
      },
      { prefix: '/v1' },
    )
    const url = await listen(app)
    const path = served(tree, 'css/site.css')
    expect((await request(`${url}/v1/assets/${path}`)).status).toBe(200)
    expect((await request(`${url}/assets/${path}`)).text).toBe('fallback')
  })

  it('defaults to the /static/ prefix, the default baseUrl of createConvoy()', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(convoyStatic, { root: tree.root })
    const url = await listen(app)
    expect((await request(`${url}/static/${served(tree, 'css/site.css')}`)).status).toBe(200)
  })

  it('merges its Vary with one an earlier onRequest hook set', async () => {
    const url = await start({}, (app) => {
      app.addHook('onRequest', (_request, reply, done) => {
        reply.header('Vary', 'Origin')
        done()
      })
    })
    const reply = await request(`${url}/static/${served(tree, 'css/site.css')}`, { headers: { 'Accept-Encoding': 'br' } })
    expect(reply.headers.vary).toBe('Origin, Accept-Encoding')
  })

  it('lets the headers hook change headers, and sends its error to the error handler without the file headers', async () => {
    const seen: string[] = []
    const url = await start({
      headers: (path, reply) => {
        seen.push(path)
        if (path.endsWith('.svg')) throw new Error('hook failed')
        reply.header('X-Served-Path', path)
      },
    })
    const css = served(tree, 'css/site.css')
    const ok = await request(`${url}/static/${css}`)
    expect(ok.headers['x-served-path']).toBe(css)
    expect(seen).toContain(css)

    const failed = await request(`${url}/static/${served(tree, 'img/logo.svg')}`)
    expect(failed.status).toBe(500)
    expect(failed.headers['cache-control']).toBeUndefined()
    expect(failed.headers.etag).toBeUndefined()
    expect(JSON.parse(failed.text)).toMatchObject({ message: 'hook failed' })
  })

  it('streams files it does not keep in memory, whole or in ranges', async () => {
    const url = await start({ memoryCacheBytes: 0 })
    const target = `${url}/static/${served(tree, 'data/big.txt')}`
    const whole = await request(target, { headers: { 'Accept-Encoding': 'identity' } })
    expect(whole.status).toBe(200)
    expect(whole.text).toBe(SOURCES['data/big.txt'])
    const part = await request(target, { headers: { 'Accept-Encoding': 'identity', Range: 'bytes=44-87' } })
    expect(part.status).toBe(206)
    expect(part.text).toBe('All work and no play makes Jack a dull boy.\n')
    const compressed = await request(target, { headers: { 'Accept-Encoding': 'br' } })
    expect(compressed.headers['content-encoding']).toBe('br')
    expect(compressed.text).toBe(SOURCES['data/big.txt'])
  })

  it('serves the source directories themselves in development (sources), without caching', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(convoyStatic, { sources: [join(dirname(tree.root), 'static')] })
    const url = await listen(app)
    const reply = await request(`${url}/static/css/site.css`)
    expect(reply.status).toBe(200)
    expect(reply.headers['cache-control']).toBe('no-cache')
    expect(reply.text).toBe(SOURCES['css/site.css'])
  })

  it('serves a Storage', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(convoyStatic, { storage: createFsStorage({ root: tree.root }) })
    const url = await listen(app)
    const reply = await request(`${url}/static/${served(tree, 'js/app.js')}`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('gzip')
  })

  it('answers a file stream that fails before its first bytes with the error handler, without the file headers', async () => {
    const fs = createFsStorage({ root: tree.root })
    const failing = {
      name: 'failing',
      list: fs.list.bind(fs),
      stat: fs.stat.bind(fs),
      read: fs.read.bind(fs),
      readStream: () => Promise.resolve(new Readable({ read() { this.destroy(new Error('disk failed')) } })),
    }
    const app = Fastify()
    apps.push(app)
    await app.register(convoyStatic, { storage: failing, memoryCacheBytes: 0 })
    const url = await listen(app)
    const reply = await request(`${url}/static/${served(tree, 'css/site.css')}`, { headers: { 'Accept-Encoding': 'br' } })
    expect(reply.status).toBe(500)
    for (const name of ['content-encoding', 'cache-control', 'etag', 'last-modified', 'accept-ranges']) expect(reply.headers[name], name).toBeUndefined()
    expect(JSON.parse(reply.text)).toMatchObject({ statusCode: 500, message: 'disk failed' })
  })

  it('is left alone by convoyCompress, which still compresses the app fallback', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(convoyCompress, { threshold: 0 })
    app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/html').send(BIG_TEXT))
    await app.register(convoyStatic, { root: tree.root })
    const url = await listen(app)
    // No .gz or .br sibling of a 14-byte file: the core sends it as it is, and so it must stay.
    const tiny = await request(`${url}/static/${served(tree, 'css/tiny.css')}`, { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(tiny.status).toBe(200)
    expect(tiny.headers['content-encoding']).toBeUndefined()
    expect(tiny.headers.vary).toBeUndefined()
    expect(tiny.headers.etag).toMatch(/^"/)
    expect(tiny.text).toBe('.t{color:red}')
    const fallback = await request(`${url}/static/missing.css`, { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(fallback.status).toBe(404)
    expect(fallback.headers['content-encoding']).toBe('br')
    expect(fallback.text).toBe(BIG_TEXT)
  })

  it('fails app.ready() when the root cannot be indexed', async () => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(convoyStatic, { root: `${tree.root}/does-not-exist` })).rejects.toSatisfy(isConvoyError)
  })

  it('refuses options of the wrong type at registration', async () => {
    const app = Fastify()
    apps.push(app)
    const error = await app.register(convoyStatic, { root: tree.root, fallthrough: 'yes' as unknown as boolean }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect(String(error)).toMatch(/@convoy\/fastify: fallthrough must be a boolean/)
  })
})
