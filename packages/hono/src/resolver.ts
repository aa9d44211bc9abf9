import { mergeVary } from '@convoy/http'
import type { MiddlewareHandler } from 'hono'

/** Per-request options of the resolver's `url()` and `carpool()` (those of `@convoy/core`). */
export interface ConvoyResolverUrlOptions {
  readonly acceptEncoding?: string | undefined
  readonly userAgent?: string | undefined
}

/**
 * What {@link convoy} needs of a resolver: the `Convoy` that `createConvoy()` of `@convoy/core` returns fits as it
 * is (only these three methods are used).
 */
export interface ConvoyResolver {
  url(logicalPath: string, options?: ConvoyResolverUrlOptions): string
  integrity(logicalPath: string): string
  carpool(kind: 'css' | 'js', logicalPaths: readonly string[], options?: ConvoyResolverUrlOptions): string
}

/** The resolver bound to one request (`c.var.convoy`): the request's `Accept-Encoding` and `User-Agent` are passed for you. */
export interface RequestConvoy {
  /** The URL of a logical path (`/static/css/base.25b23dfca187.cmin.css`). @throws ConvoyError `ERR_CONVOY_MISSING_ASSET` */
  url(logicalPath: string): string
  /** The SRI integrity (`sha384-…`) of the served file. @throws ConvoyError `ERR_CONVOY_MISSING_ASSET` */
  integrity(logicalPath: string): string
  /** The HTML of a carpool: one tag for the bundle once it exists, one per member meanwhile. */
  carpool(kind: 'css' | 'js', logicalPaths: readonly string[]): string
}

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
  if (typeof resolver !== 'object' || resolver === null || typeof resolver.url !== 'function' || typeof resolver.carpool !== 'function') {
    throw new TypeError('@convoy/hono: convoy() takes the resolver createConvoy() returns')
  }
  return async function convoyResolver(c, next) {
    const acceptEncoding = c.req.header('accept-encoding')
    const options: ConvoyResolverUrlOptions = { acceptEncoding, userAgent: c.req.header('user-agent') }
    // Whether a lookup gave another answer than it would have without the request's headers (a `.gz` link).
    let varies = false
    const differs = (found: string, plain: () => string): void => {
      if (!varies && acceptEncoding !== undefined && found !== plain()) varies = true
    }
    c.set('convoy', {
      url(logicalPath) {
        const found = resolver.url(logicalPath, options)
        differs(found, () => resolver.url(logicalPath))
        return found
      },
      carpool(kind, logicalPaths) {
        const found = resolver.carpool(kind, logicalPaths, options)
        differs(found, () => resolver.carpool(kind, logicalPaths))
        return found
      },
      integrity: (logicalPath) => resolver.integrity(logicalPath),
    })
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
