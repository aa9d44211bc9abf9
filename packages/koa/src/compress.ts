import { Readable, pipeline } from 'node:stream'
import { constants as zlib, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib'
import {
  checkAllowOnHttps,
  decideCompression,
  isHttpsRequest,
  mergeVary,
  planCompression,
  resolveCompressionOptions,
  weakenEtag,
  type CompressionOptions,
  type CompressionPolicy,
  type HttpEncoding,
} from '@convoy/http'
import type { DefaultContext, DefaultState, Next, ParameterizedContext } from 'koa'
import { cutOnError, headerOf, responseHeader } from './request.js'

const PACKAGE = '@convoy/koa'

/** Options of {@link compress}: those of `gzipHttpOnly` (`@convoy/middleware-gzip-http`), with the same defaults. */
export interface CompressOptions<StateT = DefaultState, ContextT = DefaultContext> extends CompressionOptions {
  /**
   * Opts chosen responses back into compression on HTTPS — only for responses that never reflect user input next to
   * a secret (BREACH). Called after the downstream middleware has run, so it can look at `ctx.path` and at the
   * response (`ctx.type`, `ctx.status`). Returning anything but `true`, or throwing, leaves the response uncompressed.
   * @default undefined (never compress on HTTPS)
   */
  readonly allowOnHttps?: (ctx: ParameterizedContext<StateT, ContextT>) => boolean
}

/** The body as the compressor takes it: bytes known in full, a stream, or a value Koa would send as JSON. */
type Source =
  | { readonly kind: 'bytes'; readonly bytes: string | Buffer }
  | { readonly kind: 'stream'; readonly open: () => Readable; readonly length: number | undefined }
  | { readonly kind: 'json'; readonly value: unknown }

/**
 * BREACH-safe compression for Koa: compresses response bodies with brotli or gzip, but only on plain HTTP. Any sign
 * of HTTPS (a TLS socket, `X-Forwarded-Proto: https` anywhere in the list, `Forwarded: proto=https`, `CF-Visitor`,
 * … — `isHttpsRequest` of `@convoy/http`) turns it off, unless `allowOnHttps(ctx)` says yes.
 *
 * Every decision is the one `gzipHttpOnly` makes, taken from `@convoy/http`: `Accept-Encoding` q-values (ties go to
 * the earlier of `encodings`), the size threshold (waived when the client refuses identity), no compression of
 * HEAD, 1xx/204/205/206/304, a `Content-Range`, `Cache-Control: no-transform`, an already set `Content-Encoding`,
 * `text/event-stream` or types that do not compress; `Vary: Accept-Encoding` whenever the body could have been
 * compressed. A compressed body loses its `Content-Length` and has a strong `ETag` weakened (`"x"` → `W/"x"`).
 *
 * Mount it before the middleware whose bodies it should compress; after they have run it looks at `ctx.body`: a
 * string, a `Buffer`, a stream (compressed as it flows), a JSON value (sent as Koa would, `application/json`), or —
 * on Koa 3 — a `Blob`, a `ReadableStream` or a `Response`. No body (Koa's own status messages), `ctx.respond = false`
 * and responses whose headers are already sent are left alone.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` naming the option, for an unknown option or a value out of range.
 *
 * @example
 * import Koa from 'koa'
 * import { compress } from '@convoy/koa'
 *
 * const app = new Koa()
 * app.use(compress())
 * app.use((ctx) => {
 *   ctx.body = '<!doctype html><title>Hello</title>…'
 * })
 */
export function compress<StateT = DefaultState, ContextT = DefaultContext>(
  options: CompressOptions<StateT, ContextT> = {},
): (ctx: ParameterizedContext<StateT, ContextT>, next: Next) => Promise<void> {
  const policy = resolveCompressionOptions(options, PACKAGE, ['allowOnHttps'])
  checkAllowOnHttps(options.allowOnHttps, PACKAGE)
  const { allowOnHttps } = options

  return async function convoyCompress(ctx, next) {
    const { req, res } = ctx
    const https = isHttpsRequest(req)
    // Nothing can be compressed: leave the response exactly as it is, Vary included.
    if (https && allowOnHttps === undefined) {
      await next()
      return
    }
    const plan = planCompression(policy, { https, acceptEncoding: headerOf(req, 'accept-encoding'), userAgent: headerOf(req, 'user-agent') })

    await next()

    if (ctx.respond === false || res.headersSent) return
    const source = sourceOf(ctx.body)
    if (source === undefined) return

    // JSON is serialized (as Koa would at the end) only when its length can matter: a coding is acceptable, not HEAD.
    const json = source.kind === 'json' && plan.encoding !== undefined && ctx.method !== 'HEAD' ? JSON.stringify(source.value) : undefined
    // (`bytes` is then known whenever a coding is chosen: the decision never picks one for HEAD or without a coding.)
    const bytes = source.kind === 'bytes' ? source.bytes : json
    const headerLength = contentLengthOf(res)
    const bodyLength = bytes === undefined ? (source.kind === 'stream' ? source.length : undefined) : Buffer.byteLength(bytes)
    const decision = decideCompression(
      policy,
      plan,
      {
        method: ctx.method,
        status: ctx.status,
        contentType: responseHeader(res, 'content-type'),
        contentEncoding: responseHeader(res, 'content-encoding'),
        contentRange: responseHeader(res, 'content-range'),
        cacheControl: responseHeader(res, 'cache-control'),
        // Below the threshold when either the header or the body says so, as `gzipHttpOnly` (`compression`) counts.
        contentLength: headerLength === undefined ? bodyLength : bodyLength === undefined ? headerLength : Math.min(headerLength, bodyLength),
      },
      allowOnHttps === undefined ? undefined : () => allowOnHttps(ctx) === true,
    )
    for (const name of decision.vary) res.setHeader('Vary', mergeVary(res.getHeader('vary'), name))
    if (decision.encoding === undefined) return

    const compressor = createCompressor(decision.encoding, policy, bodyLength)
    if (source.kind === 'stream') {
      // Errors of either stream end in the compressor, which Koa pipes (and whose failure cuts the connection).
      pipeline(source.open(), compressor, () => undefined)
    } else compressor.end(bytes)
    ctx.body = compressor
    res.setHeader('Content-Encoding', decision.encoding)
    res.removeHeader('Content-Length')
    // A compressed body is not byte-identical to the uncompressed one, so a strong validator would lie.
    const etag = responseHeader(res, 'etag')
    if (etag !== undefined) res.setHeader('ETag', weakenEtag(etag) ?? etag)
    cutOnError(compressor, res)
  }
}

function createCompressor(encoding: HttpEncoding, policy: CompressionPolicy, length: number | undefined): BrotliCompress | Gzip {
  if (encoding === 'gzip') return createGzip({ level: policy.gzipLevel })
  const params: Record<number, number> = { [zlib.BROTLI_PARAM_QUALITY]: policy.brotliQuality }
  if (length !== undefined) params[zlib.BROTLI_PARAM_SIZE_HINT] = length
  return createBrotliCompress({ params })
}

/** `Content-Length` as a number, `undefined` when absent or not a number. */
function contentLengthOf(res: { getHeader(name: string): number | string | string[] | undefined }): number | undefined {
  const value = res.getHeader('content-length')
  if (value === undefined || Array.isArray(value)) return undefined
  const length = Number(value)
  return Number.isFinite(length) ? length : undefined
}

/** The body Koa would send, as bytes or a stream; `undefined` when there is none (Koa then sends its status text). */
function sourceOf(body: unknown): Source | undefined {
  if (body === null || body === undefined) return undefined
  if (typeof body === 'string' || Buffer.isBuffer(body)) return { kind: 'bytes', bytes: body }
  if (isNodeStream(body)) return { kind: 'stream', open: () => body, length: undefined }
  // Koa 3's other bodies, sent as its own `respond()` sends them. Opened only when compressed: reading a web stream
  // locks it, and Koa must still be able to send it as it is.
  if (body instanceof Blob) return { kind: 'stream', open: () => Readable.fromWeb(body.stream()), length: body.size }
  if (body instanceof ReadableStream) return { kind: 'stream', open: () => Readable.fromWeb(body), length: undefined }
  if (body instanceof Response) {
    const { body: stream } = body
    return stream === null ? { kind: 'bytes', bytes: Buffer.alloc(0) } : { kind: 'stream', open: () => Readable.fromWeb(stream), length: undefined }
  }
  // Anything else Koa sends as JSON (`JSON.stringify` of a function or a symbol is nothing: left to Koa).
  return typeof body === 'function' || typeof body === 'symbol' ? undefined : { kind: 'json', value: body }
}

/** A Node readable stream, recognised as Koa recognises one. */
function isNodeStream(body: unknown): body is Readable {
  return body instanceof Readable || (typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function' && typeof (body as Readable).read === 'function')
}
