import type { IncomingMessage, ServerResponse } from 'node:http'
import { constants as zlibConstants } from 'node:zlib'
import {
  checkAllowOnHttps,
  isEligibleForCompression,
  isHttpsRequest,
  planCompression,
  resolveCompressionOptions,
  weakenEtag,
  type CompressionPlan,
  type HttpEncoding,
} from '@convoy/http'
import compression from 'compression'
import onHeaders from 'on-headers'
import vary from 'vary'

const PACKAGE = '@convoy/middleware-gzip-http'

/** Options of {@link gzipHttpOnly}. Every option is optional; the defaults suit dynamic HTML and JSON. */
export interface GzipHttpOnlyOptions<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  /**
   * Bodies smaller than this many bytes are sent uncompressed: compressing them saves little and costs CPU.
   * Compared with `Content-Length` when the response sets it, or with the body passed to a single
   * `res.end(body)`. A body streamed with `res.write()` has no known length and is compressed. Ignored when
   * the client refuses uncompressed bodies (`identity;q=0`).
   * @default 1024
   */
  readonly threshold?: number
  /**
   * The codings to offer, most preferred first. The client's q-values decide; on a tie the earlier one wins,
   * so by default brotli is used whenever the client accepts it with at least gzip's q-value.
   * @default ['br', 'gzip']
   */
  readonly encodings?: readonly HttpEncoding[]
  /**
   * gzip compression level, 1 (fastest) to 9 (smallest).
   * @default 6
   */
  readonly gzipLevel?: number
  /**
   * Brotli quality, 0 (fastest) to 11 (smallest). The default is moderate because every response is
   * compressed while the client waits; 11 is for static files compressed once at build time.
   * @default 4
   */
  readonly brotliQuality?: number
  /**
   * Opts chosen responses back into compression on HTTPS — only for responses that never reflect user
   * input next to a secret (BREACH). Called when the headers are about to be sent, so it can look at
   * `req.url` and at response headers such as `Content-Type`. Returning `false` or throwing leaves the
   * response uncompressed.
   * @default undefined (never compress on HTTPS)
   */
  readonly allowOnHttps?: (req: Req, res: Res) => boolean
  /**
   * Legacy, from django-asset-convoy's `CONVOY_CONSERVATIVE_MSIE_GZIP`: never compress for Internet Explorer
   * 6 and older (`User-Agent` containing `MSIE <n>` with n < 7), whose gzip support was broken. Adds
   * `Vary: User-Agent` so shared caches do not hand a compressed copy to those browsers.
   * @default false
   */
  readonly conservativeMsieGzip?: boolean
}

/** A Connect/Express-style middleware, usable with plain `node:http` too. */
export type GzipHttpOnlyMiddleware<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> = (req: Req, res: Res, next: (error?: unknown) => void) => void

