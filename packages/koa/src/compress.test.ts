import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { isConvoyError } from '@convoy/errors'
import type Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compress, type CompressOptions } from './compress.js'
import { BIG_TEXT, KOAS, listen, listenTls, quiet, request, type TestServer } from './test/http.js'

const PRE_GZIPPED = gzipSync(Buffer.from(BIG_TEXT))

type Route = (ctx: Koa.Context) => void

/** A stream that writes `count` chunks, one per tick of the event loop. */
function chunks(count: number, line: (n: number) => string): Readable {
  let sent = 0
  return new Readable({
    read() {
      sent += 1
      setImmediate(() => this.push(sent > count ? null : line(sent)))
    },
  })
}

const routes: Record<string, Route> = {
  '/big': (ctx) => {
    ctx.type = 'text/plain; charset=utf-8'
    ctx.body = BIG_TEXT
  },
  '/html': (ctx) => {
    ctx.body = `<main>${BIG_TEXT}</main>`
  },
  '/buffer': (ctx) => {
    ctx.type = 'text/plain'
    ctx.body = Buffer.from(BIG_TEXT)
  },
  '/small': (ctx) => {
    ctx.type = 'text/plain'
    ctx.body = 'tiny'
  },
  '/json': (ctx) => {
    ctx.body = { text: BIG_TEXT }
  },
  '/json-small': (ctx) => {
    ctx.body = { ok: true }
  },
  '/png': (ctx) => {
    ctx.type = 'image/png'
    ctx.body = BIG_TEXT
  },
  '/octets': (ctx) => {
    ctx.body = Buffer.from(BIG_TEXT)
  },
  '/no-type': (ctx) => {
    ctx.body = BIG_TEXT
    ctx.remove('Content-Type')
  },
  '/stream': (ctx) => {
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = chunks(5, (n) => `<p>chunk ${n}</p>\n`)
  },
  '/stream-length': (ctx) => {
    ctx.type = 'text/plain'
    ctx.body = Readable.from([Buffer.from('tiny')])
    ctx.length = 4
  },
  '/etag-strong': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('ETag', '"v1"')
    ctx.body = BIG_TEXT
  },
  '/etag-weak': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('ETag', 'W/"v1"')
    ctx.body = BIG_TEXT
  },
  '/vary-origin': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('Vary', 'Origin')
    ctx.body = BIG_TEXT
  },
  '/vary-accept-encoding': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('Vary', 'origin, accept-encoding')
    ctx.body = BIG_TEXT
  },
  '/vary-star': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('Vary', '*')
    ctx.body = BIG_TEXT
  },
  '/already-encoded': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('Content-Encoding', 'gzip')
    ctx.set('ETag', '"gz"')
    ctx.body = PRE_GZIPPED
  },
  '/identity-encoded': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('Content-Encoding', 'identity')
    ctx.body = BIG_TEXT
  },
  '/no-transform': (ctx) => {
    ctx.type = 'text/plain'
    ctx.set('Cache-Control', 'public, No-Transform')
    ctx.set('ETag', '"nt"')
    ctx.body = BIG_TEXT
  },
  '/no-content': (ctx) => {
    ctx.status = 204
    ctx.set('ETag', '"nc"')
  },
  '/not-modified': (ctx) => {
    ctx.status = 304
    ctx.type = 'text/plain'
    ctx.set('ETag', '"nm"')
  },
  '/partial': (ctx) => {
    ctx.status = 206
    ctx.type = 'text/plain'
    ctx.set('Content-Range', `bytes 0-1999/${BIG_TEXT.length}`)
    ctx.body = BIG_TEXT.slice(0, 2000)
  },
  '/events': (ctx) => {
    ctx.type = 'text/event-stream'
    ctx.body = chunks(3, (n) => `data: ${'event '.repeat(100)}${n}\n\n`)
  },
  '/nothing': () => undefined,
  '/respond-false': (ctx) => {
    ctx.respond = false
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' })
    ctx.res.end(BIG_TEXT)
  },
}

