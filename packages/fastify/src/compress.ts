// `convoyCompress`: @convoy/http's BREACH-safe compression rules (the ones `gzipHttpOnly` follows) as an onSend hook.
import { Readable, pipeline } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { brotliCompress, constants as zlib, createBrotliCompress, createGzip, gzip, type BrotliOptions, type ZlibOptions } from 'node:zlib'
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
import type { DoneFuncWithErrOrRes, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { fastifyPlugin } from 'fastify-plugin'
import { SERVED_BY_CONVOY_STATIC } from './marks.js'

const PACKAGE = '@convoy/fastify'

/** Options of {@link convoyCompress}: those of every Convoy compression middleware, plus `allowOnHttps`. */
export interface ConvoyCompressOptions extends CompressionOptions {
  /**
   * Opts chosen replies back into compression on HTTPS — only for replies that never reflect user input next to a
   * secret (BREACH). Called from the `onSend` hook, so it can look at `request.url` and at reply headers such as
   * `Content-Type`. Returning anything but `true`, or throwing, leaves the reply uncompressed.
   * @default undefined (never compress on HTTPS)
   */
  readonly allowOnHttps?: (request: FastifyRequest, reply: FastifyReply) => boolean
}

/**
 * Compresses dynamic replies with brotli or gzip, but only on plain HTTP: any sign of HTTPS (a TLS socket,
 * `X-Forwarded-Proto: https`, `Forwarded: proto=https`, … — `isHttpsRequest` of `@convoy/http`) leaves every reply
 * uncompressed unless `allowOnHttps` says otherwise, because compressing a secret next to attacker-influenced text
 * over TLS leaks the secret (BREACH).
 *
 * Exactly the rules of `gzipHttpOnly` (`@convoy/middleware-gzip-http`): `Accept-Encoding` q-values, the size
 * threshold (`Content-Length`, or the length of a string or Buffer payload; a stream of unknown length is
 * compressed), HEAD, 1xx/204/205/206/304, `Content-Range`, an existing `Content-Encoding`, `Cache-Control:
 * no-transform`, `text/event-stream` and types that do not compress are left alone; `Vary: Accept-Encoding` whenever
 * the body could have been compressed; a compressed reply loses its `Content-Length` and has a strong `ETag`
 * weakened. String and Buffer payloads are compressed on the thread pool, streams as they flow. Replies of
 * {@link convoyStatic} (precompressed at deploy time) are never touched.
 *
 * One `onSend` hook for the context it is registered in (the whole app at the top level). Register it after plugins
 * whose `onSend` hooks change the payload, so it compresses what is really sent.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` at registration for an unknown option or a value out of range.
 * @example
 * import Fastify from 'fastify'
 * import { convoyCompress } from '@convoy/fastify'
 *
 * const app = Fastify()
 * await app.register(convoyCompress, { threshold: 512 })
 * app.get('/', (_request, reply) => reply.type('text/html').send(renderPage()))
 */
export const convoyCompress: FastifyPluginAsync<ConvoyCompressOptions> = fastifyPlugin(convoyCompressPlugin, {
  fastify: '5.x',
  name: '@convoy/fastify/compress',
})

// eslint-disable-next-line @typescript-eslint/require-await -- Fastify wants a plugin that is async or takes `done`.
async function convoyCompressPlugin(app: FastifyInstance, options: ConvoyCompressOptions): Promise<void> {
  // Replies whose payload was handed on compressed: a stream that fails before its first bytes are out is answered
  // by Fastify's error handler with the headers the reply had, and the error page is not compressed.
  const compressing = new WeakSet<FastifyReply>()
  app.addHook('onSend', createCompressHook(options, compressing))
  app.addHook('onError', (_request, reply, _error, done) => {
    if (compressing.delete(reply)) {
      reply.removeHeader('Content-Encoding')
      if (!reply.raw.headersSent) reply.raw.removeHeader('Content-Encoding')
    }
    done()
  })
}

type OnSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: DoneFuncWithErrOrRes) => void

