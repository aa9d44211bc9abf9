// `convoyResolver`: the runtime resolver of `createConvoy()` on every reply, bound to the request's headers.
import { ConvoyError } from '@convoy/errors'
import { bindConvoyToRequest, checkConvoyResolver, mergeVary, type CarpoolKind, type ConvoyLookupOptions, type ConvoyResolver, type RequestConvoy } from '@convoy/http'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { fastifyPlugin } from 'fastify-plugin'
import { BOUND_RESOLVER } from './marks.js'

const PACKAGE = '@convoy/fastify'

// The resolver's shapes are @convoy/http's, shared by every adapter.
export type { CarpoolKind, ConvoyLookupOptions, ConvoyResolver }

/** `reply.convoy`: the resolver's lookups with this request's `Accept-Encoding` and `User-Agent` already passed. */
export type ReplyConvoy = RequestConvoy

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
  checkConvoyResolver(convoy, PACKAGE, 'convoyResolver({ convoy })')
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
  const lookup: ConvoyLookupOptions = { acceptEncoding: text(headers['accept-encoding']), userAgent: headers['user-agent'] }
  return bindConvoyToRequest(convoy, lookup, () => {
    reply.header('Vary', mergeVary(reply.getHeader('vary'), 'Accept-Encoding'))
  })
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
