// Test helpers: Koa apps listening on 127.0.0.1 (ephemeral ports, Koa 2 and 3), and a raw client that does not decode.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import Koa from 'koa'
import Koa2 from 'koa2'
import { generate } from 'selfsigned'

/** The Koa lines the package supports, each run by the tests. Koa 2's API is the same for what the tests use. */
export const KOAS: readonly (readonly [name: string, App: typeof Koa])[] = [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
]

export interface TestServer {
  readonly url: string
  /** The certificate to trust, for a TLS server. */
  readonly ca?: string
  close(): Promise<void>
}

export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** The bytes as sent. */
  readonly raw: Buffer
  /** The body after undoing `Content-Encoding`. */
  readonly text: string
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly ca?: string
}

/** A large, very compressible body (well over the default 1024-byte threshold). */
export const BIG_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(100)

/** Errors Koa reports for an app (instead of printing them), for tests that expect some. */
export function quiet(app: Koa): unknown[] {
  const errors: unknown[] = []
  app.silent = true
  app.on('error', (error: unknown) => errors.push(error))
  return errors
}

/** `app.listen(0, '127.0.0.1')`, as a Koa app is started. */
export async function listen(app: Koa): Promise<TestServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const started: Server = app.listen(0, '127.0.0.1', () => resolve(started))
    started.once('error', reject)
  })
  return serverOf(server)
}

/** The app behind a real TLS server with a self-signed certificate for 127.0.0.1. */
export async function listenTls(app: Koa): Promise<TestServer> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  })
  const handle = app.callback()
  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => void handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return serverOf(server, pems.cert)
}

function serverOf(server: Server, ca?: string): TestServer {
  const { port } = server.address() as AddressInfo
  return {
    url: `${ca === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    ...(ca === undefined ? {} : { ca }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/** One request without a keep-alive agent; the body is collected raw and decoded separately. */
export async function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? https.request : http.request
  return new Promise<Reply>((resolve, reject) => {
    const req = send(
      target,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, ...(options.ca === undefined ? {} : { ca: options.ca }) },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const raw = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text: decode(raw, res.headers['content-encoding']) })
        })
      },
    )
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.end()
  })
}

/**
 * A request whose URL is sent exactly as given on the request line (no normalisation of `..` or `%`), as an attacker
 * would send it.
 */
export async function rawRequest(origin: string, path: string, headers: OutgoingHttpHeaders = {}): Promise<Reply> {
  const { hostname, port } = new URL(origin)
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const raw = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text: decode(raw, res.headers['content-encoding']) })
      })
    })
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${path}`)))
    req.end()
  })
}

export function decode(raw: Buffer, encoding: string | undefined): string {
  if (raw.length === 0) return ''
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8')
  if (encoding === 'br') return brotliDecompressSync(raw).toString('utf8')
  return raw.toString('utf8')
}

/** The headers a response carries besides those Node adds on every response of a connection. */
export function ownHeaders(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, 'transfer-encoding': _chunked, ...own } = headers
  return own
}
