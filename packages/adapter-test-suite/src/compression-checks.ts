// The checks of an adapter's BREACH-safe compression: each one a plain async function of a running server
// (`CompressedTarget`, answering COMPRESSED_ROUTES) that rejects when the adapter breaks the contract.
import type { OutgoingHttpHeaders } from 'node:http'
import { expect } from 'vitest'
import type { AdapterCheck, CompressedTarget } from './adapter.js'
import { decodeBody, request, type Reply } from './client.js'
import { HTTPS_SIGN_CASES } from './https-signs.js'
import { COMPRESSED_PAGE, COMPRESSED_ROUTES } from './routes.js'

/** One row of the compression-negotiation table: an `Accept-Encoding` and the coding the page must get. */
export interface CompressionNegotiationCase {
  /** `undefined`: no `Accept-Encoding` header at all. */
  readonly acceptEncoding: string | undefined
  /** The `Content-Encoding` of the answer, `undefined` for an uncompressed one. */
  readonly expected: 'br' | 'gzip' | undefined
}

/** `Accept-Encoding` → the coding a dynamic page over plain HTTP gets (q-values honoured; br wins a tie). */
export const COMPRESSION_NEGOTIATION_CASES: readonly CompressionNegotiationCase[] = [
  { acceptEncoding: undefined, expected: undefined },
  { acceptEncoding: 'gzip', expected: 'gzip' },
  { acceptEncoding: 'GZIP', expected: 'gzip' },
  { acceptEncoding: 'br', expected: 'br' },
  { acceptEncoding: 'gzip, deflate, br', expected: 'br' },
  { acceptEncoding: 'br;q=0.5, gzip;q=0.8', expected: 'gzip' },
  { acceptEncoding: 'br;q=0.8, gzip;q=0.5', expected: 'br' },
  { acceptEncoding: 'gzip;q=0.5, br;q=0.4', expected: 'gzip' },
  { acceptEncoding: 'gzip;q=0', expected: undefined },
  { acceptEncoding: 'gzip;q=0, br', expected: 'br' },
  { acceptEncoding: 'br;q=0', expected: undefined },
  { acceptEncoding: 'br;q=0, gzip', expected: 'gzip' },
  { acceptEncoding: '*', expected: 'br' },
  { acceptEncoding: 'br;q=0, *', expected: 'gzip' },
  { acceptEncoding: '*;q=0', expected: undefined },
  { acceptEncoding: 'identity;q=0', expected: undefined },
  { acceptEncoding: 'identity', expected: undefined },
  { acceptEncoding: 'deflate', expected: undefined },
  { acceptEncoding: '', expected: undefined },
]

const SIGNS_GROUP = 'HTTPS signs'
const NEGOTIATION_GROUP = 'Accept-Encoding'
const LEFT_ALONE_GROUP = 'what is not compressed'

const routeBody = (path: string): string => {
  const route = COMPRESSED_ROUTES.find((candidate) => candidate.path === path)
  if (route === undefined) throw new Error(`@convoy/adapter-test-suite: no route ${path}`)
  return route.body
}

const get = (target: CompressedTarget, path: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> =>
  request(target.url, path, { method, headers })

function varyNames(reply: Reply): string[] {
  const vary = reply.headers.vary
  return vary === undefined ? [] : vary.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean)
}

/** The answer is exactly what the route sent: no Content-Encoding added, no Vary, the ETag and bytes unchanged. */
function expectUntouched(reply: Reply, path: string, etag: string | undefined, what: string): void {
  expect(reply.headers['content-encoding'], `${what}: no Content-Encoding`).toBeUndefined()
  expect(reply.headers.vary, `${what}: no Vary added`).toBeUndefined()
  expect(reply.headers.etag, `${what}: ETag unchanged`).toBe(etag)
  expect(reply.body.toString('utf8'), `${what}: body as sent`).toBe(routeBody(path))
}

