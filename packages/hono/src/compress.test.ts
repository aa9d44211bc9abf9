import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { request } from '@convoy/adapter-test-suite'
import { isConvoyError } from '@convoy/errors'
import { Hono, type Context } from 'hono'
import { jsxRenderer } from 'hono/jsx-renderer'
import { afterAll, describe, expect, it } from 'vitest'
import { compress, compressionEncodings, compressWith, type CompressOptions } from './compress.js'
import { runtimeEngine, webEngine, type CompressionEngine } from './compression-engine.js'
import { listen, type Running } from './test-helpers.js'

const PAGE = `<!doctype html><title>t</title>${'<p>The quick brown fox jumps over the lazy dog.</p>'.repeat(60)}`
const HTML = { 'Content-Type': 'text/html; charset=utf-8' }

const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup()
})

function decode(bytes: Buffer, encoding: string | null): string {
  if (encoding === 'br') return brotliDecompressSync(bytes).toString()
  if (encoding === 'gzip') return gunzipSync(bytes).toString()
  return bytes.toString()
}

async function read(response: Response): Promise<string> {
  return decode(Buffer.from(await response.arrayBuffer()), response.headers.get('content-encoding'))
}

/** An app whose routes answer through `compressWith(options, engine)`. */
function appWith(options: CompressOptions, engine: CompressionEngine = runtimeEngine()): Hono {
  const app = new Hono()
  app.use(compressWith(options, engine))
  app.get('/page', (c) => c.html(PAGE))
  app.get('/etag', (c) => c.body(PAGE, 200, { ...HTML, ETag: '"v1"', 'Content-Length': String(PAGE.length) }))
  app.get('/small', (c) => c.html('<p>small</p>'))
  app.get('/empty', (c) => c.body(null, 200, HTML))
  app.get('/cookies', (c) => {
    c.header('Set-Cookie', 'a=1; Path=/', { append: true })
    c.header('Set-Cookie', 'b=2; Path=/', { append: true })
    return c.html(PAGE)
  })
  app.get('/vary', (c) => c.body(PAGE, 200, { ...HTML, Vary: 'Origin' }))
  app.get('/streamed', (c) => {
    const parts = [PAGE.slice(0, 100), PAGE.slice(100, 200), PAGE.slice(200)]
    let index = 0
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Each part a little later, as a streamed render sends them.
        await new Promise((resolve) => setTimeout(resolve, 5))
        const part = parts[index++]
        if (part === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(part))
      },
    })
    return c.body(stream, 200, HTML)
  })
  return app
}

const ENGINES: [string, CompressionEngine][] = [
  ['node:zlib', runtimeEngine()],
  ['CompressionStream', webEngine(globalThis.CompressionStream as never)],
]

describe('the engine of this runtime', () => {
  it('is node:zlib on Node (br and gzip, levels apply)', () => {
    expect(compressionEncodings()).toEqual({ engine: 'node:zlib', encodings: ['br', 'gzip'], tunable: true })
  })

  it("CompressionStream's codings are found by trying them, never by version", () => {
    class GzipOnly {
      readonly readable = new ReadableStream<Uint8Array>()
      readonly writable = new WritableStream<Uint8Array>()
      constructor(format: string) {
        if (format !== 'gzip') throw new TypeError(`unsupported ${format}`)
      }
    }
    class Both extends GzipOnly {
      constructor(format: string) {
        super('gzip')
        if (format !== 'gzip' && format !== 'brotli') throw new TypeError(`unsupported ${format}`)
      }
    }
    expect(webEngine(GzipOnly).encodings).toEqual(['gzip'])
    expect(webEngine(Both).encodings).toEqual(['br', 'gzip'])
    expect(webEngine(undefined).encodings).toEqual([])
  })
})

