// `convoyStatic`: @convoy/serve's answers (createStaticFiles) translated into Fastify replies.
import type { Readable } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { mergeVary, normalizePrefix } from '@convoy/http'
import { createStaticFiles, STATUS_TEXT, type FileAnswer, type StaticAnswer, type StaticFilesOptions } from '@convoy/serve'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { fastifyPlugin } from 'fastify-plugin'
import { SERVED_BY_CONVOY_STATIC } from './marks.js'

const PACKAGE = '@convoy/fastify'
const DEFAULT_PREFIX = '/static/'

/**
 * Options of {@link convoyStatic}: what to serve (exactly one of `root`, `storage` or `sources`) and how, as
 * `createStaticFiles()` of `@convoy/serve` takes them, plus the Fastify side.
 */
export type ConvoyStaticOptions = StaticFilesOptions & {
  /**
   * URL path prefix of the files, e.g. `'/static/'` (a missing final `/` is added). Inside a plugin registered with
   * Fastify's own `prefix`, it is added to that one: `register(scope => scope.register(convoyStatic, { prefix:
   * '/static/' }), { prefix: '/v1' })` serves `/v1/static/…`. Default `'/static/'`, the default `baseUrl` of
   * `createConvoy()`.
   */
  readonly prefix?: string
  /**
   * When true, a path under the prefix that names no file (404) or is malformed (400) is handed to Fastify's
   * not-found handler (`setNotFoundHandler`), as any unknown URL is; when false, the plugin answers 404 or 400
   * itself, in plain text. Default `true`.
   */
  readonly fallthrough?: boolean
  /**
   * Called before a 200, 206 or 304 is sent, with the storage path of the file
   * (`css/base.25b23dfca187.cmin.css`) and the reply, whose headers are already set: set or change headers here.
   * If it throws, none of the file's headers are sent and the error goes to Fastify's error handler.
   */
  readonly headers?: (path: string, reply: FastifyReply) => void
}

/**
 * Serves the output of `convoy collect` under a URL prefix: precompressed `.br`/`.gz` siblings chosen by
 * `Accept-Encoding` (q-values), a year of `immutable` caching for fingerprinted names, `ETag`/`Last-Modified` with
 * 304, `Range` with 206, `405` for other methods than GET and HEAD. Every decision is `@convoy/serve`'s
 * `createStaticFiles()`, made from an index built once at start: nothing outside the index (`..`, encoded or not,
 * symlinks out of the root, dotfiles) can ever be served, and no `stat` runs per request.
 *
 * One route, `<prefix>*` for every method, answered in its own `onRequest` hook: the app's `onRequest` hooks run
 * first (CORS, helmet, rate limits), then the file is sent without body parsing, validation or `preHandler` hooks.
 * A file in memory is answered synchronously. `app.ready()` rejects when the root or manifest cannot be read; the
 * manifest watch (`watch`, on by default with `root`) stops when the app closes.
 *
 * @example
 * import Fastify from 'fastify'
 * import { convoyStatic } from '@convoy/fastify'
 *
 * const app = Fastify()
 * await app.register(convoyStatic, { root: 'public/static', prefix: '/static/' })
 * await app.listen({ port: 3000 })
 */
export const convoyStatic: FastifyPluginAsync<ConvoyStaticOptions> = fastifyPlugin(convoyStaticPlugin, {
  fastify: '5.x',
  name: '@convoy/fastify/static',
})

