import { type IncomingMessage, type ServerResponse } from 'node:http'
import { gzipSync } from 'node:zlib'
import { isConvoyError } from '@convoy/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gzipHttpOnly, type GzipHttpOnlyOptions } from './gzip-http-only.js'
import { BIG_TEXT, request, startHttpServer, type TestServer } from './test/http.js'

type Route = (req: IncomingMessage, res: ServerResponse) => void

const PRE_GZIPPED = gzipSync(Buffer.from(BIG_TEXT))

function text(res: ServerResponse, body: string, headers: Record<string, string> = {}): void {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(body)
}

const routes: Record<string, Route> = {
  '/big': (_req, res) => text(res, BIG_TEXT),
  '/big-length': (_req, res) => text(res, BIG_TEXT, { 'Content-Length': String(Buffer.byteLength(BIG_TEXT)) }),
  '/small': (_req, res) => text(res, 'tiny'),
  '/small-length': (_req, res) => text(res, 'tiny', { 'Content-Length': '4' }),
  '/json': (_req, res) => {
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({ text: BIG_TEXT }))
  },
  '/png': (_req, res) => {
    res.setHeader('Content-Type', 'image/png')
    res.end(BIG_TEXT)
  },
  '/no-type': (_req, res) => res.end(BIG_TEXT),
  '/stream': (_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    let sent = 0
    const timer = setInterval(() => {
      sent += 1
      res.write(`<p>chunk ${sent}</p>\n`)
      if (sent === 5) {
        clearInterval(timer)
        res.end()
      }
    }, 5)
  },
  '/etag-strong': (_req, res) => text(res, BIG_TEXT, { ETag: '"v1"' }),
  '/etag-weak': (_req, res) => text(res, BIG_TEXT, { ETag: 'W/"v1"' }),
  '/vary-origin': (_req, res) => text(res, BIG_TEXT, { Vary: 'Origin' }),
  '/vary-accept-encoding': (_req, res) => text(res, BIG_TEXT, { Vary: 'origin, accept-encoding' }),
  '/vary-star': (_req, res) => text(res, BIG_TEXT, { Vary: '*' }),
  '/already-encoded': (_req, res) => {
    res.setHeader('Content-Type', 'text/plain')
    res.setHeader('Content-Encoding', 'gzip')
    res.setHeader('ETag', '"gz"')
    res.setHeader('Content-Length', String(PRE_GZIPPED.length))
    res.end(PRE_GZIPPED)
  },
  '/no-transform': (_req, res) => text(res, BIG_TEXT, { 'Cache-Control': 'public, No-Transform', ETag: '"nt"' }),
  '/no-content': (_req, res) => {
    res.statusCode = 204
    res.setHeader('ETag', '"nc"')
    res.end()
  },
  '/not-modified': (_req, res) => {
    res.statusCode = 304
    res.setHeader('Content-Type', 'text/plain')
    res.setHeader('ETag', '"nm"')
    res.end()
  },
  '/partial': (_req, res) => {
    res.statusCode = 206
    text(res, BIG_TEXT.slice(0, 2000), { 'Content-Range': `bytes 0-1999/${BIG_TEXT.length}` })
  },
  '/write-head': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', ETag: '"wh"', 'Content-Length': String(BIG_TEXT.length) })
    res.end(BIG_TEXT)
  },
}

async function serve(options?: GzipHttpOnlyOptions): Promise<TestServer> {
  const middleware = gzipHttpOnly(options)
  return startHttpServer((req, res) => {
    middleware(req, res, () => {
      const route = routes[new URL(req.url ?? '/', 'http://x').pathname]
      if (route === undefined) {
        res.statusCode = 404
        res.end('not found')
      } else {
        route(req, res)
      }
    })
  })
}

