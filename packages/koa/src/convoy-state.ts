import { ConvoyError } from '@convoy/errors'
import { bindConvoyToRequest, checkConvoyResolver, mergeVary, type ConvoyLookupOptions, type ConvoyResolver, type RequestConvoy } from '@convoy/http'
import type { DefaultContext, DefaultState, Next, ParameterizedContext } from 'koa'
import { headerOf } from './request.js'

const PACKAGE = '@convoy/koa'

/** What a request may tell the resolver (`@convoy/http`'s `ConvoyLookupOptions`). */
export type ConvoyRequestOptions = ConvoyLookupOptions

/** `ctx.state.convoy`: the resolver bound to one request (`@convoy/http`'s `RequestConvoy`). */
export type ConvoyState = RequestConvoy

/** Options of {@link convoyState}. */
export interface ConvoyStateOptions {
  /**
   * Add `Accept-Encoding` to the response's `Vary` once a link of the page depended on it: with `gzipInTemplate`,
   * the HTML links `.gz` files only for clients that accept gzip, and a shared cache must not hand it to one that
   * does not. `false` leaves `Vary` to you. With `conservativeMsieGzip`, also vary on `User-Agent` yourself
   * (`ctx.vary('User-Agent')`).
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
export type { ConvoyResolver }

export function convoyState<StateT = DefaultState, ContextT = DefaultContext>(
  convoy: ConvoyResolver,
  options: ConvoyStateOptions = {},
): (ctx: ParameterizedContext<StateT, ContextT>, next: Next) => Promise<void> {
  checkConvoyResolver(convoy, PACKAGE, 'convoyState()')
  if (typeof options !== 'object' || options === null) throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: convoyState() options must be an object`)
  if (options.vary !== undefined && typeof options.vary !== 'boolean') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: vary must be a boolean, got ${typeof options.vary}`)
  }
  const vary = options.vary ?? true

  return function convoyState(ctx, next) {
    const { req, res } = ctx
    const request: ConvoyRequestOptions = { acceptEncoding: headerOf(req, 'accept-encoding'), userAgent: headerOf(req, 'user-agent') }
    const onVary = vary
      ? () => {
          if (!res.headersSent) res.setHeader('Vary', mergeVary(res.getHeader('vary'), 'Accept-Encoding'))
        }
      : undefined
    ;(ctx.state as { convoy: ConvoyState }).convoy = bindConvoyToRequest(convoy, request, onVary)
    return next()
  }
}
