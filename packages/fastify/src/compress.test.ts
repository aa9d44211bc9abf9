import { createServer, type Server } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { isConvoyError } from '@convoy/errors'
import { gzipHttpOnly, type GzipHttpOnlyOptions } from '@convoy/middleware-gzip-http'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { convoyCompress, type ConvoyCompressOptions } from './compress.js'
import { BIG_TEXT, certificate, listen, request, type Reply } from './test/helpers.js'

/** Apps of one test, closed after it. */
const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})
/** Apps of a whole describe block, closed after it. */
const shared: FastifyInstance[] = []
afterAll(async () => {
  await Promise.all(shared.splice(0).map((app) => app.close()))
})

/** A response as a route answers it: the same one from Fastify and from node:http behind gzipHttpOnly. */
interface Route {
  readonly path: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const ROUTES: readonly Route[] = [
  { path: '/html', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: `<main>${BIG_TEXT}</main>` },
  { path: '/small', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: '<p>small</p>' },
  { path: '/json', status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ text: BIG_TEXT }) },
  { path: '/png', status: 200, headers: { 'Content-Type': 'image/png' }, body: BIG_TEXT },
  { path: '/events', status: 200, headers: { 'Content-Type': 'text/event-stream' }, body: `data: ${BIG_TEXT}\n\n` },
  { path: '/no-transform', status: 200, headers: { 'Content-Type': 'text/html', 'Cache-Control': 'public, no-transform' }, body: BIG_TEXT },
  { path: '/encoded', status: 200, headers: { 'Content-Type': 'text/html', 'Content-Encoding': 'identity' }, body: BIG_TEXT },
  { path: '/strong-etag', status: 200, headers: { 'Content-Type': 'text/html', ETag: '"v1"' }, body: BIG_TEXT },
  { path: '/weak-etag', status: 200, headers: { 'Content-Type': 'text/html', ETag: 'W/"v1"' }, body: BIG_TEXT },
  { path: '/vary', status: 200, headers: { 'Content-Type': 'text/html', Vary: 'Origin' }, body: BIG_TEXT },
  { path: '/not-found', status: 404, headers: { 'Content-Type': 'text/html' }, body: BIG_TEXT },
  { path: '/partial', status: 206, headers: { 'Content-Type': 'text/html', 'Content-Range': `bytes 0-${BIG_TEXT.length - 1}/9999` }, body: BIG_TEXT },
  { path: '/no-content', status: 204, headers: { 'Content-Type': 'text/html' }, body: '' },
]

const REQUESTS: readonly { readonly name: string; readonly method?: string; readonly headers: Readonly<Record<string, string>> }[] = [
  { name: 'gzip, br', headers: { 'Accept-Encoding': 'gzip, br' } },
  { name: 'gzip only', headers: { 'Accept-Encoding': 'gzip' } },
  { name: 'gzip preferred by q', headers: { 'Accept-Encoding': 'br;q=0.5, gzip' } },
  { name: 'gzip refused', headers: { 'Accept-Encoding': 'gzip;q=0, identity' } },
  { name: 'any coding', headers: { 'Accept-Encoding': '*' } },
  { name: 'identity refused', headers: { 'Accept-Encoding': 'gzip, identity;q=0' } },
  { name: 'deflate only', headers: { 'Accept-Encoding': 'deflate' } },
  { name: 'no Accept-Encoding', headers: {} },
  { name: 'HEAD', method: 'HEAD', headers: { 'Accept-Encoding': 'gzip, br' } },
  { name: 'X-Forwarded-Proto: https', headers: { 'Accept-Encoding': 'gzip, br', 'X-Forwarded-Proto': 'https' } },
  { name: 'Forwarded: proto=https', headers: { 'Accept-Encoding': 'gzip, br', Forwarded: 'for=1.2.3.4;proto=https' } },
  { name: 'old MSIE', headers: { 'Accept-Encoding': 'gzip', 'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)' } },
]

async function startFastify(options: ConvoyCompressOptions, routes: readonly Route[]): Promise<string> {
  const app = Fastify()
  shared.push(app)
  await app.register(convoyCompress, options)
  for (const route of routes) {
    app.get(route.path, (_request, reply) => reply.code(route.status).headers(route.headers).send(route.body))
  }
  return listen(app)
}

