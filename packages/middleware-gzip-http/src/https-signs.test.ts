import { type IncomingMessage, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gzipHttpOnly } from './gzip-http-only.js'
import { isHttpsRequest } from '@convoy/http'
import { HTTPS_SIGN_CASES } from './test/https-signs.js'
import { BIG_TEXT, request, startHttpServer, type TestServer } from './test/http.js'

describe('the HTTPS-sign table', () => {
  it('has both signs and non-signs, each row once', () => {
    expect(HTTPS_SIGN_CASES.some((row) => row.https)).toBe(true)
    expect(HTTPS_SIGN_CASES.some((row) => !row.https)).toBe(true)
    const keys = HTTPS_SIGN_CASES.map((row) => JSON.stringify([row.header.toLowerCase(), row.value]))
    expect(new Set(keys).size).toBe(keys.length)
  })
})

describe('isHttpsRequest on the HTTPS-sign table', () => {
  it.each(HTTPS_SIGN_CASES)('$header: $value → HTTPS $https', ({ header, value, https }) => {
    const headers = { [header.toLowerCase()]: typeof value === 'string' ? value : [...value] }
    expect(isHttpsRequest({ socket: { encrypted: false }, headers })).toBe(https)
  })
})

describe('gzipHttpOnly on the HTTPS-sign table (real requests to a plain HTTP server)', () => {
  let server: TestServer
  beforeAll(async () => {
    const middleware = gzipHttpOnly()
    server = await startHttpServer((req: IncomingMessage, res: ServerResponse) =>
      middleware(req, res, () => {
        res.setHeader('Content-Type', 'text/html; charset=utf-8')
        res.setHeader('ETag', '"page"')
        res.end(BIG_TEXT)
      }),
    )
  })
  afterAll(() => server.close())

  const rows = HTTPS_SIGN_CASES.map((row) => ({ ...row, compressed: !row.https }))
  it.each(rows)('$header: $value → compressed $compressed', async ({ header, value, https }) => {
    const reply = await request(`${server.url}/`, {
      headers: { 'Accept-Encoding': 'gzip', [header]: typeof value === 'string' ? value : [...value] },
    })
    expect(reply.status).toBe(200)
    if (https) {
      expect(reply.headers['content-encoding']).toBeUndefined()
      expect(reply.headers.vary).toBeUndefined()
      expect(reply.headers.etag).toBe('"page"')
      expect(reply.raw.toString('utf8')).toBe(BIG_TEXT)
    } else {
      expect(reply.headers['content-encoding']).toBe('gzip')
      expect(reply.headers.vary).toBe('Accept-Encoding')
      expect(reply.headers.etag).toBe('W/"page"')
      expect(reply.text).toBe(BIG_TEXT)
    }
  })
})
