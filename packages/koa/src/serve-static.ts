import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { mergeVary } from '@convoy/http'
import { createStaticFiles, STATUS_TEXT, type FileAnswer, type StaticAnswer, type StaticFilesOptions, type StaticFilesSource } from '@convoy/serve'
import type { DefaultContext, DefaultState, Next, ParameterizedContext } from 'koa'
import { cutOnError, headerOf } from './request.js'

const PACKAGE = '@convoy/koa'

/**
 * What to serve: exactly one of the directory `convoy collect` wrote, a `Storage` it wrote to, or (in development)
 * the source directories themselves.
 */
export type ServeStaticSource = StaticFilesSource

/** Options of {@link serveStatic}: those of `@convoy/serve`'s `createStaticFiles`, and how to behave in a Koa app. */
export type ServeStaticOptions<StateT = DefaultState, ContextT = DefaultContext> = StaticFilesOptions & {
  /**
   * URL path prefix under which the files are served, stripped before lookup; requests outside it go to `next()`.
   * Default `'/'`: the whole URL is the path (right under `koa-mount`, which strips its own prefix). In a plain Koa
   * app, pass the public prefix, e.g. `'/static/'`.
   */
  readonly prefix?: string
  /**
   * When true, unknown paths and malformed URLs under the prefix go to `next()`, so later middleware (or Koa's own
   * 404) answers; when false, the middleware answers `404 Not Found` and `400 Bad Request` itself. Default `true`.
   */
  readonly fallthrough?: boolean
  /**
   * Called for every 200, 206 and 304 with the storage path of the resource (`css/base.25b23dfca187.cmin.css`) and
   * the context, whose response already holds our headers: set or change headers here (`ctx.set(…)`). A hook that
   * throws sends none of our headers and goes to Koa's error handling.
   */
  readonly headers?: (path: string, ctx: ParameterizedContext<StateT, ContextT>) => void
}

/** A Koa middleware serving collected files, with the life cycle of its index. */
export interface ServeStaticMiddleware<StateT = DefaultState, ContextT = DefaultContext> {
  (ctx: ParameterizedContext<StateT, ContextT>, next: Next): Promise<void> | void
  /**
   * Settles when the first index is built; rejects with a `ConvoyError` when it cannot be (bad root or manifest).
   * With `sources`: when every source directory has been found.
   */
  readonly ready: Promise<void>
  /**
   * Rebuilds the index from the manifest and files as they are now (e.g. after a new `convoy collect`), then swaps
   * it in at once. Requests are served from the previous index meanwhile; on failure the previous index stays.
   * With `sources`: checks the source directories again (files are read afresh on every request anyway).
   */
  readonly reload: () => Promise<void>
  /** Stops watching the manifest (`watch`); requests are still answered, from the index as it is. */
  readonly close: () => void
}

const EMPTY = Buffer.alloc(0)

/**
 * Serves the output of `convoy collect` in a Koa app, from a directory or a `Storage`: precompressed `.br`/`.gz`
 * siblings chosen by `Accept-Encoding`, a year of `immutable` caching for fingerprinted names the manifest knows,
 * validators (304) and ranges (206), `GET`/`HEAD` only, nothing outside the index ever served. Every decision is
 * `@convoy/serve`'s (`createStaticFiles`); this middleware only puts its answer on `ctx`: the status, exactly its
 * headers (a `Vary` set earlier is extended, never replaced) and the body (a `Buffer`, or a stream Koa pipes).
 * An answer held in memory is given synchronously: no promise, no extra tick.
 *
 * Anything it does not serve goes to `next()`: URLs outside `prefix`, and (with `fallthrough`, the default)
 * unknown or malformed paths under it.
 *
 * @example
 * import Koa from 'koa'
 * import { serveStatic } from '@convoy/koa'
 *
 * const assets = serveStatic({ root: 'public/static', prefix: '/static/' })
 * await assets.ready // fail at start (missing root, broken manifest), not at the first request
 *
 * const app = new Koa()
 * app.use(assets)
 */
