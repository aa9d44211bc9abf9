// Test helpers: real servers on 127.0.0.1 with ephemeral ports, and a raw client that does not decompress.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders, type RequestListener } from 'node:http'
import https from 'node:https'
import { type AddressInfo } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { generate } from 'selfsigned'

export interface TestServer {
  readonly url: string
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

export async function startHttpServer(listener: RequestListener): Promise<TestServer> {
  return listen(http.createServer(listener))
}

export async function startHttpsServer(listener: RequestListener): Promise<TestServer> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  })
  return listen(https.createServer({ key: pems.private, cert: pems.cert }, listener), pems.cert)
}

async function listen(server: http.Server, ca?: string): Promise<TestServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const scheme = ca === undefined ? 'http' : 'https'
  return {
    url: `${scheme}://127.0.0.1:${port}`,
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
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, ...(options.ca ? { ca: options.ca } : {}) },
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

export function decode(raw: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8')
  if (encoding === 'br') return brotliDecompressSync(raw).toString('utf8')
  return raw.toString('utf8')
}