async function startReference(options: GzipHttpOnlyOptions, routes: readonly Route[]): Promise<{ url: string; server: Server }> {
  const middleware = gzipHttpOnly(options)
  const server = createServer((req, res) => {
    middleware(req, res, () => {
      const route = routes.find((candidate) => candidate.path === req.url)
      if (route === undefined) {
        res.statusCode = 404
        res.end()
        return
      }
      res.statusCode = route.status
      for (const [name, value] of Object.entries(route.headers)) res.setHeader(name, value)
      res.end(route.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/** What the compression rules decide, leaving out what the frameworks may set differently (Date, Content-Type charset…). */
function decided(reply: Reply) {
  const compressed = reply.headers['content-encoding'] !== undefined && reply.headers['content-encoding'] !== 'identity'
  const length = reply.headers['content-length']
  return {
    status: reply.status,
    contentEncoding: reply.headers['content-encoding'],
    vary: reply.headers.vary,
    etag: reply.headers.etag,
    text: reply.text,
    // A compressed body never carries the original's Content-Length: gzipHttpOnly streams it chunked, Fastify sends
    // the compressed length (a body known in full). Uncompressed, the frameworks differ (`compression` streams it).
    contentLength: compressed && length !== undefined && length !== String(reply.raw.length) ? `wrong: ${length}` : 'fine',
  }
}

describe.each<[string, Omit<ConvoyCompressOptions, 'allowOnHttps'>]>([
  ['default options', {}],
  ['conservativeMsieGzip, threshold 100, gzip first', { conservativeMsieGzip: true, threshold: 100, encodings: ['gzip', 'br'] }],
])('convoyCompress decides exactly as gzipHttpOnly (%s)', (_name, options) => {
  let fastifyUrl: string
  let reference: { url: string; server: Server }
  beforeAll(async () => {
    fastifyUrl = await startFastify(options, ROUTES)
    reference = await startReference(options, ROUTES)
  })
  afterAll(async () => {
    reference.server.closeAllConnections()
    await new Promise((resolve) => reference.server.close(resolve))
  })

  it.each(ROUTES.map((route) => [route.path, route] as const))('%s', async (_path, route) => {
    for (const { name, method = 'GET', headers } of REQUESTS) {
      const [ours, theirs] = await Promise.all([
        request(`${fastifyUrl}${route.path}`, { method, headers }),
        request(`${reference.url}${route.path}`, { method, headers }),
      ])
      expect(decided(ours), `${route.path}, ${name}`).toEqual(decided(theirs))
      if (method === 'GET' && ours.headers['content-encoding'] === undefined && route.status === 200) {
        expect(ours.headers['content-length'], `${route.path}, ${name}`).toBe(String(ours.raw.length))
      }
    }
  })

  it('compresses on plain HTTP and never with a sign of HTTPS (the tables above cover both)', async () => {
    const plain = await request(`${fastifyUrl}/html`, { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(plain.headers['content-encoding']).toMatch(/^(br|gzip)$/)
    const proxied = await request(`${fastifyUrl}/html`, { headers: { 'Accept-Encoding': 'gzip, br', 'X-Forwarded-Proto': 'https' } })
    expect(proxied.headers['content-encoding']).toBeUndefined()
    expect(proxied.headers.vary).toBeUndefined()
  })
})

describe('convoyCompress payloads', () => {
  let url: string
  beforeAll(async () => {
    const app = Fastify()
    await app.register(convoyCompress)
    app.get('/object', () => ({ text: BIG_TEXT }))
    app.get('/buffer', (_request, reply) => reply.type('text/plain').send(Buffer.from(BIG_TEXT)))
    app.get('/stream', (_request, reply) => reply.type('text/plain').send(Readable.from(['first line\n', BIG_TEXT, '\nlast line\n'])))
    app.get('/web-stream', (_request, reply) => reply.type('text/plain').send(Readable.toWeb(Readable.from([Buffer.from(BIG_TEXT)]))))
    app.get('/failing-early', (_request, reply) => {
      const stream = new Readable({ read() {} })
      stream.push(BIG_TEXT)
      setImmediate(() => stream.destroy(new Error('source failed')))
      return reply.type('text/plain').send(stream)
    })
    app.get('/failing-late', (_request, reply) => {
      const stream = new Readable({ read() {} })
      // Incompressible bytes, enough for the compressor to send its first output (and the headers with it).
      stream.push(randomBytes(256 * 1024))
      setTimeout(() => stream.destroy(new Error('source failed')), 50)
      return reply.type('text/plain').send(stream)
    })
    shared.push(app)
    url = await listen(app)
  })

  it('compresses serialized objects, Buffers, Node streams and Web streams', async () => {
    const object = await request(`${url}/object`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(object.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(object.text)).toEqual({ text: BIG_TEXT })
    const buffer = await request(`${url}/buffer`, { headers: { 'Accept-Encoding': 'br' } })
    expect(buffer.headers['content-encoding']).toBe('br')
    expect(buffer.text).toBe(BIG_TEXT)
    const stream = await request(`${url}/stream`, { headers: { 'Accept-Encoding': 'br' } })
    expect(stream.headers['content-encoding']).toBe('br')
    expect(stream.headers['content-length']).toBeUndefined()
    expect(stream.text).toBe(`first line\n${BIG_TEXT}\nlast line\n`)
    const web = await request(`${url}/web-stream`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(web.headers['content-encoding']).toBe('gzip')
    expect(web.text).toBe(BIG_TEXT)
  })

  it('answers a stream that fails before its first bytes with the error handler, without its Content-Encoding', async () => {
    const reply = await request(`${url}/failing-early`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(reply.status).toBe(500)
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(JSON.parse(reply.text)).toMatchObject({ statusCode: 500, message: 'source failed' })
  })

  it('cuts the connection when a compressed stream fails later, rather than end a truncated body cleanly', async () => {
    await expect(request(`${url}/failing-late`, { headers: { 'Accept-Encoding': 'gzip' } })).rejects.toThrow()
  })

  it('keeps HEAD of a streamed route uncompressed', async () => {
    const head = await request(`${url}/stream`, { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } })
    expect(head.status).toBe(200)
    expect(head.headers['content-encoding']).toBeUndefined()
    expect(head.headers.vary).toBe('Accept-Encoding')
  })
})

describe('convoyCompress over a real TLS socket', () => {
  let pems: { key: string; cert: string }
  beforeAll(async () => {
    pems = await certificate()
  })

  async function startHttps(options: ConvoyCompressOptions): Promise<string> {
    const app = Fastify({ https: pems })
    apps.push(app)
    await app.register(convoyCompress, options)
    app.get('/account', (_request, reply) => reply.type('text/html').header('ETag', '"page"').send(BIG_TEXT))
    app.get('/public', (_request, reply) => reply.type('text/html').send(BIG_TEXT))
    return listen(app, 'https')
  }

  it('never compresses, whatever the client accepts', async () => {
    const url = await startHttps({})
    for (const acceptEncoding of ['gzip', 'br', 'gzip, deflate, br', '*', 'gzip, identity;q=0']) {
      const reply = await request(`${url}/account`, { ca: pems.cert, headers: { 'Accept-Encoding': acceptEncoding } })
      expect(reply.status).toBe(200)
      expect(reply.headers['content-encoding'], acceptEncoding).toBeUndefined()
      expect(reply.headers.vary).toBeUndefined()
      expect(reply.headers.etag).toBe('"page"')
      expect(reply.text).toBe(BIG_TEXT)
    }
  })

  it('compresses what allowOnHttps opts back in, and nothing when it throws', async () => {
    const url = await startHttps({ allowOnHttps: (request) => request.url === '/public' })
    const headers = { 'Accept-Encoding': 'br, gzip' }
    const allowed = await request(`${url}/public`, { ca: pems.cert, headers })
    expect(allowed.headers['content-encoding']).toBe('br')
    expect(allowed.text).toBe(BIG_TEXT)
    const other = await request(`${url}/account`, { ca: pems.cert, headers })
    expect(other.headers['content-encoding']).toBeUndefined()

    const throwing = await startHttps({
      allowOnHttps: () => {
        throw new Error('broken opt-in')
      },
    })
    const reply = await request(`${throwing}/public`, { ca: pems.cert, headers })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.text).toBe(BIG_TEXT)
  })
})

describe('convoyCompress options', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown option', { level: 9 }, /@convoy\/fastify: unknown option "level"/],
    ['a threshold out of range', { threshold: -1 }, /threshold must be a finite number/],
    ['an encoding it cannot produce', { encodings: ['deflate'] }, /encodings may only contain/],
    ['an allowOnHttps that is no function', { allowOnHttps: true }, /allowOnHttps must be a function/],
  ])('refuses %s at registration', async (_name, options, message) => {
    const app = Fastify()
    apps.push(app)
    const error = await app.register(convoyCompress, options as ConvoyCompressOptions).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect(String(error)).toMatch(message)
  })
})