describe('gzipHttpOnly over plain HTTP (node:http)', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await serve()
  })
  afterAll(() => server.close())

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    request(server.url + path, { method, headers })

  it.each<[string, string | undefined]>([
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.8, gzip;q=0.5', 'br'],
    ['gzip;q=0', undefined],
    ['gzip;q=0, br', 'br'],
    ['*', 'br'],
    ['br;q=0, *', 'gzip'],
    ['*;q=0', undefined],
    ['identity;q=0', undefined],
    ['identity', undefined],
    ['deflate', undefined],
    ['', undefined],
  ])('Accept-Encoding %j → Content-Encoding %s, body intact', async (acceptEncoding, expected) => {
    const reply = await get('/big', { 'Accept-Encoding': acceptEncoding })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe(expected)
    expect(reply.text).toBe(BIG_TEXT)
    expect(reply.headers.vary).toBe('Accept-Encoding')
    if (expected !== undefined) expect(reply.raw.length).toBeLessThan(BIG_TEXT.length / 4)
  })

  it('sends the body as is, with Vary, when the request has no Accept-Encoding', async () => {
    const reply = await get('/big')
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(reply.text).toBe(BIG_TEXT)
  })

  it.each([
    ['/json', 'br'],
    ['/small', undefined],
    ['/small-length', undefined],
    ['/png', undefined],
    ['/no-type', undefined],
  ])('%s → Content-Encoding %s', async (path, expected) => {
    const reply = await get(path, { 'Accept-Encoding': 'gzip, br' })
    expect(reply.headers['content-encoding']).toBe(expected)
  })

  it('sets Vary on bodies under the threshold: a bigger one from the same URL could be compressed', async () => {
    const reply = await get('/small-length', { 'Accept-Encoding': 'gzip' })
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers['content-length']).toBe('4')
    expect(reply.headers.vary).toBe('Accept-Encoding')
  })

  it('compresses a body under the threshold when the client refuses identity', async () => {
    const reply = await get('/small', { 'Accept-Encoding': 'gzip, identity;q=0' })
    expect(reply.headers['content-encoding']).toBe('gzip')
    expect(reply.text).toBe('tiny')
  })

  it('removes Content-Length when it compresses', async () => {
    const plain = await get('/big-length', { 'Accept-Encoding': 'identity' })
    expect(plain.headers['content-length']).toBe(String(BIG_TEXT.length))
    const compressed = await get('/big-length', { 'Accept-Encoding': 'gzip' })
    expect(compressed.headers['content-encoding']).toBe('gzip')
    expect(compressed.headers['content-length']).toBeUndefined()
    expect(compressed.text).toBe(BIG_TEXT)
  })

  it('compresses headers given to writeHead too', async () => {
    const reply = await get('/write-head', { 'Accept-Encoding': 'gzip' })
    expect(reply.headers['content-encoding']).toBe('gzip')
    expect(reply.headers['content-length']).toBeUndefined()
    expect(reply.headers.etag).toBe('W/"wh"')
    expect(reply.text).toBe(BIG_TEXT)
  })

  it('compresses a streamed body of unknown length, however small, chunk after chunk', async () => {
    const reply = await get('/stream', { 'Accept-Encoding': 'gzip' })
    expect(reply.headers['content-encoding']).toBe('gzip')
    expect(reply.headers['content-length']).toBeUndefined()
    expect(reply.text).toBe([1, 2, 3, 4, 5].map((n) => `<p>chunk ${n}</p>\n`).join(''))
  })

  it.each([
    ['/etag-strong', 'gzip', 'W/"v1"'],
    ['/etag-strong', 'identity', '"v1"'],
    ['/etag-weak', 'gzip', 'W/"v1"'],
  ])('%s with Accept-Encoding %s → ETag %s', async (path, acceptEncoding, etag) => {
    const reply = await get(path, { 'Accept-Encoding': acceptEncoding })
    expect(reply.headers.etag).toBe(etag)
  })

  it.each([
    ['/vary-origin', 'gzip', 'Origin, Accept-Encoding'],
    ['/vary-origin', 'identity', 'Origin, Accept-Encoding'],
    ['/vary-accept-encoding', 'gzip', 'origin, accept-encoding'],
    ['/vary-star', 'gzip', '*'],
  ])('%s with Accept-Encoding %s → Vary %j', async (path, acceptEncoding, expected) => {
    const reply = await get(path, { 'Accept-Encoding': acceptEncoding })
    expect(reply.headers.vary).toBe(expected)
    expect(reply.text).toBe(BIG_TEXT)
  })

  it('passes an already-encoded response through byte for byte', async () => {
    const reply = await get('/already-encoded', { 'Accept-Encoding': 'br, gzip' })
    expect(reply.headers['content-encoding']).toBe('gzip')
    expect(reply.headers['content-length']).toBe(String(PRE_GZIPPED.length))
    expect(reply.headers.etag).toBe('"gz"')
    expect(reply.raw.equals(PRE_GZIPPED)).toBe(true)
  })

  it('leaves Cache-Control: no-transform responses untouched', async () => {
    const reply = await get('/no-transform', { 'Accept-Encoding': 'br, gzip' })
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers.etag).toBe('"nt"')
    expect(reply.headers.vary).toBeUndefined()
    expect(reply.text).toBe(BIG_TEXT)
  })

  it('leaves HEAD untouched', async () => {
    const reply = await get('/big-length', { 'Accept-Encoding': 'br, gzip' }, 'HEAD')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers['content-length']).toBe(String(BIG_TEXT.length))
    expect(reply.raw.length).toBe(0)
  })

  it.each([
    ['/no-content', 204, '"nc"'],
    ['/not-modified', 304, '"nm"'],
  ])('leaves %s (%i) untouched', async (path, status, etag) => {
    const reply = await get(path, { 'Accept-Encoding': 'br, gzip' })
    expect(reply.status).toBe(status)
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers.etag).toBe(etag)
    expect(reply.headers.vary).toBeUndefined()
  })

  it('leaves partial content untouched: its byte range refers to the uncompressed body', async () => {
    const reply = await get('/partial', { 'Accept-Encoding': 'gzip' })
    expect(reply.status).toBe(206)
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.text).toBe(BIG_TEXT.slice(0, 2000))
  })
})