/** The answer is the route's body compressed with `coding`, varied on Accept-Encoding, with its ETag weakened. */
function expectCompressed(reply: Reply, path: string, coding: 'br' | 'gzip', etag: string | undefined, what: string): void {
  const body = routeBody(path)
  expect(reply.headers['content-encoding'], `${what}: Content-Encoding`).toBe(coding)
  expect(varyNames(reply), `${what}: Vary must name Accept-Encoding`).toContain('accept-encoding')
  expect(reply.headers.etag, `${what}: a strong ETag is weakened on a compressed body`).toBe(etag)
  const length = reply.headers['content-length']
  if (length !== undefined) expect(length, `${what}: Content-Length, when sent, is the compressed length`).toBe(String(reply.body.length))
  expect(reply.body.length, `${what}: compressed size`).toBeLessThan(Buffer.byteLength(body))
  expect(decodeBody(reply.body, coding).toString('utf8'), `${what}: decoded body`).toBe(body)
}

// ─── HTTPS signs ────────────────────────────────────────────────────────────────────────────────────────────────

const signChecks = (): AdapterCheck<CompressedTarget>[] => [
  ...HTTPS_SIGN_CASES.map(
    ({ header, value, https }): AdapterCheck<CompressedTarget> => ({
      group: SIGNS_GROUP,
      title: `${header}: ${JSON.stringify(value)} → ${https ? 'never compressed' : 'compressed'}`,
      run: async (target) => {
        const what = `${header}: ${JSON.stringify(value)}`
        const reply = await get(target, '/page', { 'Accept-Encoding': 'gzip', [header]: typeof value === 'string' ? value : [...value] })
        expect(reply.status, what).toBe(200)
        if (https) expectUntouched(reply, '/page', '"page"', `${what} is a sign of HTTPS`)
        else expectCompressed(reply, '/page', 'gzip', 'W/"page"', `${what} is no sign of HTTPS`)
      },
    }),
  ),
  {
    group: SIGNS_GROUP,
    title: 'plain HTTP without any proxy header → compressed',
    run: async (target) => {
      expectCompressed(await get(target, '/page', { 'Accept-Encoding': 'gzip' }), '/page', 'gzip', 'W/"page"', 'plain HTTP')
    },
  },
  {
    group: SIGNS_GROUP,
    title: 'one header saying HTTPS among others saying HTTP → never compressed',
    run: async (target) => {
      const headers = { 'Accept-Encoding': 'gzip, br', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Port': '80', 'CF-Visitor': '{"scheme":"https"}' }
      expectUntouched(await get(target, '/page', headers), '/page', '"page"', 'CF-Visitor https among http headers')
    },
  },
]

// ─── Accept-Encoding ────────────────────────────────────────────────────────────────────────────────────────────

const negotiationChecks = (): AdapterCheck<CompressedTarget>[] =>
  COMPRESSION_NEGOTIATION_CASES.map(
    ({ acceptEncoding, expected }): AdapterCheck<CompressedTarget> => ({
      group: NEGOTIATION_GROUP,
      title: `Accept-Encoding ${acceptEncoding === undefined ? '(none)' : JSON.stringify(acceptEncoding)} → ${expected ?? 'not compressed'}, with Vary`,
      run: async (target) => {
        const what = `Accept-Encoding ${JSON.stringify(acceptEncoding)}`
        const reply = await get(target, '/page', acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding })
        expect(reply.status, what).toBe(200)
        if (expected !== undefined) {
          expectCompressed(reply, '/page', expected, 'W/"page"', what)
          return
        }
        expect(reply.headers['content-encoding'], `${what}: no Content-Encoding`).toBeUndefined()
        expect(varyNames(reply), `${what}: Vary must name Accept-Encoding (another client would get it compressed)`).toContain('accept-encoding')
        expect(reply.headers.etag, `${what}: ETag unchanged`).toBe('"page"')
        expect(reply.body.toString('utf8'), `${what}: body as sent`).toBe(COMPRESSED_PAGE)
      },
    }),
  )

// ─── what is left alone ─────────────────────────────────────────────────────────────────────────────────────────

