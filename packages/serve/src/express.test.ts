import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStatic } from './serve-static.js'
import { SECRETS, createFixture, listen, request, type Fixture } from './test-helpers.js'

let fixture: Fixture
let port: number
let close: () => Promise<void>

beforeAll(async () => {
  fixture = await createFixture()
  const assets = serveStatic({ root: fixture.root })
  await assets.ready
  const app = express()
  // A CORS-like layer before ours: its Vary must survive.
  app.use((_req, res, next) => {
    res.setHeader('Vary', 'Origin')
    next()
  })
  app.use('/static', assets)
  app.get('/static/dynamic', (_req, res) => {
    res.send('dynamic route')
  })
  app.use((_req, res) => {
    res.status(404).send('express 404')
  })
  const server = await listen(app)
  port = server.port
  close = server.close
})
afterAll(async () => {
  await close()
  await fixture.cleanup()
})

describe('through Express 5, mounted at /static', () => {
  it('serves the negotiated file with our headers and keeps an earlier Vary', async () => {
    const reply = await request(port, `/static/${fixture.paths.served}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(reply.headers.vary).toBe('Origin, Accept-Encoding')
    expect(reply.headers['x-powered-by']).toBe('Express')
    expect(reply.body.equals(fixture.files.get(fixture.paths.br)!)).toBe(true)
  })

  it('answers 304 and ranges through Express', async () => {
    const first = await request(port, `/static/${fixture.paths.image}`)
    const again = await request(port, `/static/${fixture.paths.image}`, { headers: { 'if-none-match': first.headers.etag! } })
    expect(again.status).toBe(304)
    const part = await request(port, `/static/${fixture.paths.image}`, { headers: { range: 'bytes=0-3' } })
    expect([part.status, part.body.length]).toEqual([206, 4])
  })

  it('passes unknown paths on to the next routes', async () => {
    expect((await request(port, '/static/dynamic')).body.toString()).toBe('dynamic route')
    const missing = await request(port, '/static/css/nope.css')
    expect([missing.status, missing.body.toString()]).toEqual([404, 'express 404'])
    const outside = await request(port, `/${fixture.paths.served}`)
    expect(outside.body.toString()).toBe('express 404')
  })

  it('leaks nothing through the mount', async () => {
    for (const path of ['/static/../secret.txt', '/static/..%2fsecret.txt', '/static/%2e%2e/public-old/secret.txt', '/static/css/escape.css', '/static/.env']) {
      const reply = await request(port, path)
      expect([400, 404]).toContain(reply.status)
      for (const secret of SECRETS) expect(reply.body.toString()).not.toContain(secret)
    }
  })

  it('answers 405 for other methods on a known file', async () => {
    const reply = await request(port, `/static/${fixture.paths.served}`, { method: 'DELETE' })
    expect([reply.status, reply.headers.allow]).toEqual([405, 'GET, HEAD'])
  })
})
