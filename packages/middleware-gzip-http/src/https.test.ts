import { type IncomingMessage, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gzipHttpOnly, type GzipHttpOnlyOptions } from './gzip-http-only.js'
import { BIG_TEXT, request, startHttpServer, startHttpsServer, type TestServer } from './test/http.js'

function app(options?: GzipHttpOnlyOptions) {
  const middleware = gzipHttpOnly(options)
  return (req: IncomingMessage, res: ServerResponse) =>
    middleware(req, res, () => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8')
      res.setHeader('ETag', '"page"')
      res.end(BIG_TEXT)
    })
}

describe('over HTTPS (a real TLS server with a self-signed certificate)', () => {
  let plain: TestServer
  let optedIn: TestServer
  let throwing: TestServer
  beforeAll(async () => {
    plain = await startHttpsServer(app())
    optedIn = await startHttpsServer(app({ allowOnHttps: (req) => req.url === '/public' }))
    throwing = await startHttpsServer(
      app({
        allowOnHttps: () => {
          throw new Error('broken opt-in')
        },
      }),
    )
  })
  afterAll(async () => {
    await Promise.all([plain.close(), optedIn.close(), throwing.close()])
  })

  it.each(['gzip', 'br', 'gzip, deflate, br', '*', 'gzip, identity;q=0'])(
    'never compresses, even for Accept-Encoding %j',
    async (acceptEncoding) => {
      const reply = await request(`${plain.url}/`, { ca: plain.ca!, headers: { 'Accept-Encoding': acceptEncoding } })
      expect(reply.status).toBe(200)
      expect(reply.headers['content-encoding']).toBeUndefined()
      expect(reply.headers.vary).toBeUndefined()
      expect(reply.headers.etag).toBe('"page"')
      expect(reply.raw.toString('utf8')).toBe(BIG_TEXT)
    },
  )

  it('compresses the responses allowOnHttps opts back in, and only those', async () => {
    const headers = { 'Accept-Encoding': 'br, gzip' }
    const allowed = await request(`${optedIn.url}/public`, { ca: optedIn.ca!, headers })
    expect(allowed.headers['content-encoding']).toBe('br')
    expect(allowed.headers.vary).toBe('Accept-Encoding')
    expect(allowed.headers.etag).toBe('W/"page"')
    expect(allowed.text).toBe(BIG_TEXT)

    const other = await request(`${optedIn.url}/account`, { ca: optedIn.ca!, headers })
    expect(other.headers['content-encoding']).toBeUndefined()
    expect(other.text).toBe(BIG_TEXT)
  })

  it('still offers res.flush(), so code written for plain HTTP does not break on HTTPS', async () => {
    const middleware = gzipHttpOnly()
    const server = await startHttpsServer((req, res) =>
      middleware(req, res, () => {
        res.setHeader('Content-Type', 'text/plain')
        res.write('part one, ')
        ;(res as ServerResponse & { flush(): void }).flush()
        res.end('part two')
      }),
    )
    try {
      const reply = await request(`${server.url}/`, { ca: server.ca!, headers: { 'Accept-Encoding': 'gzip' } })
      expect(reply.status).toBe(200)
      expect(reply.headers['content-encoding']).toBeUndefined()
      expect(reply.text).toBe('part one, part two')
    } finally {
      await server.close()
    }
  })

  it('sends the response uncompressed when allowOnHttps throws', async () => {
    const reply = await request(`${throwing.url}/`, { ca: throwing.ca!, headers: { 'Accept-Encoding': 'gzip' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.text).toBe(BIG_TEXT)
  })
})

describe('over plain HTTP behind a TLS-terminating proxy', () => {
  let server: TestServer
  let optedIn: TestServer
  beforeAll(async () => {
    server = await startHttpServer(app())
    optedIn = await startHttpServer(app({ allowOnHttps: (req) => req.url === '/public' }))
  })
  afterAll(async () => {
    await Promise.all([server.close(), optedIn.close()])
  })

  // Each proxy header, sign or not, is a row of the shared HTTPS-sign table, run end to end in conformance.test.ts.
  it('never compresses when one header says HTTPS though the others say HTTP', async () => {
    const headers = {
      'Accept-Encoding': 'gzip, br',
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-Port': '80',
      'CF-Visitor': '{"scheme":"https"}',
    }
    const reply = await request(`${server.url}/`, { headers })
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers.vary).toBeUndefined()
    expect(reply.raw.toString('utf8')).toBe(BIG_TEXT)
  })

  it('lets allowOnHttps opt a proxied HTTPS response back in', async () => {
    const headers = { 'Accept-Encoding': 'gzip', 'X-Forwarded-Proto': 'https' }
    expect((await request(`${optedIn.url}/public`, { headers })).headers['content-encoding']).toBe('gzip')
    expect((await request(`${optedIn.url}/private`, { headers })).headers['content-encoding']).toBeUndefined()
  })
})
