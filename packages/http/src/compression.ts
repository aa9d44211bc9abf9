// The rules for compressing a dynamic response, once: `gzipHttpOnly` (Connect/Express) and every framework adapter
// (Fastify, Koa, Hono) ask these functions, and only the streaming differs between them.
import { ConvoyError } from '@convoy/errors'
import { isOldMsie } from '@convoy/gzip'
import type Compressible from 'compressible'
import { createRequire } from 'node:module'
import { HTTP_ENCODINGS, negotiateEncoding, type HttpEncoding } from './accept-encoding.js'

/** The options every BREACH-safe compression middleware of Convoy takes, whatever the framework. */
export interface CompressionOptions {
  /**
   * Bodies smaller than this many bytes are sent uncompressed: compressing them saves little and costs CPU.
   * Compared with `Content-Length` (or the length of a body known in full). A streamed body of unknown length is
   * compressed. Ignored when the client refuses uncompressed bodies (`identity;q=0`).
   * @default 1024
   */
  readonly threshold?: number
  /**
   * The codings to offer, most preferred first. The client's q-values decide; on a tie the earlier one wins.
   * @default ['br', 'gzip']
   */
  readonly encodings?: readonly HttpEncoding[]
  /** gzip level, 1 (fastest) to 9 (smallest). @default 6 */
  readonly gzipLevel?: number
  /** Brotli quality, 0 to 11; moderate by default since every response is compressed while the client waits. @default 4 */
  readonly brotliQuality?: number
  /**
   * Never compress for Internet Explorer 6 and older (`MSIE <n>`, n < 7), whose gzip support was broken; adds
   * `Vary: User-Agent`. From django-asset-convoy's `CONVOY_CONSERVATIVE_MSIE_GZIP`.
   * @default false
   */
  readonly conservativeMsieGzip?: boolean
}

/** {@link CompressionOptions} checked, with every default filled in. */
export interface CompressionPolicy {
  readonly threshold: number
  readonly encodings: readonly HttpEncoding[]
  readonly gzipLevel: number
  readonly brotliQuality: number
  readonly conservativeMsieGzip: boolean
}

const POLICY_KEYS = ['threshold', 'encodings', 'gzipLevel', 'brotliQuality', 'conservativeMsieGzip'] as const

/**
 * Checks the options of a compression middleware and fills in the defaults. `packageName` prefixes the messages;
 * `extraKeys` are the framework's own options (e.g. `allowOnHttps`), accepted here and checked by the caller.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` naming the option, for an unknown option or a value out of range.
 */
export function resolveCompressionOptions(options: unknown, packageName: string, extraKeys: readonly string[] = []): CompressionPolicy {
  const fail = (message: string): ConvoyError => new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: ${message}`)
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw fail(`options must be an object, got ${describe(options)}`)
  const known = [...POLICY_KEYS, ...extraKeys]
  const record = options as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) throw fail(`unknown option "${key}" (known: ${known.join(', ')})`)
  }
  const { threshold, encodings, gzipLevel, brotliQuality, conservativeMsieGzip } = record
  if (threshold !== undefined && !(typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 0)) {
    throw fail(`threshold must be a finite number of bytes >= 0, got ${describe(threshold)}`)
  }
  if (encodings !== undefined) {
    if (!Array.isArray(encodings) || encodings.length === 0) throw fail(`encodings must be a non-empty array of "br" and/or "gzip", got ${describe(encodings)}`)
    for (const encoding of encodings as unknown[]) {
      if (!HTTP_ENCODINGS.includes(encoding as HttpEncoding)) throw fail(`encodings may only contain "br" and "gzip", got ${describe(encoding)}`)
    }
    if (new Set(encodings).size !== encodings.length) throw fail('encodings must not repeat a coding')
  }
  if (gzipLevel !== undefined && !isIntegerIn(gzipLevel, 1, 9)) throw fail(`gzipLevel must be an integer from 1 to 9, got ${describe(gzipLevel)}`)
  if (brotliQuality !== undefined && !isIntegerIn(brotliQuality, 0, 11)) throw fail(`brotliQuality must be an integer from 0 to 11, got ${describe(brotliQuality)}`)
  if (conservativeMsieGzip !== undefined && typeof conservativeMsieGzip !== 'boolean') throw fail(`conservativeMsieGzip must be a boolean, got ${describe(conservativeMsieGzip)}`)
  return {
    threshold: (threshold) ?? 1024,
    encodings: (encodings as readonly HttpEncoding[] | undefined) ?? HTTP_ENCODINGS,
    gzipLevel: (gzipLevel as number | undefined) ?? 6,
    brotliQuality: (brotliQuality as number | undefined) ?? 4,
    conservativeMsieGzip: (conservativeMsieGzip) ?? false,
  }
}

/** Checks an `allowOnHttps` option, whatever arguments the framework passes it. */
export function checkAllowOnHttps(value: unknown, packageName: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: allowOnHttps must be a function returning a boolean, got ${describe(value)}`)
  }
}

/** What is known of a request before its handler runs. */
export interface CompressionRequest {
  /** Any sign of HTTPS (`isHttpsRequest`). */
  readonly https: boolean
  readonly acceptEncoding: string | undefined
  readonly userAgent: string | undefined
}

/** What the request allows, decided once before the handler runs. */
export interface CompressionPlan {
  readonly https: boolean
  /** The coding the client prefers among ours, or `undefined` for none (or an old MSIE with `conservativeMsieGzip`). */
  readonly encoding: HttpEncoding | undefined
  /** `identity;q=0`: the threshold does not apply. */
  readonly identityRefused: boolean
}

