// The same routes answered through gzipHttpOnly (node:http) and through compress (Koa): every request of a matrix of
// Accept-Encoding values, methods, HTTPS signs and options must get the same decisions from both.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { gzipHttpOnly, type GzipHttpOnlyOptions } from '@convoy/middleware-gzip-http'
import { describe, expect, it } from 'vitest'
import { compress } from './compress.js'
import { BIG_TEXT, KOAS, listen, request, type Reply, type TestServer } from './test/http.js'

interface RouteSpec {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Buffer
}

const ROUTES: Readonly<Record<string, RouteSpec>> = {
  '/html': { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: `<main>${BIG_TEXT}</main>` },
  '/css': { status: 200, headers: { 'Content-Type': 'text/css', ETag: '"css"', 'Cache-Control': 'public, max-age=60' }, body: BIG_TEXT },
  '/small': { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'tiny' },
  '/json': { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: BIG_TEXT }) },
  '/png': { status: 200, headers: { 'Content-Type': 'image/png' }, body: BIG_TEXT },
  '/no-transform': { status: 200, headers: { 'Content-Type': 'text/plain', 'Cache-Control': 'no-transform' }, body: BIG_TEXT },
  '/weak-etag': { status: 200, headers: { 'Content-Type': 'text/plain', ETag: 'W/"w"' }, body: BIG_TEXT },
  '/vary': { status: 200, headers: { 'Content-Type': 'text/plain', Vary: 'Origin' }, body: BIG_TEXT },
  '/vary-star': { status: 200, headers: { 'Content-Type': 'text/plain', Vary: '*' }, body: BIG_TEXT },
  '/encoded': { status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }, body: gzipSync(BIG_TEXT) },
  '/identity': { status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'identity' }, body: BIG_TEXT },
  '/partial': { status: 206, headers: { 'Content-Type': 'text/plain', 'Content-Range': `bytes 0-1999/${BIG_TEXT.length}` }, body: BIG_TEXT.slice(0, 2000) },
  '/events': { status: 200, headers: { 'Content-Type': 'text/event-stream' }, body: `data: ${BIG_TEXT}\n\n` },
  '/not-found': { status: 404, headers: { 'Content-Type': 'text/html' }, body: `<h1>Not found</h1>${BIG_TEXT}` },
  '/error': { status: 500, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ error: BIG_TEXT }) },
  '/no-content': { status: 204, headers: { ETag: '"nc"' }, body: '' },
  '/not-modified': { status: 304, headers: { 'Content-Type': 'text/plain', ETag: '"nm"' }, body: '' },
}

const ACCEPT_ENCODINGS = [undefined, '', 'gzip', 'br', 'gzip, deflate, br', 'br;q=0.5, gzip', 'gzip;q=0, br', 'identity;q=0, gzip', '*;q=0', 'deflate']
const MSIE6 = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)'

async function startReference(options: GzipHttpOnlyOptions): Promise<TestServer> {
  const middleware = gzipHttpOnly(options)
  const server = createServer((req, res) =>
    middleware(req, res, () => {
      const route = ROUTES[req.url ?? '']!
      res.statusCode = route.status
      for (const [name, value] of Object.entries(route.headers)) res.setHeader(name, value)
      // As Express's res.send() and Koa do for a body known in full.
      if (route.body !== '') res.setHeader('Content-Length', Buffer.byteLength(route.body))
      res.end(route.body)
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** What the decision shows in a reply: the headers it sets or leaves, and the body once decoded. */
function decisionOf(reply: Reply, headers: IncomingHttpHeaders = reply.headers) {
  const encoded = headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity'
  return {
    status: reply.status,
    contentEncoding: headers['content-encoding'],
    vary: headers.vary,
    etag: headers.etag,
    contentLength: headers['content-length'],
    body: encoded && headers['content-encoding'] !== 'gzip' && headers['content-encoding'] !== 'br' ? reply.raw.toString('base64') : reply.text,
  }
}

describe.each(KOAS)('compress on %s decides as gzipHttpOnly does', (_name, App) => {
  it.each<[string, GzipHttpOnlyOptions, Record<string, string>]>([
    ['default options', {}, {}],
    ['threshold 0, gzip preferred', { threshold: 0, encodings: ['gzip', 'br'] }, {}],
    ['conservativeMsieGzip, for MSIE 6', { conservativeMsieGzip: true }, { 'User-Agent': MSIE6 }],
    ['conservativeMsieGzip, for another browser', { conservativeMsieGzip: true }, { 'User-Agent': 'Mozilla/5.0 Firefox/140.0' }],
    ['default options, behind a proxy that says HTTPS', {}, { 'X-Forwarded-Proto': 'https' }],
    ['allowOnHttps for JSON, behind a proxy that says HTTPS', { allowOnHttps: (req) => req.url === '/json' }, { 'X-Forwarded-Proto': 'https' }],
  ])('%s', async (_case, options, extraHeaders) => {
    const reference = await startReference(options)
    const { allowOnHttps, ...shared } = options
    const koa = new App()
    koa.silent = true
    koa.use(compress(allowOnHttps === undefined ? shared : { ...shared, allowOnHttps: (ctx) => ctx.url === '/json' }))
    koa.use((ctx) => {
      const route = ROUTES[ctx.path]!
      ctx.status = route.status
      for (const [name, value] of Object.entries(route.headers)) ctx.set(name, value)
      if (route.body !== '') ctx.body = route.body
    })
    const adapter = await listen(koa)
    const differences: unknown[] = []
    const encodings = new Set<string | undefined>()
    try {
      for (const path of Object.keys(ROUTES)) {
        for (const acceptEncoding of ACCEPT_ENCODINGS) {
          for (const method of ['GET', 'HEAD']) {
            const headers = { ...extraHeaders, ...(acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding }) }
            const [expected, actual] = await Promise.all([request(reference.url + path, { method, headers }), request(adapter.url + path, { method, headers })])
            const want = decisionOf(expected)
            const got = decisionOf(actual)
            encodings.add(got.contentEncoding)
            for (const field of Object.keys(want) as (keyof typeof want)[]) {
              if (want[field] !== got[field]) {
                const show = (value: unknown) => (field === 'body' ? `${String(value).length} chars` : JSON.stringify(value))
                differences.push(`${method} ${path} (Accept-Encoding ${JSON.stringify(acceptEncoding)}): ${field} ${show(want[field])} ≠ ${show(got[field])}`)
              }
            }
          }
        }
      }
    } finally {
      await Promise.all([reference.close(), adapter.close()])
    }
    expect(differences).toEqual([])
    // The matrix is not vacuous: both compressed and uncompressed answers occurred (except where nothing may be).
    if (extraHeaders['X-Forwarded-Proto'] === undefined || allowOnHttps !== undefined) expect(encodings.has('br') || encodings.has('gzip')).toBe(true)
    expect(encodings.has(undefined)).toBe(true)
  })
})
