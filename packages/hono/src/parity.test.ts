// compress() answers as gzipHttpOnly does: one matrix of routes, Accept-Encoding values, methods and HTTPS signs,
// sent over real HTTP to both (Hono on @hono/node-server, gzipHttpOnly on node:http), must get the same answers.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeBody, listen as listenNode, request, type Reply } from '@convoy/adapter-test-suite'
import { gzipHttpOnly, type GzipHttpOnlyOptions } from '@convoy/middleware-gzip-http'
import { Hono, type Context } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compress, type CompressOptions } from './compress.js'
import { listen, type Running } from './test-helpers.js'

const PAGE = `<!doctype html>${'<p>Parity between the two compressors, row by row.</p>'.repeat(40)}`

interface Route {
  readonly path: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const ROUTES: readonly Route[] = [
  { path: '/page', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', ETag: '"p"' }, body: PAGE },
  { path: '/length', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(PAGE.length) }, body: PAGE },
  { path: '/small', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', ETag: '"s"' }, body: '<p>small</p>' },
  { path: '/edge', status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(1024) },
  { path: '/under', status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(1023) },
  { path: '/json', status: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ page: PAGE }) },
  { path: '/error', status: 500, headers: { 'Content-Type': 'text/html' }, body: PAGE },
  { path: '/svg', status: 200, headers: { 'Content-Type': 'image/svg+xml', Vary: 'Origin' }, body: `<svg>${'<g/>'.repeat(400)}</svg>` },
  { path: '/png', status: 200, headers: { 'Content-Type': 'image/png' }, body: PAGE },
  { path: '/untyped', status: 200, headers: {}, body: PAGE },
  { path: '/no-transform', status: 200, headers: { 'Content-Type': 'text/html', 'Cache-Control': 'private, no-transform' }, body: PAGE },
  { path: '/events', status: 200, headers: { 'Content-Type': 'text/event-stream' }, body: PAGE },
  { path: '/encoded', status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }, body: PAGE },
  { path: '/identity', status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'identity' }, body: PAGE },
  { path: '/range', status: 206, headers: { 'Content-Type': 'text/plain', 'Content-Range': `bytes 0-${PAGE.length - 1}/${PAGE.length * 2}` }, body: PAGE },
  { path: '/no-content', status: 204, headers: { ETag: '"n"' }, body: '' },
]

const ACCEPT = [undefined, 'gzip', 'br', 'gzip, deflate, br', 'br;q=0.5, gzip', '*', 'identity;q=0', 'gzip, identity;q=0', 'deflate', 'br;q=0, *;q=0.1']
const MODERN = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0']
const WITH_MSIE_6 = [...MODERN, 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)']
const SIGNS: readonly Record<string, string>[] = [{}, { 'X-Forwarded-Proto': 'https' }, { Forwarded: 'for=1.2.3.4;proto=https' }, { 'X-Forwarded-Proto': 'http' }]

/** What must be the same: status, coding, Vary names, ETag, and the body once decoded (unless the route encoded it). */
function answerOf(reply: Reply, route: Route): unknown {
  const encoding = reply.headers['content-encoding']
  const vary = reply.headers.vary?.split(',').map((name) => name.trim().toLowerCase())
  const ours = encoding === 'br' || encoding === 'gzip' ? route.headers['Content-Encoding'] !== encoding : false
  const body = ours ? decodeBody(reply.body, encoding).toString() : reply.body.toString()
  return { status: reply.status, encoding, vary, etag: reply.headers.etag, body }
}

async function startReference(options: GzipHttpOnlyOptions): Promise<Running> {
  const middleware = gzipHttpOnly(options)
  return listenNode((req: IncomingMessage, res: ServerResponse) => {
    middleware(req, res, () => {
      const route = ROUTES.find((candidate) => candidate.path === req.url)
      if (route === undefined) {
        res.writeHead(404).end()
        return
      }
      // Node's usual reply: headers set, then one res.end(body) (so the body's length is known, as with Express's send).
      res.statusCode = route.status
      for (const [name, value] of Object.entries(route.headers)) res.setHeader(name, value)
      res.end(route.status === 204 ? undefined : route.body)
    })
  })
}

function startHono(options: CompressOptions): Promise<Running> {
  const app = new Hono()
  app.use(compress(options))
  for (const route of ROUTES) {
    app.get(route.path, (c) => (route.status === 204 ? c.body(null, 204, route.headers) : c.body(route.body, route.status as 200, route.headers)))
  }
  return listen(app)
}

/** Name, the options of each side, and the User-Agents sent. */
const VARIANTS: readonly [string, CompressOptions, GzipHttpOnlyOptions, readonly string[]][] = [
  ['defaults', {}, {}, MODERN],
  [
    'threshold 0, gzip first, conservativeMsieGzip',
    { threshold: 0, encodings: ['gzip', 'br'], conservativeMsieGzip: true },
    { threshold: 0, encodings: ['gzip', 'br'], conservativeMsieGzip: true },
    WITH_MSIE_6,
  ],
  [
    'allowOnHttps for /page and /json',
    { allowOnHttps: (c: Context) => c.req.path === '/page' || c.req.path === '/json' },
    { allowOnHttps: (req) => req.url === '/page' || req.url === '/json' },
    MODERN,
  ],
]

describe.each(VARIANTS)('compress() and gzipHttpOnly(), %s', (name, honoOptions, referenceOptions, userAgents) => {
  let hono: Running
  let reference: Running
  beforeAll(async () => {
    ;[hono, reference] = await Promise.all([startHono(honoOptions), startReference(referenceOptions)])
  })
  afterAll(async () => {
    await Promise.all([hono?.close(), reference?.close()])
  })

  it.each(ROUTES.map((route) => route.path))('%s: the same answers for every Accept-Encoding, method and HTTPS sign', async (path) => {
    const route = ROUTES.find((candidate) => candidate.path === path) as Route
    let compressed = 0
    for (const acceptEncoding of ACCEPT) {
      for (const method of ['GET', 'HEAD']) {
        for (const [sign, userAgent] of SIGNS.flatMap((sign) => userAgents.map((agent) => [sign, agent] as const))) {
          const headers = { ...sign, ...(acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding }), 'User-Agent': userAgent }
          const row = `${method} ${path} ${JSON.stringify(headers)}`
          const [ours, theirs] = await Promise.all([request(hono.url, path, { method, headers }), request(reference.url, path, { method, headers })])
          expect(answerOf(ours, route), row).toEqual(answerOf(theirs, route))
          if (ours.headers['content-encoding'] !== route.headers['Content-Encoding']) compressed++
        }
      }
    }
    // The matrix compresses where it should (so "the same" is not "both left everything alone").
    if (['/page', '/length', '/json', '/svg'].includes(path) || (path === '/small' && name.startsWith('threshold'))) expect(compressed).toBeGreaterThan(0)
  })
})