const leftAloneChecks = (): AdapterCheck<CompressedTarget>[] => [
  {
    group: LEFT_ALONE_GROUP,
    title: 'a body under the 1024-byte threshold is sent as is, with Vary',
    run: async (target) => {
      const reply = await get(target, '/small', { 'Accept-Encoding': 'gzip, br' })
      expect([reply.status, reply.headers['content-encoding'], reply.headers.etag]).toEqual([200, undefined, '"small"'])
      expect(varyNames(reply), 'Vary: a bigger body from the same URL could be compressed').toContain('accept-encoding')
      expect(reply.body.toString('utf8')).toBe(routeBody('/small'))
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'a body under the threshold is compressed when the client refuses identity',
    run: async (target) => {
      const reply = await get(target, '/small', { 'Accept-Encoding': 'gzip, identity;q=0' })
      expect(reply.headers['content-encoding']).toBe('gzip')
      expect(decodeBody(reply.body, 'gzip').toString('utf8')).toBe(routeBody('/small'))
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'JSON is compressed like HTML',
    run: async (target) => {
      const reply = await get(target, '/json', { 'Accept-Encoding': 'gzip, br' })
      expect(reply.headers['content-encoding']).toBe('br')
      expect(decodeBody(reply.body, 'br').toString('utf8')).toBe(routeBody('/json'))
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'a type that does not compress (image/png) is left alone',
    run: async (target) => {
      expectUntouched(await get(target, '/image', { 'Accept-Encoding': 'gzip, br' }), '/image', '"image"', 'image/png')
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'Cache-Control: no-transform is left alone',
    run: async (target) => {
      expectUntouched(await get(target, '/no-transform', { 'Accept-Encoding': 'gzip, br' }), '/no-transform', '"nt"', 'no-transform')
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'server-sent events (text/event-stream) are left alone',
    run: async (target) => {
      expectUntouched(await get(target, '/events', { 'Accept-Encoding': 'gzip, br' }), '/events', undefined, 'text/event-stream')
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'an already-encoded body passes byte for byte, never encoded twice',
    run: async (target) => {
      const reply = await get(target, '/encoded', { 'Accept-Encoding': 'br, gzip' })
      expect([reply.status, reply.headers['content-encoding'], reply.headers.etag]).toEqual([200, 'gzip', '"gz"'])
      expect(varyNames(reply), 'Vary: the same URL could answer an unencoded body another time').toContain('accept-encoding')
      expect(reply.body.toString('utf8')).toBe(routeBody('/encoded'))
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'a 204 is left alone',
    run: async (target) => {
      const reply = await get(target, '/no-content', { 'Accept-Encoding': 'gzip, br' })
      expect([reply.status, reply.headers['content-encoding'], reply.headers.vary, reply.headers.etag, reply.body.length]).toEqual([204, undefined, undefined, '"nc"', 0])
    },
  },
  {
    group: LEFT_ALONE_GROUP,
    title: 'HEAD is not compressed and has no body, with the Vary of the GET',
    run: async (target) => {
      const reply = await get(target, '/page', { 'Accept-Encoding': 'gzip, br' }, 'HEAD')
      expect([reply.status, reply.headers['content-encoding'], reply.headers.etag, reply.body.length]).toEqual([200, undefined, '"page"', 0])
      expect(varyNames(reply), 'HEAD: Vary as on the GET').toContain('accept-encoding')
      const length = reply.headers['content-length']
      if (length !== undefined) expect(length, 'HEAD: Content-Length, when sent, is the uncompressed length').toBe(String(Buffer.byteLength(COMPRESSED_PAGE)))
    },
  },
]

/**
 * Every check of an adapter's compression, in the order the suite runs them. Each `run(target)` rejects when the
 * adapter breaks the contract; `target` comes from `startCompressedTarget(adapter, COMPRESSED_ROUTES)`.
 */
export const COMPRESSION_CHECKS: readonly AdapterCheck<CompressedTarget>[] = [...signChecks(), ...negotiationChecks(), ...leftAloneChecks()]