export function serveStatic<StateT = DefaultState, ContextT = DefaultContext>(
  options: ServeStaticOptions<StateT, ContextT>,
): ServeStaticMiddleware<StateT, ContextT> {
  if (typeof options !== 'object' || options === null) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: serveStatic() takes an options object ({ root }, { storage } or { sources })`)
  }
  const { fallthrough: fallthroughOption, headers: hook, ...fileOptions } = options
  if (fallthroughOption !== undefined && typeof fallthroughOption !== 'boolean') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: fallthrough must be a boolean, got ${typeof fallthroughOption}`)
  }
  if (hook !== undefined && typeof hook !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${PACKAGE}: headers must be a function (path, ctx) => void, got ${typeof hook}`)
  }
  const files = createStaticFiles(fileOptions, { packageName: PACKAGE })
  const fallthrough = fallthroughOption ?? true
  type Context = ParameterizedContext<StateT, ContextT>

  const deliver = (ctx: Context, next: Next, answer: StaticAnswer): Promise<void> | void => {
    switch (answer.kind) {
      case 'not-ours':
        return next()
      case 'miss':
        if (fallthrough) return next()
        answerText(ctx, answer.status, STATUS_TEXT[answer.status])
        return
      case 'reply':
        ctx.status = answer.status
        ctx.body = answer.text
        setHeaders(ctx.res, answer.headers)
        return
      case 'file':
        sendFile(ctx, answer)
    }
  }

  const sendFile = (ctx: Context, answer: FileAnswer): void => {
    const { body, headers } = answer
    ctx.status = answer.status
    // The body first: Koa's setter fills in Content-Type and Content-Length (or removes them), which our headers then
    // replace, so exactly the core's headers go out. A 304 gets no body (Koa would strip one anyway, and a 304 must
    // not carry the Content-Length of an empty one); a HEAD or an empty file an empty Buffer, since without a body
    // Koa would answer a GET with the status text and count HEAD as one without content.
    if (answer.status !== 304) ctx.body = body === undefined ? EMPTY : isStream(body) ? body : toBuffer(body)
    const { res } = ctx
    setHeaders(res, headers)
    if (hook !== undefined) {
      try {
        hook(answer.path, ctx)
      } catch (error) {
        // Whoever answers the error must not inherit this file's Content-Length, ETag or caching (a Vary may stay:
        // it is true of any answer at this URL), nor keep the file open.
        for (let i = 0; i < headers.length; i += 2) if (headers[i] !== 'Vary') res.removeHeader(headers[i] as string)
        if (isStream(body)) body.destroy()
        throw error
      }
    }
    if (isStream(body)) cutOnError(body, res)
  }

  const middleware = {
    [files.mode === 'sources' ? 'convoyServeSources' : 'convoyServeStatic'](ctx: Context, next: Next): Promise<void> | void {
      const { req } = ctx
      const answer = files.answer({ method: req.method ?? 'GET', url: req.url ?? '/', header: (name) => headerOf(req, name) })
      // Held in memory (the common case): answered now, without a promise. Otherwise a rejection (the storage failed,
      // the index could not be built) goes to Koa's error handling, as does a throwing `headers` hook.
      if (answer instanceof Promise) return answer.then((settled) => deliver(ctx, next, settled))
      return deliver(ctx, next, answer)
    },
  }
  const handler = Object.values(middleware)[0] as (ctx: Context, next: Next) => Promise<void> | void

  return Object.assign(handler, {
    get ready() {
      return files.ready
    },
    reload: () => files.reload(),
    close: () => files.close(),
  })
}

/** A short plain-text answer of the middleware's own (404, 400 without `fallthrough`). */
function answerText(ctx: ParameterizedContext<unknown, unknown>, status: number, text: string): void {
  ctx.status = status
  ctx.body = text
  ctx.set('Content-Type', 'text/plain; charset=utf-8')
}

/**
 * Sets the core's flat `[name, value, …]` list on the response, each replacing what was there, except `Vary`, which
 * keeps what earlier middleware put there (e.g. `Origin` from a CORS layer) and adds ours once.
 */
function setHeaders(res: ServerResponse, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    const value = headers[i + 1] as string
    res.setHeader(name, name === 'Vary' ? mergeVary(res.getHeader('vary'), value) : value)
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  // Koa sends a Buffer as bytes but would turn any other Uint8Array into JSON.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function isStream(body: FileAnswer['body']): body is Readable {
  return body !== undefined && !(body instanceof Uint8Array)
}