async function convoyStaticPlugin(app: FastifyInstance, options: ConvoyStaticOptions): Promise<void> {
  const { fallthrough: fallthroughOption, headers: hook, prefix: prefixOption, ...fileOptions } = options
  if (fallthroughOption !== undefined && typeof fallthroughOption !== 'boolean') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: fallthrough must be a boolean, got ${typeof fallthroughOption}`)
  }
  if (hook !== undefined && typeof hook !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: headers must be a function (path, reply) => void, got ${typeof hook}`)
  }
  const fallthrough = fallthroughOption ?? true
  const ownPrefix = normalizePrefix(prefixOption ?? DEFAULT_PREFIX, PACKAGE)
  // Fastify adds the route prefix of the plugin's context to the route; the core compares the whole raw URL.
  const files = createStaticFiles({ ...fileOptions, prefix: `${app.prefix.replace(/\/+$/, '')}${ownPrefix}` }, { packageName: PACKAGE })

  app.addHook('onClose', (_instance, done) => {
    files.close()
    done()
  })
  try {
    await files.ready
  } catch (error) {
    files.close()
    throw error
  }

  if (!app.hasReplyDecorator(SERVED_BY_CONVOY_STATIC)) app.decorateReply(SERVED_BY_CONVOY_STATIC, false)
  // The headers of files sent as streams: one that fails before its first bytes are out is answered by Fastify's
  // error handler, which must not inherit the file's caching, validators or Content-Encoding.
  const streaming = new WeakMap<FastifyReply, readonly string[]>()

  const deliver = (reply: FastifyReply, answer: StaticAnswer): void => {
    switch (answer.kind) {
      case 'not-ours':
        // Under our route but not under our prefix, as the raw URL says (a case-insensitive router, `//static/`…).
        reply.callNotFound()
        return
      case 'miss':
        if (fallthrough) {
          reply.callNotFound()
          return
        }
        mark(reply)
        void reply.code(answer.status).type('text/plain; charset=utf-8').send(STATUS_TEXT[answer.status])
        return
      case 'reply':
        mark(reply)
        setHeaders(reply, answer.headers)
        void reply.code(answer.status).send(answer.text)
        return
      case 'file':
        sendFile(reply, answer)
    }
  }

  const sendFile = (reply: FastifyReply, answer: FileAnswer): void => {
    const { body } = answer
    mark(reply)
    setHeaders(reply, answer.headers)
    if (hook !== undefined) {
      try {
        hook(answer.path, reply)
      } catch (error) {
        // Whoever answers the error must not inherit this file's Content-Length, ETag or caching (a merged Vary may
        // stay: it is true of any answer at this URL).
        for (let i = 0; i < answer.headers.length; i += 2) if (answer.headers[i] !== 'Vary') reply.removeHeader(answer.headers[i] as string)
        if (isStream(body)) body.destroy()
        reply[SERVED_BY_CONVOY_STATIC] = false
        throw error
      }
    }
    reply.code(answer.status)
    if (body === undefined) void reply.send()
    else if (isStream(body)) {
      streaming.set(reply, answer.headers)
      void reply.send(body)
    }
    else void reply.send(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength))
  }

  const answerRequest = (request: FastifyRequest, reply: FastifyReply): void => {
    const headers = request.raw.headers
    try {
      const answer = files.answer({ method: request.method, url: request.raw.url ?? '/', header: (name) => headerText(headers[name]) })
      if (answer instanceof Promise) {
        answer.then(
          (settled) => {
            try {
              deliver(reply, settled)
            } catch (error) {
              void reply.send(error)
            }
          },
          (error: unknown) => {
            void reply.send(error)
          },
        )
      } else deliver(reply, answer)
    } catch (error) {
      void reply.send(error)
    }
  }

  app.route({
    method: app.supportedMethods,
    url: `${ownPrefix}*`,
    // Answered before body parsing (a POST with a body gets its 405, not a 415), validation and preHandler hooks.
    onRequest: (request: FastifyRequest, reply: FastifyReply, _done: HookHandlerDoneFunction) => answerRequest(request, reply),
    // Never reached (the hook above always answers), but a route needs one.
    handler: answerRequest,
    onError: (_request: FastifyRequest, reply: FastifyReply, _error: Error, done: () => void) => {
      const headers = streaming.get(reply)
      if (headers !== undefined) {
        streaming.delete(reply)
        reply[SERVED_BY_CONVOY_STATIC] = false
        for (let i = 0; i < headers.length; i += 2) {
          const name = headers[i] as string
          if (name === 'Vary') continue
          reply.removeHeader(name)
          if (!reply.raw.headersSent) reply.raw.removeHeader(name)
        }
      }
      done()
    },
  })
}

function mark(reply: FastifyReply): void {
  reply[SERVED_BY_CONVOY_STATIC] = true
}

/** Sets the core's flat header list on the reply, merging `Vary` with one set earlier (a CORS hook's `Origin`). */
function setHeaders(reply: FastifyReply, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    const value = headers[i + 1] as string
    reply.header(name, name === 'Vary' ? mergeVary(reply.getHeader('vary'), value) : value)
  }
}

/** A request header as one string (Node gives `set-cookie` as an array; none the core reads is one). */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

function isStream(body: FileAnswer['body']): body is Readable {
  return body !== undefined && !(body instanceof Uint8Array)
}