describe('server-sent events', () => {
  it('are not compressed, so each event reaches the client as soon as it is written', async () => {
    let firstEventSeen: () => void = () => undefined
    const seen = new Promise<void>((resolve) => {
      firstEventSeen = resolve
    })
    const middleware = gzipHttpOnly()
    const server = await startHttpServer((req, res) => {
      middleware(req, res, () => {
        res.setHeader('Content-Type', 'text/event-stream')
        res.write(`data: ${'first '.repeat(300)}\n\n`)
        // The second event (and the end) only come once the client has the first one.
        void seen.then(() => res.end('data: second\n\n'))
      })
    })
    try {
      const http = await import('node:http')
      const body = await new Promise<{ encoding: string | undefined; text: string }>((resolve, reject) => {
        const req = http.request(`${server.url}/events`, { headers: { 'Accept-Encoding': 'gzip, br' }, agent: false }, (res) => {
          let received = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            received += chunk
            if (received.includes('first')) firstEventSeen()
          })
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], text: received }))
          res.on('error', reject)
        })
        req.on('error', reject)
        req.setTimeout(5000, () => req.destroy(new Error('timeout: the first event never arrived')))
        req.end()
      })
      expect(body.encoding).toBeUndefined()
      expect(body.text).toBe(`data: ${'first '.repeat(300)}\n\ndata: second\n\n`)
    } finally {
      await server.close()
    }
  })
})

describe('options', () => {
  it.each<[string, GzipHttpOnlyOptions, Record<string, string>, string, string | undefined]>([
    ['encodings: [gzip] ignores br', { encodings: ['gzip'] }, { 'Accept-Encoding': 'br, gzip' }, '/big', 'gzip'],
    ['encodings: [gzip] with a br-only client', { encodings: ['gzip'] }, { 'Accept-Encoding': 'br' }, '/big', undefined],
    ['encodings: [gzip, br] prefers gzip on a tie', { encodings: ['gzip', 'br'] }, { 'Accept-Encoding': 'br, gzip' }, '/big', 'gzip'],
    ['threshold: 0 compresses tiny bodies', { threshold: 0 }, { 'Accept-Encoding': 'gzip' }, '/small-length', 'gzip'],
    ['a higher threshold skips bigger bodies', { threshold: 100_000 }, { 'Accept-Encoding': 'gzip' }, '/big-length', undefined],
    ['gzipLevel and brotliQuality are accepted', { gzipLevel: 9, brotliQuality: 11 }, { 'Accept-Encoding': 'br' }, '/big', 'br'],
  ])('%s', async (_name, options, headers, path, expected) => {
    const server = await serve(options)
    try {
      const reply = await request(server.url + path, { headers })
      expect(reply.headers['content-encoding']).toBe(expected)
      expect(reply.text).toBe(path.startsWith('/small') ? 'tiny' : BIG_TEXT)
    } finally {
      await server.close()
    }
  })

  describe('conservativeMsieGzip', () => {
    const MSIE6 = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)'
    const MSIE8 = 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)'

    it.each([
      [true, MSIE6, undefined, 'Accept-Encoding, User-Agent'],
      [true, MSIE8, 'gzip', 'Accept-Encoding, User-Agent'],
      [false, MSIE6, 'gzip', 'Accept-Encoding'],
    ])('on=%s, %s → %s, Vary %s', async (on, userAgent, expected, varyHeader) => {
      const server = await serve({ conservativeMsieGzip: on })
      try {
        const reply = await request(`${server.url}/big`, { headers: { 'Accept-Encoding': 'gzip, deflate', 'User-Agent': userAgent } })
        expect(reply.headers['content-encoding']).toBe(expected)
        expect(reply.headers.vary).toBe(varyHeader)
      } finally {
        await server.close()
      }
    })
  })

  it.each<[string, unknown]>([
    ['options that are not an object', 'gzip'],
    ['an unknown option', { treshold: 10 }],
    ['a negative threshold', { threshold: -1 }],
    ['a threshold that is not a number', { threshold: '1kb' }],
    ['an infinite threshold', { threshold: Number.POSITIVE_INFINITY }],
    ['empty encodings', { encodings: [] }],
    ['an unsupported encoding', { encodings: ['deflate'] }],
    ['a repeated encoding', { encodings: ['gzip', 'gzip'] }],
    ['gzipLevel out of range', { gzipLevel: 10 }],
    ['gzipLevel not an integer', { gzipLevel: 5.5 }],
    ['brotliQuality out of range', { brotliQuality: 12 }],
    ['allowOnHttps not a function', { allowOnHttps: true }],
    ['conservativeMsieGzip not a boolean', { conservativeMsieGzip: 'yes' }],
  ])('throws ERR_CONVOY_CONFIG at creation for %s', (_name, options) => {
    let thrown: unknown
    try {
      gzipHttpOnly(options as GzipHttpOnlyOptions)
    } catch (error) {
      thrown = error
    }
    expect(isConvoyError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(/^@convoy\/middleware-gzip-http: /) })
  })

  it('returns a named middleware function of arity 3', () => {
    const middleware = gzipHttpOnly()
    expect(middleware.name).toBe('gzipHttpOnly')
    expect(middleware).toHaveLength(3)
  })
})
