import { ConvoyError } from '@convoy/errors'
import {
  checkAllowOnHttps,
  decideCompression,
  isHttpsRequest,
  mergeVary,
  planCompression,
  resolveCompressionOptions,
  weakenEtag,
  type CompressionPolicy,
  type HttpEncoding,
} from '@convoy/http'
import type { Context, MiddlewareHandler } from 'hono'
import { runtimeEngine, type CompressionEngine } from './compression-engine.js'

const PACKAGE = '@convoy/hono'

/** Options of {@link compress}: those of `gzipHttpOnly`, with `allowOnHttps` given the Hono context. */
export interface CompressOptions {
  /**
   * Bodies smaller than this many bytes are sent uncompressed. Compared with `Content-Length`, or with the length of
   * a body that is there in full when the handler returns (`c.html(string)`, `c.json()`); a body still being
   * streamed is compressed. Ignored when the client refuses uncompressed bodies (`identity;q=0`).
   * @default 1024
   */
  readonly threshold?: number
  /**
   * The codings to offer, most preferred first; the client's q-values decide, ties go to the earlier one. Default:
   * every coding this runtime can produce, of `['br', 'gzip']` (see `compressionEncodings()`). A coding given here
   * that the runtime cannot produce is refused.
   */
  readonly encodings?: readonly HttpEncoding[]
  /** gzip level, 1 (fastest) to 9 (smallest). Only where node:zlib compresses (refused otherwise). @default 6 */
  readonly gzipLevel?: number
  /** Brotli quality, 0 to 11. Only where node:zlib compresses (refused otherwise). @default 4 */
  readonly brotliQuality?: number
  /**
   * Opts chosen responses back into compression on HTTPS — only responses that never reflect user input next to a
   * secret (BREACH). Called after the handler, with the context (`c.req.path`, `c.res.headers`). `false` or a
   * throw leaves the response uncompressed.
   * @default undefined (never compress on HTTPS)
   */
  readonly allowOnHttps?: (c: Context) => boolean
  /** Never compress for Internet Explorer 6 and older; adds `Vary: User-Agent`. @default false */
  readonly conservativeMsieGzip?: boolean
}

/**
 * The codings {@link compress} can produce in this runtime, and with what: `node:zlib` (Node ≥ 20.16, Bun, Deno,
 * workerd with `nodejs_compat`: `br` and `gzip`, levels apply) or the Web `CompressionStream` (`gzip`, and `br`
 * where it accepts `'brotli'`; no levels).
 *
 * @example
 * compressionEncodings() // { engine: 'node:zlib', encodings: ['br', 'gzip'], tunable: true }
 */
export function compressionEncodings(): { readonly engine: CompressionEngine['name']; readonly encodings: readonly HttpEncoding[]; readonly tunable: boolean } {
  const engine = runtimeEngine()
  return { engine: engine.name, encodings: engine.encodings, tunable: engine.tunable }
}

/**
 * BREACH-safe compression for Hono: compresses dynamic responses with brotli or gzip, but only on plain HTTP.
 *
 * Any sign of HTTPS — the request URL's scheme, a TLS socket under `@hono/node-server`, or a proxy header such as
 * `X-Forwarded-Proto: https` (see `isHttpsRequest` of `@convoy/http`) — leaves every response exactly as it is,
 * unless `allowOnHttps(c)` opts it back in. On plain HTTP the rules are `gzipHttpOnly`'s: `Accept-Encoding`
 * q-values, the threshold, and nothing done to HEAD, 1xx, 204, 205, 206, 304, already-encoded bodies,
 * `Cache-Control: no-transform`, `text/event-stream` or types that do not compress; `Vary: Accept-Encoding` whenever
 * the body could have been compressed; a compressed body loses its `Content-Length` and has its strong `ETag`
 * weakened. Streamed bodies are compressed as they stream.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` for an invalid option, or one this runtime cannot honour (a level
 * without node:zlib, a coding it cannot produce); never while serving.
 *
 * @example
 * import { Hono } from 'hono'
 * import { compress } from '@convoy/hono'
 *
 * const app = new Hono()
 * app.use(compress())
 */
export function compress(options: CompressOptions = {}): MiddlewareHandler {
  return compressWith(options, runtimeEngine())
}

/** {@link compress} with a given engine (the tests run both). */
export function compressWith(options: CompressOptions, engine: CompressionEngine): MiddlewareHandler {
  const policy = policyFor(options, engine)
  checkAllowOnHttps(options.allowOnHttps, PACKAGE)
  const { allowOnHttps } = options

  return async function convoyCompress(c, next) {
    const https = isHttpsRequest({ headers: c.req.raw.headers, socket: { encrypted: isEncrypted(c) } })
    if (https && allowOnHttps === undefined) {
      await next()
      return
    }
    const plan = planCompression(policy, { https, acceptEncoding: c.req.header('accept-encoding'), userAgent: c.req.header('user-agent') })
    await next()

    const response = c.res
    const { headers } = response
    const declaredLength = headers.get('content-length')
    const facts = {
      method: c.req.method,
      status: response.status,
      contentType: headers.get('content-type') ?? undefined,
      contentEncoding: headers.get('content-encoding') ?? undefined,
      contentRange: headers.get('content-range') ?? undefined,
      cacheControl: headers.get('cache-control') ?? undefined,
      contentLength: declaredLength === null ? undefined : Number(declaredLength),
    }
    // Asked at most once per response, though the decision may be made twice (again once the body's length is known).
    let answer: boolean | undefined
    const allowed = allowOnHttps === undefined ? undefined : () => (answer ??= allowOnHttps(c))
    let decision = decideCompression(policy, plan, facts, allowed)
    if (decision.vary.length === 0) return
    if (decision.encoding === undefined) {
      addVary(c, decision.vary)
      return
    }

    let body: ReadableStream<Uint8Array> | null = response.body
    if (declaredLength === null) {
      // No Content-Length: see whether the whole body is already there (a string or bytes the handler returned).
      const peeked = await peek(body, policy.threshold)
      body = peeked.body
      if (peeked.length !== undefined) {
        decision = decideCompression(policy, plan, { ...facts, contentLength: peeked.length }, allowed)
        if (decision.encoding === undefined) {
          replace(c, response, peeked.bytes ?? null, (replaced) => varyOn(replaced, decision.vary))
          return
        }
      }
    }

    const encoding = decision.encoding
    const compressed = (body ?? emptyStream()).pipeThrough(engine.encoder(encoding, policy))
    replace(c, response, compressed, (replaced) => {
      replaced.delete('content-length')
      replaced.set('content-encoding', encoding)
      const etag = replaced.get('etag')
      if (etag !== null) replaced.set('etag', weakenEtag(etag) ?? etag)
      varyOn(replaced, decision.vary)
    })
  }
}