/** Negotiates `Accept-Encoding` for a request (q-values; ties go to the policy's earlier coding). */
export function planCompression(policy: CompressionPolicy, request: CompressionRequest): CompressionPlan {
  const choice = negotiateEncoding(request.acceptEncoding, policy.encodings)
  const oldMsie = policy.conservativeMsieGzip && isOldMsie(request.userAgent)
  return { https: request.https, encoding: oldMsie ? undefined : choice.encoding, identityRefused: choice.identityRefused }
}

/** The response headers (as strings, `undefined` when absent) and status the decision looks at. */
export interface CompressionResponse {
  readonly method: string
  readonly status: number
  readonly contentType: string | undefined
  readonly contentEncoding: string | undefined
  readonly contentRange: string | undefined
  readonly cacheControl: string | undefined
  /** `Content-Length`, or the length of a body known in full; `undefined` for a stream of unknown length. */
  readonly contentLength: number | undefined
}

// The `compressible` database (all of mime-db) is loaded on the first response looked at, not on import: servers
// that only use the request-path helpers of this package never pay for it.
const requireLazily = createRequire(import.meta.url)
let compressibleType: typeof Compressible | undefined
const compressible = (type: string): boolean | undefined => (compressibleType ??= requireLazily('compressible') as typeof Compressible)(type)

const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i

/**
 * Whether the response may be compressed at all (before size and `Accept-Encoding` are looked at): it has a
 * transformable body (not 1xx, 204, 205, 206, 304 or a `Content-Range`), it is not HTTPS unless `allowedOnHttps()`
 * says so (called only on HTTPS; a throw counts as no), it does not say `Cache-Control: no-transform`, and its type
 * is compressible (the `compressible` database) and not `text/event-stream`. A response that is not eligible is left
 * exactly as it is, `Vary` included.
 */
export function isEligibleForCompression(plan: CompressionPlan, response: CompressionResponse, allowedOnHttps?: () => boolean): boolean {
  const { status } = response
  if (status < 200 || status === 204 || status === 205 || status === 206 || status === 304) return false
  if (response.contentRange !== undefined) return false
  if (plan.https && !askSafely(allowedOnHttps)) return false
  if (response.cacheControl !== undefined && NO_TRANSFORM.test(response.cacheControl)) return false
  const type = response.contentType
  if (type === undefined) return false
  const mediaType = (type.split(';')[0] ?? '').trim().toLowerCase()
  return mediaType !== 'text/event-stream' && compressible(type) === true
}

/** What to do with one response. */
export interface CompressionDecision {
  /** The coding to compress with, or `undefined` to send the body as it is. */
  readonly encoding: HttpEncoding | undefined
  /** The header names to add to `Vary` (`Accept-Encoding`, and `User-Agent` with `conservativeMsieGzip`): empty when not eligible. */
  readonly vary: readonly string[]
}

const LEAVE_ALONE: CompressionDecision = { encoding: undefined, vary: [] }

/**
 * The whole decision for one response, as `gzipHttpOnly` makes it: not eligible ({@link isEligibleForCompression})
 * → left alone; otherwise `Vary: Accept-Encoding`, and compressed with the plan's coding unless the body is below
 * the threshold, already encoded, or the method is HEAD. A compressed answer loses its `Content-Length` and has its
 * strong `ETag` weakened (`"x"` → `W/"x"`): the adapter does that when `encoding` is set.
 *
 * @example
 * const policy = resolveCompressionOptions({}, 'my-adapter')
 * const plan = planCompression(policy, { https: false, acceptEncoding: 'gzip, br', userAgent: undefined })
 * decideCompression(policy, plan, {
 *   method: 'GET', status: 200, contentType: 'text/html', contentEncoding: undefined,
 *   contentRange: undefined, cacheControl: undefined, contentLength: 5000,
 * }) // { encoding: 'br', vary: ['Accept-Encoding'] }
 */
export function decideCompression(
  policy: CompressionPolicy,
  plan: CompressionPlan,
  response: CompressionResponse,
  allowedOnHttps?: () => boolean,
): CompressionDecision {
  if (!isEligibleForCompression(plan, response, allowedOnHttps)) return LEAVE_ALONE
  const vary = policy.conservativeMsieGzip ? ['Accept-Encoding', 'User-Agent'] : ['Accept-Encoding']
  const threshold = plan.identityRefused ? 0 : policy.threshold
  const tooSmall = response.contentLength !== undefined && response.contentLength < threshold
  const encoded = response.contentEncoding !== undefined && response.contentEncoding.trim().toLowerCase() !== 'identity'
  if (tooSmall || encoded || response.method === 'HEAD' || plan.encoding === undefined) return { encoding: undefined, vary }
  return { encoding: plan.encoding, vary }
}

/** `"x"` → `W/"x"`: a compressed body is not byte-identical to the uncompressed one, so a strong validator would lie. */
export function weakenEtag(etag: string | undefined): string | undefined {
  if (etag === undefined || etag === '' || etag.startsWith('W/')) return etag
  return `W/${etag}`
}

function askSafely(allowed: (() => boolean) | undefined): boolean {
  if (allowed === undefined) return false
  try {
    return allowed() === true
  } catch {
    // Fail safe: a broken opt-in keeps the response uncompressed rather than breaking it.
    return false
  }
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'
    case 'function':
      return 'a function'
    case 'symbol':
      return value.toString()
    default:
      return String(value)
  }
}