/** What the middleware knows about one response while it is being decided. */
interface ResponseState {
  readonly req: IncomingMessage
  readonly plan: CompressionPlan
  /** Passed every check of ours; `compression` then decides on size and `Accept-Encoding`. */
  eligible: boolean
  /** The application had already set `Content-Encoding` (so any value is not ours). */
  encodedBefore: boolean
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void


/**
 * Compresses dynamic responses with brotli or gzip, but only on plain HTTP.
 *
 * Over HTTPS, compressing a response that mixes a secret (a CSRF token, a session-bound value) with
 * attacker-influenced text lets an attacker recover the secret from the compressed sizes (BREACH). So any
 * sign of HTTPS — see {@link isHttpsRequest} — turns compression off, unless `allowOnHttps` says otherwise.
 *
 * On plain HTTP it honours `Accept-Encoding` q-values and the size threshold; leaves alone HEAD, 1xx, 204,
 * 205, 206, 304, already-encoded responses, `Cache-Control: no-transform`, `text/event-stream` and types
 * that do not compress (images, archives); compresses streamed bodies as they are written; sets
 * `Vary: Accept-Encoding` whenever the body could have been compressed; removes `Content-Length` and
 * weakens a strong `ETag` (`"x"` → `W/"x"`) on compressed bodies. `res.flush()` pushes out what the
 * compressor holds, for long-lived responses. The streaming is done by the `compression` package.
 *
 * Throws a `ConvoyError` (`ERR_CONVOY_CONFIG`) for invalid options; never throws while serving.
 *
 * @example
 * import express from 'express'
 * import { gzipHttpOnly } from '@convoy/middleware-gzip-http'
 *
 * const app = express()
 * app.use(gzipHttpOnly())
 *
 * @example
 * import { createServer } from 'node:http'
 * import { gzipHttpOnly } from '@convoy/middleware-gzip-http'
 *
 * const compress = gzipHttpOnly({ threshold: 512 })
 * createServer((req, res) => {
 *   compress(req, res, () => {
 *     res.setHeader('Content-Type', 'text/html; charset=utf-8')
 *     res.end(renderPage())
 *   })
 * }).listen(8080)
 */
export function gzipHttpOnly<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options: GzipHttpOnlyOptions<Req, Res> = {},
): GzipHttpOnlyMiddleware<Req, Res> {
  const policy = resolveCompressionOptions(options, PACKAGE, ['allowOnHttps'])
  checkAllowOnHttps(options.allowOnHttps, PACKAGE)
  const allowOnHttps = options.allowOnHttps as ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined
  const { conservativeMsieGzip } = policy

  const states = new WeakMap<ServerResponse, ResponseState>()

  // Called by `compression` just before the headers go out: the shared rules of @convoy/http decide eligibility;
  // `compression` then applies the threshold, skips encoded bodies and HEAD, and sets Vary, as `decideCompression` does.
  const filter: compression.CompressionFilter = (_req, res) => {
    const state = states.get(res)
    if (state === undefined) return false
    const response = {
      method: state.req.method ?? 'GET',
      status: res.statusCode,
      contentType: headerText(res.getHeader('Content-Type')),
      contentEncoding: headerText(res.getHeader('Content-Encoding')),
      contentRange: headerText(res.getHeader('Content-Range')),
      cacheControl: headerText(res.getHeader('Cache-Control')),
      contentLength: undefined,
    }
    if (!isEligibleForCompression(state.plan, response, () => allowOnHttps?.(state.req, res) === true)) return false
    state.eligible = true
    state.encodedBefore = res.hasHeader('Content-Encoding')
    return true
  }

  const shared = {
    filter,
    level: policy.gzipLevel,
    brotli: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: policy.brotliQuality } },
  }
  const compressAboveThreshold = compression({ ...shared, threshold: policy.threshold }) as unknown as Handler
  const compressAnySize = compression({ ...shared, threshold: 0 }) as unknown as Handler

  return function gzipHttpOnly(req, res, next) {
    const https = isHttpsRequest(req)
    if (https && allowOnHttps === undefined) {
      // Nothing can be compressed: leave the response alone. `res.flush()` still exists, as on plain HTTP,
      // so code that calls it does not break only in production.
      const flushable = res as ServerResponse & { flush?: () => void }
      flushable.flush ??= noop
      next()
      return
    }

    const plan = planCompression(policy, { https, acceptEncoding: req.headers['accept-encoding'], userAgent: req.headers['user-agent'] })
    const state: ResponseState = { req, plan, eligible: false, encodedBefore: false }
    states.set(res, state)

    // Registered before `compression` registers its own, so (on-headers fires in reverse order) this runs
    // after it has decided and set Content-Encoding.
    onHeaders(res, function afterCompressionDecided() {
      if (!state.eligible) return
      if (conservativeMsieGzip) vary(this, 'User-Agent')
      if (state.encodedBefore || !this.hasHeader('Content-Encoding')) return
      // A compressed body is not byte-identical to the uncompressed one, so a strong validator would lie.
      const etag = this.getHeader('ETag')
      if (typeof etag === 'string') this.setHeader('ETag', weakenEtag(etag) ?? etag)
    })

    // `compression` negotiates on its own (and would pick deflate); handing it a view of the request whose
    // Accept-Encoding names only our choice keeps the decision ours. Everything else reads through to `req`.
    const acceptEncoding = plan.encoding ?? 'identity'
    const view = Object.create(req, {
      headers: { value: { ...req.headers, 'accept-encoding': acceptEncoding }, enumerable: true },
    }) as IncomingMessage
    const compress = plan.identityRefused ? compressAnySize : compressAboveThreshold
    compress(view, res, next)
  }
}

function noop(): void {}

/** A header as the shared rules read it: a string, or `undefined` when absent. */
function headerText(value: number | string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'object' ? value.join(', ') : String(value)
}
