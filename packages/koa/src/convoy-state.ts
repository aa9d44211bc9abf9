import { ConvoyError } from '@convoy/errors'
import { mergeVary } from '@convoy/http'
import type { DefaultContext, DefaultState, Next, ParameterizedContext } from 'koa'
import { headerOf } from './request.js'

const PACKAGE = '@convoy/koa'

/** What a request may tell the resolver: the headers `gzipInTemplate` and `conservativeMsieGzip` read. */
export interface ConvoyRequestOptions {
  readonly acceptEncoding?: string | undefined
  readonly userAgent?: string | undefined
}

/**
 * The part of the resolver `convoyState` uses: what `await createConvoy(…)` of `@convoy/core` returns has it (a
 * stand-in for tests needs nothing more).
 */
export interface ConvoyResolver {
  url(logicalPath: string, options?: ConvoyRequestOptions): string
  integrity(logicalPath: string): string
  carpool(kind: 'css' | 'js', logicalPaths: readonly string[], options?: ConvoyRequestOptions): string
}

/**
 * `ctx.state.convoy`: the resolver bound to one request, so templates call it without passing headers.
 * Its functions need no `this` (`const { url } = ctx.state.convoy` works).
 */
export interface ConvoyState {
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
  readonly carpool: (kind: 'css' | 'js', logicalPaths: readonly string[]) => string
}

/** Options of {@link convoyState}. */
export interface ConvoyStateOptions {
  /**
   * Add `Accept-Encoding` to the response's `Vary` once the page has asked for a URL or a carpool: with
   * `gzipInTemplate`, the HTML links `.gz` files only for clients that accept gzip, and a shared cache must not hand
   * it to one that does not. Turn it off when `gzipInTemplate` is off and the extra `Vary` is unwanted. With
   * `conservativeMsieGzip`, also vary on `User-Agent` yourself (`ctx.vary('User-Agent')`).
   * @default true
   */
  readonly vary?: boolean
}

declare module 'koa' {
  interface DefaultState {
    /** The Convoy resolver bound to this request, set by `convoyState()` of `@convoy/koa`. */
    convoy: ConvoyState
  }
}

/**
 * Puts the Convoy resolver on `ctx.state.convoy` for every request, bound to the request's `Accept-Encoding` (and
 * `User-Agent`), so templates link the right files without passing headers around: `koa-views` and most render
 * helpers hand `ctx.state` to the template as its locals, and hand-rendered templates read it from `ctx.state`.
 * With `@types/koa`, `ctx.state.convoy` is typed as {@link ConvoyState}.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` when `convoy` is not a resolver (e.g. the promise of `createConvoy()`,
 * not awaited).
 *
 * @example
 * import Koa from 'koa'
 * import { createConvoy } from '@convoy/core'
 * import { convoyState } from '@convoy/koa'
 *
 * const convoy = await createConvoy({ manifest: 'public/static/convoy-manifest.json', baseUrl: '/static/' })
 * const app = new Koa()
 * app.use(convoyState(convoy))
 * app.use((ctx) => {
 *   ctx.body = `<link rel="stylesheet" href="${ctx.state.convoy.url('css/base.css')}">`
 * })
 */
export function convoyState<StateT = DefaultState, ContextT = DefaultContext>(
  convoy: ConvoyResolver,
  options: ConvoyStateOptions = {},
): (ctx: ParameterizedContext<StateT, ContextT>, next: Next) => Promise<void> {
  checkResolver(convoy)
  if (typeof options !== 'object' || options === null) throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: convoyState() options must be an object`)
  if (options.vary !== undefined && typeof options.vary !== 'boolean') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: vary must be a boolean, got ${typeof options.vary}`)
  }
  const vary = options.vary ?? true

  return function convoyState(ctx, next) {
    const { req, res } = ctx
    const request: ConvoyRequestOptions = { acceptEncoding: headerOf(req, 'accept-encoding'), userAgent: headerOf(req, 'user-agent') }
    let varied = !vary
    const negotiated = (): ConvoyRequestOptions => {
      if (!varied) {
        varied = true
        if (!res.headersSent) res.setHeader('Vary', mergeVary(res.getHeader('vary'), 'Accept-Encoding'))
      }
      return request
    }
    const state: ConvoyState = {
      url: (logicalPath) => convoy.url(logicalPath, negotiated()),
      integrity: (logicalPath) => convoy.integrity(logicalPath),
      carpool: (kind, logicalPaths) => convoy.carpool(kind, logicalPaths, negotiated()),
    }
    ;(ctx.state as { convoy: ConvoyState }).convoy = state
    return next()
  }
}

function checkResolver(convoy: unknown): asserts convoy is ConvoyResolver {
  const candidate = convoy as Partial<Record<keyof ConvoyResolver | 'then', unknown>> | null | undefined
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.then === 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: convoyState() got a promise; pass the resolver itself: convoyState(await createConvoy({ … }))`)
  }
  const missing = (['url', 'integrity', 'carpool'] as const).filter((name) => typeof candidate?.[name] !== 'function')
  if (missing.length > 0) {
    throw new ConvoyError(
      'ERR_CONVOY_CONFIG',
      `${PACKAGE}: convoyState() takes the resolver of createConvoy() (@convoy/core); ${candidate === null || typeof candidate !== 'object' ? `got ${candidate === null ? 'null' : typeof candidate}` : `it has no ${missing.join(', ')}`}`,
    )
  }
}