for (const [name, engine] of ENGINES) {
  const codings = engine.encodings
  const preferred = codings[0] as string

  describe(`compress() with ${name} (${codings.join(', ')})`, () => {
    it('compresses HTML on plain HTTP with the preferred coding, without Content-Length, varied', async () => {
      const response = await appWith({}, engine).request('/page', { headers: { 'accept-encoding': 'gzip, br' } })
      expect(response.headers.get('content-encoding')).toBe(preferred)
      expect(response.headers.get('content-length')).toBeNull()
      expect(response.headers.get('vary')).toBe('Accept-Encoding')
      expect(await read(response)).toBe(PAGE)
    })

    it('gzip when the client prefers it by q-value', async () => {
      const response = await appWith({}, engine).request('/page', { headers: { 'accept-encoding': 'br;q=0.5, gzip' } })
      expect(response.headers.get('content-encoding')).toBe('gzip')
      expect(await read(response)).toBe(PAGE)
    })

    it('weakens a strong ETag and drops the Content-Length of a compressed body', async () => {
      const response = await appWith({}, engine).request('/etag', { headers: { 'accept-encoding': 'gzip' } })
      expect([response.headers.get('content-encoding'), response.headers.get('etag'), response.headers.get('content-length')]).toEqual(['gzip', 'W/"v1"', null])
      expect(await read(response)).toBe(PAGE)
    })

    it('a body under the threshold (no Content-Length: measured) is sent as is, varied; compressed when identity is refused', async () => {
      const app = appWith({}, engine)
      const small = await app.request('/small', { headers: { 'accept-encoding': 'gzip' } })
      expect([small.headers.get('content-encoding'), small.headers.get('vary'), await small.text()]).toEqual([null, 'Accept-Encoding', '<p>small</p>'])
      const refused = await app.request('/small', { headers: { 'accept-encoding': 'gzip, identity;q=0' } })
      expect(refused.headers.get('content-encoding')).toBe('gzip')
      expect(await read(refused)).toBe('<p>small</p>')
      const empty = await app.request('/empty', { headers: { 'accept-encoding': 'gzip' } })
      expect([empty.status, empty.headers.get('content-encoding'), await empty.text()]).toEqual([200, null, ''])
    })

    it('compresses a streamed body as it streams', async () => {
      const response = await appWith({}, engine).request('/streamed', { headers: { 'accept-encoding': 'gzip' } })
      expect(response.headers.get('content-encoding')).toBe('gzip')
      expect(await read(response)).toBe(PAGE)
    })

    it('keeps every Set-Cookie and merges an earlier Vary', async () => {
      const app = appWith({}, engine)
      const cookies = await app.request('/cookies', { headers: { 'accept-encoding': 'gzip' } })
      expect(cookies.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
      expect(await read(cookies)).toBe(PAGE)
      const vary = await app.request('/vary', { headers: { 'accept-encoding': 'gzip' } })
      expect(vary.headers.get('vary')).toBe('Origin, Accept-Encoding')
    })

    it('never compresses with any sign of HTTPS: an https: URL, a TLS socket of @hono/node-server, a proxy header', async () => {
      const app = appWith({}, engine)
      const https = await app.request('https://example.com/page', { headers: { 'accept-encoding': 'gzip' } })
      const socket = await app.request('/page', { headers: { 'accept-encoding': 'gzip' } }, { incoming: { socket: { encrypted: true } } })
      const proxy = await app.request('/page', { headers: { 'accept-encoding': 'gzip', 'x-forwarded-proto': 'https' } })
      for (const response of [https, socket, proxy]) {
        expect([response.headers.get('content-encoding'), response.headers.get('vary'), await response.text()]).toEqual([null, null, PAGE])
      }
      // A plain socket is no sign.
      const plain = await app.request('/page', { headers: { 'accept-encoding': 'gzip' } }, { incoming: { socket: { encrypted: false } } })
      expect(plain.headers.get('content-encoding')).toBe('gzip')
    })

    it('allowOnHttps(c) opts chosen responses back in; false or a throw keeps them uncompressed', async () => {
      const asked: string[] = []
      const allowOnHttps = (c: Context): boolean => {
        asked.push(c.req.path)
        if (c.req.path === '/small') throw new Error('broken opt-in')
        return (c.req.path === '/page' || c.req.path === '/empty') && c.res.headers.get('content-type')?.startsWith('text/html') === true
      }
      const app = appWith({ allowOnHttps }, engine)
      const headers = { 'accept-encoding': 'gzip', 'x-forwarded-proto': 'https' }
      const allowed = await app.request('/page', { headers })
      expect(allowed.headers.get('content-encoding')).toBe('gzip')
      expect(await read(allowed)).toBe(PAGE)
      const refused = await app.request('/etag', { headers })
      expect([refused.headers.get('content-encoding'), refused.headers.get('etag')]).toEqual([null, '"v1"'])
      const thrown = await app.request('/small', { headers: { ...headers, 'accept-encoding': 'gzip, identity;q=0' } })
      expect(thrown.headers.get('content-encoding')).toBeNull()
      // A body measured after a first decision: still asked once.
      const measured = await app.request('/empty', { headers })
      expect([measured.headers.get('content-encoding'), measured.headers.get('vary')]).toEqual([null, 'Accept-Encoding'])
      expect(asked).toEqual(['/page', '/etag', '/small', '/empty'])
    })

    it('conservativeMsieGzip: nothing for MSIE 6, Vary on User-Agent too', async () => {
      const app = appWith({ conservativeMsieGzip: true }, engine)
      const old = await app.request('/page', { headers: { 'accept-encoding': 'gzip', 'user-agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)' } })
      expect([old.headers.get('content-encoding'), old.headers.get('vary')]).toEqual([null, 'Accept-Encoding, User-Agent'])
      const modern = await app.request('/page', { headers: { 'accept-encoding': 'gzip', 'user-agent': 'Mozilla/5.0 Firefox/130.0' } })
      expect(modern.headers.get('content-encoding')).toBe('gzip')
    })

    it('compresses the streamed renders of jsxRenderer (Content-Encoding: Identity)', async () => {
      const app = new Hono()
      app.use(compressWith({}, engine))
      app.use(jsxRenderer(({ children }) => children as never, { stream: true }))
      app.get('/', (c) => c.render(PAGE))
      const response = await app.request('/', { headers: { 'accept-encoding': 'gzip' } })
      expect(response.headers.get('content-encoding')).toBe('gzip')
      expect(await read(response)).toContain('The quick brown fox')
    })
  })
}

describe('compress() options', () => {
  const web = webEngine(class {
    readonly readable = new ReadableStream<Uint8Array>()
    readonly writable = new WritableStream<Uint8Array>()
    constructor(format: string) {
      if (format !== 'gzip') throw new TypeError(format)
    }
  })

  const refusal = (run: () => unknown): string => {
    try {
      run()
    } catch (error) {
      expect(isConvoyError(error) && error.code === 'ERR_CONVOY_CONFIG').toBe(true)
      return (error as Error).message
    }
    throw new Error('expected a refusal')
  }

  it('refuses levels CompressionStream cannot apply, and codings it cannot produce, naming them', () => {
    expect(refusal(() => compressWith({ gzipLevel: 9 }, web))).toMatch(/^@convoy\/hono: gzipLevel cannot be applied here/)
    expect(refusal(() => compressWith({ gzipLevel: 9, brotliQuality: 5 }, web))).toMatch(/gzipLevel and brotliQuality/)
    expect(refusal(() => compressWith({ encodings: ['br', 'gzip'] }, web))).toMatch(/cannot produce "br"; it produces "gzip"/)
    expect(refusal(() => compressWith({}, webEngine(undefined)))).toMatch(/nothing to compress with/)
    // The default takes what the runtime can produce.
    expect(typeof compressWith({}, web)).toBe('function')
  })

  it('refuses what gzipHttpOnly refuses', () => {
    expect(refusal(() => compress({ threshold: -1 }))).toMatch(/threshold/)
    expect(refusal(() => compress({ encodings: ['deflate' as never] }))).toMatch(/encodings/)
    expect(refusal(() => compress({ level: 3 } as never))).toMatch(/unknown option "level"/)
    expect(refusal(() => compress({ allowOnHttps: true as never }))).toMatch(/allowOnHttps must be a function/)
  })

  it('with node:zlib, gzipLevel and brotliQuality are applied', async () => {
    const size = async (options: CompressOptions, encoding: string): Promise<number> => {
      const response = await appWith(options).request('/page', { headers: { 'accept-encoding': encoding } })
      expect(response.headers.get('content-encoding')).toBe(encoding)
      return (await response.arrayBuffer()).byteLength
    }
    expect(await size({ gzipLevel: 1 }, 'gzip')).toBeGreaterThan(await size({ gzipLevel: 9 }, 'gzip'))
    expect(await size({ brotliQuality: 0 }, 'br')).toBeGreaterThan(await size({ brotliQuality: 11 }, 'br'))
  })
})

describe('compress() on @hono/node-server', () => {
  let server: Running | undefined
  const start = async (): Promise<Running> => {
    if (server !== undefined) return server
    const app = appWith({})
    app.get('/big', (c) => c.html(PAGE.repeat(200)))
    server = await listen(app)
    cleanups.push(server.close)
    return server
  }

  it('compresses over real HTTP, and not when X-Forwarded-Proto says https', async () => {
    const { url } = await start()
    const plain = await request(url, '/big', { headers: { 'accept-encoding': 'br, gzip' } })
    expect([plain.status, plain.headers['content-encoding'], plain.headers['content-length']]).toEqual([200, 'br', undefined])
    expect(decode(plain.body, 'br')).toBe(PAGE.repeat(200))
    const https = await request(url, '/big', { headers: { 'accept-encoding': 'br, gzip', 'x-forwarded-proto': 'https' } })
    expect([https.headers['content-encoding'], https.headers['content-length'], https.body.toString()]).toEqual([undefined, String(PAGE.length * 200), PAGE.repeat(200)])
  })

  it('HEAD: not compressed, the Vary of the GET', async () => {
    const { url } = await start()
    const head = await request(url, '/page', { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } })
    expect([head.status, head.headers['content-encoding'], head.headers.vary, head.body.length]).toEqual([200, undefined, 'Accept-Encoding', 0])
  })
})