function app(App: typeof Koa, options?: CompressOptions): Koa {
  const koa = new App()
  quiet(koa)
  koa.use(compress(options))
  koa.use((ctx) => {
    const route = routes[ctx.path]
    if (route !== undefined) route(ctx)
  })
  return koa
}

describe.each(KOAS)('compress on %s over plain HTTP', (_name, App) => {
  let server: TestServer
  beforeAll(async () => {
    server = await listen(app(App))
  })
  afterAll(() => server.close())

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => request(server.url + path, { method, headers })

  it.each<[string, string | undefined]>([
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
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
  ])('Accept-Encoding %j → Content-Encoding %s, body intact, Vary set', async (acceptEncoding, expected) => {
    const reply = await get('/big', { 'Accept-Encoding': acceptEncoding })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe(expected)
    expect(reply.text).toBe(BIG_TEXT)
    expect(reply.headers.vary).toBe('Accept-Encoding')
    if (expected !== undefined) {
      expect(reply.raw.length).toBeLessThan(BIG_TEXT.length / 4)
      expect(reply.headers['content-length']).toBeUndefined()
    } else expect(reply.headers['content-length']).toBe(String(BIG_TEXT.length))
  })

  it('sends the body as it is, with Vary, when the request has no Accept-Encoding', async () => {
    const reply = await get('/big')
    expect([reply.headers['content-encoding'], reply.headers.vary, reply.text]).toEqual([undefined, 'Accept-Encoding', BIG_TEXT])
  })

  it.each<[string, string | undefined, string]>([
    ['/html', 'br', `<main>${BIG_TEXT}</main>`],
    ['/buffer', 'br', BIG_TEXT],
    ['/json', 'br', JSON.stringify({ text: BIG_TEXT })],
    ['/stream', 'br', [1, 2, 3, 4, 5].map((n) => `<p>chunk ${n}</p>\n`).join('')],
    ['/small', undefined, 'tiny'],
    ['/json-small', undefined, '{"ok":true}'],
    ['/stream-length', undefined, 'tiny'],
    ['/png', undefined, BIG_TEXT],
    // Koa's type for a bare Buffer, application/octet-stream, is compressible in the shared database (as with Express).
    ['/octets', 'br', BIG_TEXT],
    ['/no-type', undefined, BIG_TEXT],
    ['/identity-encoded', 'br', BIG_TEXT],
  ])('%s → Content-Encoding %s, body intact', async (path, expected, body) => {
    const reply = await get(path, { 'Accept-Encoding': 'gzip, br' })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe(expected)
    expect(reply.text).toBe(body)
  })

  it('sends JSON as application/json, compressed or not', async () => {
    const compressed = await get('/json', { 'Accept-Encoding': 'gzip' })
    const plain = await get('/json', { 'Accept-Encoding': 'identity' })
    expect(compressed.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(JSON.parse(compressed.text)).toEqual(JSON.parse(plain.text))
    expect(plain.headers['content-length']).toBe(String(plain.raw.length))
  })

  it('sets Vary on bodies under the threshold: a bigger one from the same URL could be compressed', async () => {
    const reply = await get('/small', { 'Accept-Encoding': 'gzip' })
    expect([reply.headers['content-encoding'], reply.headers['content-length'], reply.headers.vary]).toEqual([undefined, '4', 'Accept-Encoding'])
  })

  it('compresses a body under the threshold when the client refuses identity', async () => {
    const reply = await get('/small', { 'Accept-Encoding': 'gzip, identity;q=0' })
    expect([reply.headers['content-encoding'], reply.text]).toEqual(['gzip', 'tiny'])
  })

  it('compresses a streamed body of unknown length chunk after chunk, without Content-Length', async () => {
    const reply = await get('/stream', { 'Accept-Encoding': 'gzip' })
    expect([reply.headers['content-encoding'], reply.headers['content-length']]).toEqual(['gzip', undefined])
    expect(reply.text).toBe([1, 2, 3, 4, 5].map((n) => `<p>chunk ${n}</p>\n`).join(''))
  })

  it.each([
    ['/etag-strong', 'gzip', 'W/"v1"'],
    ['/etag-strong', 'identity', '"v1"'],
    ['/etag-weak', 'gzip', 'W/"v1"'],
  ])('%s with Accept-Encoding %s → ETag %s', async (path, acceptEncoding, etag) => {
    expect((await get(path, { 'Accept-Encoding': acceptEncoding })).headers.etag).toBe(etag)
  })

  it.each([
    ['/vary-origin', 'gzip', 'Origin, Accept-Encoding'],
    ['/vary-origin', 'identity', 'Origin, Accept-Encoding'],
    ['/vary-accept-encoding', 'gzip', 'origin, accept-encoding'],
    ['/vary-star', 'gzip', '*'],
  ])('%s with Accept-Encoding %s → Vary %j', async (path, acceptEncoding, expected) => {
    const reply = await get(path, { 'Accept-Encoding': acceptEncoding })
    expect([reply.headers.vary, reply.text]).toEqual([expected, BIG_TEXT])
  })

  it('passes an already-encoded response through byte for byte', async () => {
    const reply = await get('/already-encoded', { 'Accept-Encoding': 'br, gzip' })
    expect([reply.headers['content-encoding'], reply.headers['content-length'], reply.headers.etag]).toEqual(['gzip', String(PRE_GZIPPED.length), '"gz"'])
    expect(reply.raw.equals(PRE_GZIPPED)).toBe(true)
  })

  it('leaves Cache-Control: no-transform responses untouched, Vary included', async () => {
    const reply = await get('/no-transform', { 'Accept-Encoding': 'br, gzip' })
    expect([reply.headers['content-encoding'], reply.headers.etag, reply.headers.vary, reply.text]).toEqual([undefined, '"nt"', undefined, BIG_TEXT])
  })

  it('leaves HEAD uncompressed, with its Content-Length and Vary', async () => {
    const reply = await get('/big', { 'Accept-Encoding': 'br, gzip' }, 'HEAD')
    expect([reply.status, reply.headers['content-encoding'], reply.headers['content-length'], reply.headers.vary]).toEqual([200, undefined, String(BIG_TEXT.length), 'Accept-Encoding'])
    expect(reply.raw.length).toBe(0)
  })

  it.each([
    ['/no-content', 204, '"nc"'],
    ['/not-modified', 304, '"nm"'],
  ])('leaves %s (%i) untouched', async (path, status, etag) => {
    const reply = await get(path, { 'Accept-Encoding': 'br, gzip' })
    expect([reply.status, reply.headers['content-encoding'], reply.headers.etag, reply.headers.vary]).toEqual([status, undefined, etag, undefined])
  })

  it('leaves partial content untouched: its byte range refers to the uncompressed body', async () => {
    const reply = await get('/partial', { 'Accept-Encoding': 'gzip' })
    expect([reply.status, reply.headers['content-encoding'], reply.text]).toEqual([206, undefined, BIG_TEXT.slice(0, 2000)])
  })

  it('leaves server-sent events uncompressed', async () => {
    const reply = await get('/events', { 'Accept-Encoding': 'gzip, br' })
    expect([reply.headers['content-encoding'], reply.headers.vary]).toEqual([undefined, undefined])
    expect(reply.text).toContain('data: event')
  })

  it('leaves Koa its own answers (no body) and responses it does not send (ctx.respond = false)', async () => {
    const notFound = await get('/nothing', { 'Accept-Encoding': 'gzip' })
    expect([notFound.status, notFound.text, notFound.headers.vary]).toEqual([404, 'Not Found', undefined])
    const raw = await get('/respond-false', { 'Accept-Encoding': 'gzip' })
    expect([raw.status, raw.headers['content-encoding'], raw.text]).toEqual([200, undefined, BIG_TEXT])
  })
})

describe.each(KOAS)('compress on %s behind signs of HTTPS', (_name, App) => {
  let server: TestServer
  beforeAll(async () => {
    server = await listen(app(App))
  })
  afterAll(() => server.close())

  it.each<[string, string, boolean]>([
    ['X-Forwarded-Proto', 'https', true],
    ['X-Forwarded-Proto', 'http, HTTPS', true],
    ['X-Forwarded-Proto', 'http', false],
    ['Forwarded', 'for=1.2.3.4;proto="https"', true],
    ['Forwarded', 'proto=http', false],
    ['X-Forwarded-Port', '80, 443', true],
    ['X-Forwarded-Ssl', 'on', true],
    ['Front-End-Https', 'on', true],
    ['CF-Visitor', '{"scheme":"https"}', true],
    ['X-ARR-SSL', '2048|256', true],
    ['X-Url-Scheme', 'https', true],
  ])('%s: %s → HTTPS %s', async (header, value, https) => {
    const reply = await request(`${server.url}/etag-strong`, { headers: { 'Accept-Encoding': 'gzip', [header]: value } })
    expect(reply.text).toBe(BIG_TEXT)
    if (https) expect([reply.headers['content-encoding'], reply.headers.vary, reply.headers.etag]).toEqual([undefined, undefined, '"v1"'])
    else expect([reply.headers['content-encoding'], reply.headers.vary, reply.headers.etag]).toEqual(['gzip', 'Accept-Encoding', 'W/"v1"'])
  })
})

describe.each(KOAS)('compress on %s over TLS', (_name, App) => {
  let plain: TestServer
  let optedIn: TestServer
  let throwing: TestServer
  beforeAll(async () => {
    plain = await listenTls(app(App))
    optedIn = await listenTls(app(App, { allowOnHttps: (ctx) => ctx.path === '/json' && ctx.type === 'application/json' }))
    throwing = await listenTls(
      app(App, {
        allowOnHttps: () => {
          throw new Error('broken opt-in')
        },
      }),
    )
  })
  afterAll(() => Promise.all([plain.close(), optedIn.close(), throwing.close()]))

  it.each(['gzip', 'br', '*', 'gzip, identity;q=0'])('never compresses on a TLS socket, even for Accept-Encoding %j', async (acceptEncoding) => {
    const reply = await request(`${plain.url}/big`, { ca: plain.ca!, headers: { 'Accept-Encoding': acceptEncoding } })
    expect([reply.status, reply.headers['content-encoding'], reply.headers.vary, reply.text]).toEqual([200, undefined, undefined, BIG_TEXT])
  })

  it('compresses what allowOnHttps(ctx) opts in, after the handler ran, and nothing else', async () => {
    const json = await request(`${optedIn.url}/json`, { ca: optedIn.ca!, headers: { 'Accept-Encoding': 'gzip' } })
    expect([json.headers['content-encoding'], json.headers.vary]).toEqual(['gzip', 'Accept-Encoding'])
    const page = await request(`${optedIn.url}/big`, { ca: optedIn.ca!, headers: { 'Accept-Encoding': 'gzip' } })
    expect([page.headers['content-encoding'], page.headers.vary]).toEqual([undefined, undefined])
  })

  it('treats a throwing allowOnHttps as no', async () => {
    const reply = await request(`${throwing.url}/big`, { ca: throwing.ca!, headers: { 'Accept-Encoding': 'gzip' } })
    expect([reply.status, reply.headers['content-encoding'], reply.text]).toEqual([200, undefined, BIG_TEXT])
  })
})

describe.each(KOAS)('compress options on %s', (_name, App) => {
  it.each<[string, CompressOptions, Record<string, string>, string, string | undefined]>([
    ['encodings: [gzip] ignores br', { encodings: ['gzip'] }, { 'Accept-Encoding': 'br, gzip' }, '/big', 'gzip'],
    ['encodings: [gzip] with a br-only client', { encodings: ['gzip'] }, { 'Accept-Encoding': 'br' }, '/big', undefined],
    ['encodings: [gzip, br] prefers gzip on a tie', { encodings: ['gzip', 'br'] }, { 'Accept-Encoding': 'br, gzip' }, '/big', 'gzip'],
    ['threshold: 0 compresses tiny bodies', { threshold: 0 }, { 'Accept-Encoding': 'gzip' }, '/small', 'gzip'],
    ['a higher threshold skips bigger bodies', { threshold: 100_000 }, { 'Accept-Encoding': 'gzip' }, '/big', undefined],
    ['gzipLevel and brotliQuality are used', { gzipLevel: 9, brotliQuality: 11 }, { 'Accept-Encoding': 'br' }, '/big', 'br'],
  ])('%s', async (_case, options, headers, path, expected) => {
    const server = await listen(app(App, options))
    try {
      const reply = await request(server.url + path, { headers })
      expect(reply.headers['content-encoding']).toBe(expected)
      expect(reply.text).toBe(path === '/small' ? 'tiny' : BIG_TEXT)
    } finally {
      await server.close()
    }
  })

  it.each([
    [true, 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)', undefined, 'Accept-Encoding, User-Agent'],
    [true, 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)', 'gzip', 'Accept-Encoding, User-Agent'],
    [false, 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)', 'gzip', 'Accept-Encoding'],
  ])('conservativeMsieGzip %s, %s → %s, Vary %s', async (on, userAgent, expected, vary) => {
    const server = await listen(app(App, { conservativeMsieGzip: on }))
    try {
      const reply = await request(`${server.url}/big`, { headers: { 'Accept-Encoding': 'gzip, deflate', 'User-Agent': userAgent } })
      expect([reply.headers['content-encoding'], reply.headers.vary]).toEqual([expected, vary])
    } finally {
      await server.close()
    }
  })
})

describe('compress with Koa 3 bodies (Blob, ReadableStream, Response)', () => {
  const [, App] = KOAS[0]!
  let server: TestServer
  beforeAll(async () => {
    const koa = new App()
    quiet(koa)
    koa.use(compress())
    koa.use((ctx) => {
      if (ctx.path === '/blob') ctx.body = new Blob([BIG_TEXT], { type: 'text/plain' })
      else if (ctx.path === '/web-stream') {
        ctx.type = 'text/plain'
        ctx.body = new Blob([BIG_TEXT]).stream()
      } else if (ctx.path === '/response') ctx.body = new Response(BIG_TEXT, { headers: { 'Content-Type': 'text/plain', ETag: '"r"' } })
    })
    server = await listen(koa)
  })
  afterAll(() => server.close())

  it.each(['/blob', '/web-stream', '/response'])('%s is compressed when accepted and sent intact when not', async (path) => {
    const compressed = await request(server.url + path, { headers: { 'Accept-Encoding': 'gzip' } })
    expect([compressed.status, compressed.headers['content-encoding'], compressed.text]).toEqual([200, 'gzip', BIG_TEXT])
    const plain = await request(server.url + path, { headers: { 'Accept-Encoding': 'identity' } })
    expect([plain.status, plain.headers['content-encoding'], plain.text]).toEqual([200, undefined, BIG_TEXT])
  })
})

describe('compress errors', () => {
  it.each<[string, unknown]>([
    ['options that are not an object', 'gzip'],
    ['an unknown option', { treshold: 10 }],
    ['a negative threshold', { threshold: -1 }],
    ['empty encodings', { encodings: [] }],
    ['an unsupported encoding', { encodings: ['deflate'] }],
    ['gzipLevel out of range', { gzipLevel: 10 }],
    ['brotliQuality out of range', { brotliQuality: 12 }],
    ['allowOnHttps not a function', { allowOnHttps: true }],
    ['conservativeMsieGzip not a boolean', { conservativeMsieGzip: 'yes' }],
  ])('throws ERR_CONVOY_CONFIG at creation for %s', (_case, options) => {
    let thrown: unknown
    try {
      compress(options as CompressOptions)
    } catch (error) {
      thrown = error
    }
    expect(isConvoyError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(/^@convoy\/koa: /) })
  })

  it('returns a middleware named convoyCompress', () => {
    expect(compress().name).toBe('convoyCompress')
  })
})
