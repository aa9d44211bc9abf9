import { bindConvoyToRequest, checkConvoyResolver, mergeVary, type ConvoyLookupOptions, type ConvoyResolver, type RequestConvoy } from '@convoy/http'
import type { MiddlewareHandler } from 'hono'

/** Per-request options of the resolver's `url()` and `carpool()` (`@convoy/http`'s `ConvoyLookupOptions`). */
export type ConvoyResolverUrlOptions = ConvoyLookupOptions

export type { ConvoyResolver, RequestConvoy }

declare module 'hono' {
  interface ContextVariableMap {
    /** The Convoy resolver bound to this request, set by `convoy()` of `@convoy/hono`. */
    convoy: RequestConvoy
  }
}

/**
 * Puts the resolver, bound to the request, in `c.var.convoy` for handlers, templates and hono/jsx components
 * (`<ConvoyCss>`, `<ConvoyJs>` and `useConvoy()` of `@convoy/hono/jsx`). The request's `Accept-Encoding` and
 * `User-Agent` go to every lookup, so with `createConvoy({ gzipInTemplate: true })` a page links `.gz` files for
 * clients that accept gzip; a response whose links depended on `Accept-Encoding` that way gets
 * `Vary: Accept-Encoding` (for a page rendered before the handler returns; a streamed render must add it itself).
 *
 * @example
 * import { Hono } from 'hono'
 * import { createConvoy } from '@convoy/core'
 * import { convoy } from '@convoy/hono'
 *
 * const assets = await createConvoy({ manifest: 'dist/static/convoy-manifest.json' })
 * const app = new Hono()
 * app.use(convoy(assets))
 * app.get('/', (c) => c.html(`<link rel="stylesheet" href="${c.var.convoy.url('css/base.css')}">`))
 */
export function convoy(resolver: ConvoyResolver): MiddlewareHandler<{ Variables: { convoy: RequestConvoy } }> {
  checkConvoyResolver(resolver, '@convoy/hono', 'convoy()')
  return async function convoyResolver(c, next) {
    // Whether a lookup gave another answer than it would have without the request's headers (a `.gz` link).
    let varies = false
    const request: ConvoyLookupOptions = { acceptEncoding: c.req.header('accept-encoding'), userAgent: c.req.header('user-agent') }
    c.set('convoy', bindConvoyToRequest(resolver, request, () => (varies = true)))
    await next()
    if (!varies) return
    try {
      c.res.headers.set('Vary', mergeVary(c.res.headers.get('vary'), 'Accept-Encoding'))
    } catch {
      // Immutable headers: through Hono, which copies the response.
      c.header('Vary', mergeVary(c.res.headers.get('vary'), 'Accept-Encoding'))
    }
  }
}