/** The `onSend` hook, its options checked once. */
function createCompressHook(options: ConvoyCompressOptions, compressing: WeakSet<FastifyReply>): OnSend {
  const policy = resolveCompressionOptions(options, PACKAGE, ['allowOnHttps'])
  checkAllowOnHttps(options.allowOnHttps, PACKAGE)
  const { allowOnHttps } = options
  const encoders = createEncoders(policy)

  return function convoyCompress(request, reply, payload, done) {
    if (reply[SERVED_BY_CONVOY_STATIC] === true) {
      done(null, payload)
      return
    }
    const https = isHttpsRequest(request.raw)
    // Nothing can be compressed: the reply stays exactly as it is, Vary included.
    if (https && allowOnHttps === undefined) {
      done(null, payload)
      return
    }
    const headers = request.raw.headers
    const plan = planCompression(policy, { https, acceptEncoding: text(headers['accept-encoding']), userAgent: headers['user-agent'] })
    const body = bodyOf(payload)
    const decision = decideCompression(
      policy,
      plan,
      {
        method: request.method,
        status: reply.statusCode,
        contentType: text(reply.getHeader('content-type')),
        contentEncoding: text(reply.getHeader('content-encoding')),
        contentRange: text(reply.getHeader('content-range')),
        cacheControl: text(reply.getHeader('cache-control')),
        contentLength: lengthOf(reply.getHeader('content-length')) ?? body.length,
      },
      allowOnHttps === undefined ? undefined : () => allowOnHttps(request, reply) === true,
    )
    for (const name of decision.vary) reply.header('Vary', mergeVary(reply.getHeader('vary'), name))
    const { encoding } = decision
    if (encoding === undefined || body.kind === 'other') {
      done(null, payload)
      return
    }

    const compressed = (): void => {
      reply.header('Content-Encoding', encoding)
      reply.removeHeader('Content-Length')
      const etag = reply.getHeader('etag')
      if (typeof etag === 'string') reply.header('ETag', weakenEtag(etag) ?? etag)
    }
    if (body.kind === 'stream') {
      const compressor = encoders.stream(encoding)
      pipeline(body.stream, compressor, () => undefined)
      compressed()
      compressing.add(reply)
      done(null, compressor)
      return
    }
    encoders.bytes(encoding, body.bytes, (error, result) => {
      if (error !== null) {
        // Never fails on valid input; if it ever does, the reply goes out as it was rather than not at all.
        request.log.warn({ err: error }, `${PACKAGE}: ${encoding} compression failed; sent uncompressed`)
        done(null, payload)
        return
      }
      compressed()
      done(null, result)
    })
  }
}

type Body =
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly length: number }
  | { readonly kind: 'stream'; readonly stream: Readable; readonly length: undefined }
  /** Nothing to compress (no body), or a body we leave alone (a Web `Response`, whose headers are not set yet). */
  | { readonly kind: 'other'; readonly length: number | undefined }

const NO_BODY: Body = { kind: 'other', length: 0 }
const UNKNOWN: Body = { kind: 'other', length: undefined }

/** The payload as `onSend` sees it: a string, a Buffer, a Node or Web stream, a `Response`, or nothing. */
function bodyOf(payload: unknown): Body {
  if (payload === undefined || payload === null) return NO_BODY
  if (typeof payload === 'string') {
    const bytes = Buffer.from(payload)
    return { kind: 'bytes', bytes, length: bytes.length }
  }
  if (Buffer.isBuffer(payload)) return { kind: 'bytes', bytes: payload, length: payload.length }
  if (typeof payload !== 'object') return UNKNOWN
  if (typeof (payload as Partial<Readable>).pipe === 'function') return { kind: 'stream', stream: payload as Readable, length: undefined }
  if (typeof (payload as Partial<WebReadableStream>).getReader === 'function') {
    return { kind: 'stream', stream: Readable.fromWeb(payload as WebReadableStream), length: undefined }
  }
  return UNKNOWN
}

function createEncoders(policy: CompressionPolicy) {
  const gzipOptions: ZlibOptions = { level: policy.gzipLevel }
  const brotliOptions = (sizeHint: number | undefined): BrotliOptions => ({
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: policy.brotliQuality,
      ...(sizeHint === undefined ? {} : { [zlib.BROTLI_PARAM_SIZE_HINT]: sizeHint }),
    },
  })
  const streamingBrotli = brotliOptions(undefined)
  return {
    stream: (encoding: HttpEncoding) => (encoding === 'br' ? createBrotliCompress(streamingBrotli) : createGzip(gzipOptions)),
    bytes: (encoding: HttpEncoding, bytes: Buffer, callback: (error: Error | null, result: Buffer) => void) => {
      if (encoding === 'br') brotliCompress(bytes, brotliOptions(bytes.length), callback)
      else gzip(bytes, gzipOptions, callback)
    },
  }
}

/** A header as the shared rules read it: a string, or `undefined` when absent. */
function text(value: number | string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'object' ? value.join(', ') : String(value)
}

function lengthOf(value: number | string | readonly string[] | undefined): number | undefined {
  const length = text(value)
  if (length === undefined || length.trim() === '') return undefined
  const number = Number(length)
  return Number.isFinite(number) ? number : undefined
}