/** The policy, with the codings this engine produces; options it cannot honour are refused, never ignored. */
function policyFor(options: CompressOptions, engine: CompressionEngine): CompressionPolicy {
  const policy = resolveCompressionOptions(options, PACKAGE, ['allowOnHttps'])
  const fail = (message: string): ConvoyError => new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: ${message}`)
  if (!engine.tunable) {
    const levels = (['gzipLevel', 'brotliQuality'] as const).filter((name) => options[name] !== undefined)
    if (levels.length > 0) {
      throw fail(
        `${levels.join(' and ')} cannot be applied here: this runtime has no node:zlib, and its CompressionStream takes no level ` +
          '(it compresses at its own default); remove the option',
      )
    }
  }
  if (options.encodings !== undefined) {
    const missing = policy.encodings.filter((encoding) => !engine.encodings.includes(encoding))
    if (missing.length > 0) {
      throw fail(`encodings: this runtime's ${engine.name} cannot produce ${missing.map((name) => `"${name}"`).join(', ')}; it produces ${describeList(engine.encodings)}`)
    }
    return policy
  }
  const encodings = policy.encodings.filter((encoding) => engine.encodings.includes(encoding))
  if (encodings.length === 0) throw fail('this runtime has neither node:zlib nor a CompressionStream: nothing to compress with')
  return { ...policy, encodings }
}

function describeList(encodings: readonly string[]): string {
  return encodings.length === 0 ? 'none' : encodings.map((name) => `"${name}"`).join(', ')
}

/** Whether the connection itself is TLS: the request URL says `https:`, or `@hono/node-server`'s socket is encrypted. */
export function isEncrypted(c: Context): boolean {
  if (c.req.url.startsWith('https:')) return true
  const env = c.env as { incoming?: { socket?: { encrypted?: unknown } | null } } | undefined
  return env?.incoming?.socket?.encrypted === true
}

/** Adds each name to the response's `Vary`, in place when its headers can change, else through a copy. */
function addVary(c: Context, names: readonly string[]): void {
  try {
    varyOn(c.res.headers, names)
  } catch {
    // Immutable headers (a `fetch()` response passed on): a copy with the same body.
    replace(c, c.res, c.res.body, (headers) => varyOn(headers, names))
  }
}

function varyOn(headers: Headers, names: readonly string[]): void {
  for (const name of names) headers.set('vary', mergeVary(headers.get('vary'), name))
}

/** Puts a new response with `body` in place of `response`, its headers copied and then changed by `edit`. */
function replace(c: Context, response: Response, body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null, edit: (headers: Headers) => void): void {
  const headers = new Headers(response.headers)
  edit(headers)
  // Cleared first: assigning over an existing response makes Hono copy the old headers (Content-Length, a strong
  // ETag) back onto the new one.
  c.res = undefined
  c.res = new Response(body, { status: response.status, statusText: response.statusText, headers })
}

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>

interface Peeked {
  /** The whole body to send on: what was read, then the rest. */
  readonly body: ReadableStream<Uint8Array> | null
  /** The whole length, when the body ended within what was read. */
  readonly length: number | undefined
  /** The whole body, when it ended within what was read. */
  readonly bytes: Uint8Array<ArrayBuffer> | undefined
}

/**
 * Reads what the body holds already, up to `limit` bytes: the first chunk (waited for), then whatever follows at
 * once. A body that ends within that has a known length; one that is still streaming is handed on whole.
 */
async function peek(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Peeked> {
  if (body === null) return { body: null, length: 0, bytes: undefined }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  let pending: Promise<ReadResult> | undefined = reader.read()
  let first = true
  while (pending !== undefined) {
    const result = first ? await pending : await Promise.race([pending, nextTurn()])
    first = false
    if (result === undefined) break
    pending = undefined
    if (result.done) return { body: resume(chunks, undefined, reader), length, bytes: concat(chunks, length) }
    chunks.push(result.value)
    length += result.value.byteLength
    if (length >= limit) break
    pending = reader.read()
  }
  return { body: resume(chunks, pending, reader), length: undefined, bytes: undefined }
}

/** The chunks already read, then the rest of the reader's stream. */
function resume(
  chunks: readonly Uint8Array[],
  pending: Promise<ReadResult> | undefined,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let index = 0
  let waiting = pending
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (index < chunks.length) {
          controller.enqueue(chunks[index++] as Uint8Array)
          return
        }
        const result = await (waiting ?? reader.read())
        waiting = undefined
        if (result.done) controller.close()
        else controller.enqueue(result.value)
      },
      cancel(reason) {
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array<ArrayBuffer> {
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

function nextTurn(): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), 0))
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.close()
    },
  })
}
