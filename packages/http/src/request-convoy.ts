// The runtime resolver bound to one request, once for every framework adapter: templates call `url()` and
// `carpool()` without passing headers, and the response learns when its HTML came to depend on them.
import { ConvoyError } from '@convoy/errors'

/** What a request may tell the resolver: the headers `gzipInTemplate` and `conservativeMsieGzip` read. */
export interface ConvoyLookupOptions {
  readonly acceptEncoding?: string | undefined
  readonly userAgent?: string | undefined
}

export type CarpoolKind = 'css' | 'js'

/**
 * The part of the runtime resolver the adapters use: what `await createConvoy(…)` of `@convoy/core` returns has it
 * (declared here by shape, so serving and compression users need not install core).
 */
export interface ConvoyResolver {
  url(logicalPath: string, options?: ConvoyLookupOptions): string
  integrity(logicalPath: string): string
  carpool(kind: CarpoolKind, logicalPaths: readonly string[], options?: ConvoyLookupOptions): string
}

/** The resolver bound to one request. Its functions need no `this` (`const { url } = reply.convoy` works). */
export interface RequestConvoy {
  /**
   * The URL of a logical path (`'css/base.css'` → `'/static/css/base.25b23dfca187.cmin.css'`), or of its `.gz`
   * sibling with `gzipInTemplate` when this request accepts gzip.
   * @throws ConvoyError `ERR_CONVOY_MISSING_ASSET` when the manifest does not know the path.
   */
  readonly url: (logicalPath: string) => string
  /**
   * The SRI integrity (`sha384-…`) of the served file.
   * @throws ConvoyError `ERR_CONVOY_MISSING_ASSET` when the manifest does not know the path.
   */
  readonly integrity: (logicalPath: string) => string
  /**
   * The HTML of a carpool bundle for this request: the bundle's tag, or one tag per member while it is built.
   * @throws ConvoyError `ERR_CONVOY_MISSING_ASSET` for a member the manifest does not know.
   */
  readonly carpool: (kind: CarpoolKind, logicalPaths: readonly string[]) => string
  /** The request's `Accept-Encoding`, for templates that pass it on (the Nunjucks tags read `acceptEncoding`). */
  readonly acceptEncoding: string | undefined
}

/**
 * Binds `resolver` to one request's headers. `onVary` is called once, the first time an answer differs from the
 * answer for a request without those headers (with `gzipInTemplate`, a `.gz` link): the response must then say
 * `Vary: Accept-Encoding`, so that a shared cache does not hand that HTML to a client that cannot decode gzip. Pages
 * whose links do not depend on the headers get no `Vary` from it.
 *
 * @example
 * const bound = bindConvoyToRequest(convoy, { acceptEncoding: req.headers['accept-encoding'] }, () => {
 *   res.setHeader('Vary', mergeVary(res.getHeader('vary'), 'Accept-Encoding'))
 * })
 * bound.url('css/base.css')
 */
export function bindConvoyToRequest(resolver: ConvoyResolver, request: ConvoyLookupOptions, onVary?: () => void): RequestConvoy {
  // Without the header the answers are those of a request without it: nothing to vary on.
  let varied = onVary === undefined || request.acceptEncoding === undefined
  const watched = (answer: string, plain: () => string): string => {
    if (!varied && answer !== plain()) {
      varied = true
      onVary?.()
    }
    return answer
  }
  return {
    acceptEncoding: request.acceptEncoding,
    url: (logicalPath) => watched(resolver.url(logicalPath, request), () => resolver.url(logicalPath)),
    carpool: (kind, logicalPaths) => watched(resolver.carpool(kind, logicalPaths, request), () => resolver.carpool(kind, logicalPaths)),
    integrity: (logicalPath) => resolver.integrity(logicalPath),
  }
}

/**
 * Checks that `value` is the resolver of `createConvoy()`, with a message that names what is wrong: the promise of
 * `createConvoy()` not awaited, or a missing function.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG`, prefixed with `packageName` and naming `call` (`'convoyState()'`).
 */
export function checkConvoyResolver(value: unknown, packageName: string, call: string): asserts value is ConvoyResolver {
  const candidate = value as Partial<Record<keyof ConvoyResolver | 'then', unknown>> | null | undefined
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.then === 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: ${call} got a promise; pass the resolver itself, from await createConvoy({ … })`)
  }
  const missing = (['url', 'integrity', 'carpool'] as const).filter((name) => typeof candidate?.[name] !== 'function')
  if (missing.length > 0) {
    const got = candidate === null || typeof candidate !== 'object' ? `got ${candidate === null ? 'null' : typeof candidate}` : `it has no ${missing.join(', ')}`
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: ${call} takes the resolver of createConvoy() (@convoy/core); ${got}`)
  }
}
