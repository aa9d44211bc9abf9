// `convoyResolver`: the runtime resolver of `createConvoy()` on every reply, bound to the request's headers.
import { ConvoyError } from '@convoy/errors'
import { mergeVary } from '@convoy/http'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { fastifyPlugin } from 'fastify-plugin'
import { BOUND_RESOLVER } from './marks.js'

const PACKAGE = '@convoy/fastify'

/** The two kinds of carpool bundle. */
export type CarpoolKind = 'css' | 'js'

/** Per-request options the runtime's lookups take (`ConvoyUrlOptions` of `@convoy/core`). */
export interface ConvoyLookupOptions {
  readonly acceptEncoding?: string | undefined
  readonly userAgent?: string | undefined
}

/**
 * What the plugin needs of Convoy's runtime: any object returned by `createConvoy()` from `@convoy/core`. Declared
 * here, structurally, so this package does not depend on the runtime.
 */
export interface ConvoyResolver {
  url(logicalPath: string, options?: ConvoyLookupOptions): string
  carpool(kind: CarpoolKind, logicalPaths: readonly string[], options?: ConvoyLookupOptions): string
  integrity(logicalPath: string): string
}

/** `reply.convoy`: the resolver's lookups with this request's `Accept-Encoding` and `User-Agent` already passed. */
export interface ReplyConvoy {
  /**
   * The served URL of a logical path (`'/static/css/site.25b23dfca187.cmin.css'`); its `.gz` sibling with
   * `createConvoy({ gzipInTemplate: true })` when the request accepts gzip.
   * @throws ConvoyError `ERR_CONVOY_MISSING_ASSET` for a path the manifest does not know.
   */
  url(logicalPath: string): string
  /** The HTML of a carpool bundle (or of its members' tags while the bundle is built), already escaped. */
  carpool(kind: CarpoolKind, logicalPaths: readonly string[]): string
  /** The SRI integrity (`sha384-…`) of the served file. */
  integrity(logicalPath: string): string
  /** The request's `Accept-Encoding`, as the `{% convoy %}` tags of `@convoy/nunjucks` read it from the context. */
  readonly acceptEncoding: string | undefined
}

/** Options of {@link convoyResolver}. */
export interface ConvoyResolverOptions {
  /** The runtime resolver: `await createConvoy({ manifest })` from `@convoy/core`. Required. */
  readonly convoy: ConvoyResolver
  /**
   * When `reply.locals` exists (it does once `@fastify/view` is registered), set `reply.locals.convoy` (this
   * reply's {@link ReplyConvoy}) and `reply.locals.acceptEncoding` in a `preHandler` hook, so every template
   * `reply.view()` renders has both without passing them: `{{ convoy.url('css/site.css') }}` in any engine, and the
   * `{% convoy %}` / `{% carpool %}` tags of `@convoy/nunjucks`. A value the handler passes to `reply.view()` wins.
   * Default `true`.
   */
  readonly viewLocals?: boolean
}

/**
 * Decorates every reply with `reply.convoy`: `url()`, `carpool()` and `integrity()` of a `createConvoy()` runtime,
 * bound to the request's `Accept-Encoding` (so `gzipInTemplate` links `.gz` files only for clients that take them)
 * and `User-Agent`. A lookup whose answer depends on `Accept-Encoding` adds it to the reply's `Vary`, as such a page
 * must send. Made on first use, so replies that never read it cost nothing.
 *
 * With `@fastify/view` registered, templates get `convoy` and `acceptEncoding` from `reply.locals` (see
 * `viewLocals`).
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` at registration when `convoy` is not a Convoy runtime.
 * @example
 * import Fastify from 'fastify'
 * import { createConvoy } from '@convoy/core'
 * import { convoyResolver } from '@convoy/fastify'
 *
 * const app = Fastify()
 * await app.register(convoyResolver, { convoy: await createConvoy({ manifest: 'public/static' }) })
 * app.get('/', (_request, reply) => reply.type('text/html').send(`<link rel="stylesheet" href="${reply.convoy.url('css/site.css')}">`))
 */
export const convoyResolver: FastifyPluginAsync<ConvoyResolverOptions> = fastifyPlugin(convoyResolverPlugin, {
  fastify: '5.x',
  name: '@convoy/fastify/resolver',
})

// eslint-disable-next-line @typescript-eslint/require-await -- Fastify wants a plugin that is async or takes `done`.
async function convoyResolverPlugin(app: FastifyInstance, options: ConvoyResolverOptions): Promise<void> {
  const { convoy, viewLocals = true } = (options ?? {}) as Partial<ConvoyResolverOptions>
  if (!isResolver(convoy)) {
    throw new ConvoyError(
      'ERR_CONVOY_CONFIG',
      `${PACKAGE}: convoyResolver needs { convoy }, the object returned by createConvoy() from @convoy/core (with url(), carpool() and integrity()), got ${describe(convoy)}`,
    )
  }
  if (typeof viewLocals !== 'boolean') throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: viewLocals must be a boolean, got ${describe(viewLocals)}`)

  app.decorateReply(BOUND_RESOLVER, null)
  app.decorateReply('convoy', {
    getter(this: FastifyReply): ReplyConvoy {
      return (this[BOUND_RESOLVER] ??= bindResolver(convoy, this))
    },
  })

  if (viewLocals) {
    app.addHook('preHandler', (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const { locals } = reply as { locals?: unknown }
      if (typeof locals === 'object' && locals !== null) {
        const bound = reply.convoy
        Object.assign(locals, { convoy: bound, acceptEncoding: bound.acceptEncoding })
      }
      done()
    })
  }
}

/** This reply's lookups. `Vary: Accept-Encoding` is added once, by the first answer that would differ without it. */
function bindResolver(convoy: ConvoyResolver, reply: FastifyReply): ReplyConvoy {
  const headers = reply.request.raw.headers
  const acceptEncoding = text(headers['accept-encoding'])
  const lookup: ConvoyLookupOptions = { acceptEncoding, userAgent: headers['user-agent'] }
  // Without the header the answers are those of a request without it: nothing to vary on.
  let varied = acceptEncoding === undefined
  const varying = (answer: string, plain: () => string): string => {
    if (!varied && answer !== plain()) {
      varied = true
      reply.header('Vary', mergeVary(reply.getHeader('vary'), 'Accept-Encoding'))
    }
    return answer
  }
  return {
    acceptEncoding,
    url: (logicalPath) => varying(convoy.url(logicalPath, lookup), () => convoy.url(logicalPath)),
    carpool: (kind, logicalPaths) => varying(convoy.carpool(kind, logicalPaths, lookup), () => convoy.carpool(kind, logicalPaths)),
    integrity: (logicalPath) => convoy.integrity(logicalPath),
  }
}

function isResolver(value: unknown): value is ConvoyResolver {
  const candidate = value as Partial<ConvoyResolver> | null | undefined
  return typeof candidate?.url === 'function' && typeof candidate.carpool === 'function' && typeof candidate.integrity === 'function'
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value)
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object'
  return `a ${typeof value}`
}

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Convoy's resolver bound to this request (`convoyResolver` of `@convoy/fastify`): `url()`, `carpool()`,
     * `integrity()`.
     */
    readonly convoy: ReplyConvoy
    [BOUND_RESOLVER]: ReplyConvoy | null
  }
}
