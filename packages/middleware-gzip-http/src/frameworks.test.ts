import { type IncomingMessage, type ServerResponse } from 'node:http'
import connect from 'connect'
import express from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gzipHttpOnly } from './gzip-http-only.js'
import { BIG_TEXT, request, startHttpServer, type TestServer } from './test/http.js'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

// Express 4 and 5 share the API used here; one set of types keeps the test simple.
function expressApp(app: express.Express): Listener {
  // Express weakens its own ETags by default; strong ones show that ours are weakened on compression.
  app.set('etag', 'strong')
  app.use(gzipHttpOnly<express.Request, express.Response>({ allowOnHttps: (req) => req.path === '/public' }))
  app.get('/page', (_req, res) => {
    res.type('html').send(`<main>${BIG_TEXT}</main>`)
  })
  app.get('/public', (_req, res) => {
    res.json({ text: BIG_TEXT })
  })
  app.get('/stream', (_req, res) => {
    res.type('text')
    let sent = 0
    const timer = setInterval(() => {
      sent += 1
      res.write(`line ${sent}\n`)
      if (sent === 4) {
        clearInterval(timer)
        res.end()
      }
    }, 5)
  })
  return app
}

function connectApp(): Listener {
  const app = connect()
  app.use(gzipHttpOnly())
  app.use('/page', (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Content-Type', 'text/html')
    res.setHeader('ETag', '"connect"')
    res.end(`<main>${BIG_TEXT}</main>`)
  })
  return app
}

describe.each<[string, () => Listener]>([
  ['Express 5', () => expressApp(express())],
  ['Express 4', () => expressApp(express4() as unknown as express.Express)],
  ['Connect', connectApp],
])('%s', (_name, createApp) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startHttpServer(createApp())
  })
  afterAll(() => server.close())

  it('compresses over plain HTTP, weakening the ETag and dropping Content-Length', async () => {
    const reply = await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers['content-length']).toBeUndefined()
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(reply.headers.etag).toMatch(/^W\/"/)
    expect(reply.text).toBe(`<main>${BIG_TEXT}</main>`)
  })

  it('does not compress behind a proxy that says HTTPS, though "trust proxy" is off', async () => {
    const reply = await request(`${server.url}/page`, {
      headers: { 'Accept-Encoding': 'gzip, br', 'X-Forwarded-Proto': 'https' },
    })
    expect(reply.headers['content-encoding']).toBeUndefined()
    expect(reply.headers['content-length']).toBe(String(`<main>${BIG_TEXT}</main>`.length))
    expect(reply.headers.etag).toMatch(/^"/)
    expect(reply.text).toBe(`<main>${BIG_TEXT}</main>`)
  })
})

describe.each<[string, () => Listener]>([
  ['Express 5', () => expressApp(express())],
  ['Express 4', () => expressApp(express4() as unknown as express.Express)],
])('%s only', (_name, createApp) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startHttpServer(createApp())
  })
  afterAll(() => server.close())

  it('answers a revalidation with the weakened ETag with 304, untouched', async () => {
    const first = await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'gzip' } })
    const etag = first.headers.etag!
    expect(etag).toMatch(/^W\/"/)
    const again = await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag } })
    expect(again.status).toBe(304)
    expect(again.headers['content-encoding']).toBeUndefined()
    expect(again.raw.length).toBe(0)
  })

  it('hands allowOnHttps the Express request', async () => {
    const headers = { 'Accept-Encoding': 'gzip', 'X-Forwarded-Proto': 'https' }
    const reply = await request(`${server.url}/public`, { headers })
    expect(reply.headers['content-encoding']).toBe('gzip')
    expect(JSON.parse(reply.text)).toEqual({ text: BIG_TEXT })
  })

  it('compresses a streamed response', async () => {
    const reply = await request(`${server.url}/stream`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(reply.headers['content-encoding']).toBe('gzip')
    expect(reply.text).toBe('line 1\nline 2\nline 3\nline 4\n')
  })
})
