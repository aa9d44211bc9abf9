// The suite's HTTP client: node:http with no agent and no normalisation, and a raw socket for request lines no client
// sends. Nothing is decompressed on the way: the checks look at the bytes as sent.
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'

/** What came back for one request. */
export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** The body as sent (still compressed when `Content-Encoding` says so). */
  readonly body: Buffer
}

export interface RequestOptions {
  /** Default `GET`. */
  readonly method?: string
  /** Sent as given; an array value is sent as repeated header lines. */
  readonly headers?: OutgoingHttpHeaders
}

/** Time limit of one request of the suite, in milliseconds. */
const REQUEST_TIMEOUT_MS = 5000

/**
 * One request to the server at `url` (`http://127.0.0.1:PORT`), with `target` sent exactly as given on the request
 * line — no normalisation of `..` or percent-encoding, unlike `fetch`.
 *
 * @example
 * const reply = await request('http://127.0.0.1:8080', '/static/%2e%2e/secret.txt', { headers: { 'accept-encoding': 'br' } })
 */
export function request(url: string, target: string, options: RequestOptions = {}): Promise<Reply> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path: target, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`@convoy/adapter-test-suite: no answer within ${REQUEST_TIMEOUT_MS} ms for ${options.method ?? 'GET'} ${target}`)))
    req.on('error', reject)
    req.end()
  })
}

/**
 * Sends `text` byte for byte (each character one latin1 byte) over a socket to the server at `url` and resolves with
 * everything the server sent back before closing, as latin1. For request lines no HTTP client would send.
 */
export function rawRequest(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(Buffer.from(text, 'latin1')))
    const chunks: Buffer[] = []
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error(`@convoy/adapter-test-suite: the connection stayed open ${REQUEST_TIMEOUT_MS} ms after ${JSON.stringify(text.split('\r\n')[0])}`)))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server may reset the connection on a request line it refuses: that is a refusal, not a failure.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(Buffer.concat(chunks).toString('latin1'))
      else reject(error)
    })
  })
}

/** The status of the first response in what {@link rawRequest} received, or `undefined` when there was none. */
export function rawStatus(response: string): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(response)
  return match === null ? undefined : Number(match[1])
}

/** `body` with its `Content-Encoding` (`gzip`, `br` or none) undone. */
export function decodeBody(body: Buffer, contentEncoding: string | undefined): Buffer {
  if (contentEncoding === undefined || contentEncoding === 'identity') return body
  if (contentEncoding === 'gzip') return gunzipSync(body)
  if (contentEncoding === 'br') return brotliDecompressSync(body)
  throw new Error(`@convoy/adapter-test-suite: unexpected Content-Encoding ${JSON.stringify(contentEncoding)}`)
}
