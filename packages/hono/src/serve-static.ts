import { createStaticFiles, STATUS_TEXT, type FileAnswer, type StaticAnswer, type StaticFilesOptions } from '@convoy/serve'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { webStreamOf } from './web-stream.js'

/** Options of {@link serveStatic}: those of `createStaticFiles` (`@convoy/serve`), and how to behave in Hono. */
export type ServeStaticOptions = StaticFilesOptions & {
  /**
   * The public URL prefix of the files, stripped before lookup: `'/static/'` for `app.use('/static/*', …)`. Hono
   * does not strip the path a middleware is mounted at, so this is the whole path from the site's root.
   * Default `'/'`.
   */
  readonly prefix?: string
  /**
   * When true, unknown paths and malformed URLs under the prefix go on to the next handler (`await next()`), and so
   * to the app's `notFound` when nothing else answers; when false, the middleware answers 404 and 400 itself.
   * Default `true`.
   */
  readonly fallthrough?: boolean
  /**
   * Called with the storage path of the file and the headers of a 200, 206 or 304 about to be sent (ours already
   * set): change or add headers there. A throw goes to Hono's error handler.
   */
  readonly headers?: (path: string, headers: Headers, c: Context) => void
}

/** A Hono middleware serving the collected files, with the lifecycle of the index. */
export type ServeStaticMiddleware = MiddlewareHandler & {
  /**
   * Settles when the first index is built; rejects with a `ConvoyError` when it cannot be (bad root or manifest).
   * With `sources`: when every source directory has been found.
   */
  readonly ready: Promise<void>
  /**
   * Rebuilds the index from the manifest and files as they are now (after a new `convoy collect`), then swaps it in
   * at once; requests are served from the previous index meanwhile, and on failure it stays.
   */
  readonly reload: () => Promise<void>
  /** Stops watching the manifest (`watch`); requests are still answered, from the index as it is. */
  readonly close: () => void
}

/**
 * Serves the output of `convoy collect` (a directory or a `Storage`), or in development the source directories,
 * as a Hono middleware: the answers of `@convoy/serve`'s `createStaticFiles` — precompressed `.br`/`.gz` siblings
 * chosen by `Accept-Encoding`, a year of `immutable` caching for fingerprinted names, 304, ranges, 405, and nothing
 * outside the index ever served — translated to Web `Response`s. Files held in memory are sent as bytes (answered
 * synchronously: `@hono/node-server` writes them without a stream), larger ones as a lazily read stream.
 *
 * Paths it does not serve go on to `next()`; a failing storage or index is thrown to Hono's error handler (500).
 *
 * @example
 * import { Hono } from 'hono'
 * import { serveStatic } from '@convoy/hono'
 *
 * const assets = serveStatic({ root: 'dist/static', prefix: '/static/' })
 * await assets.ready // fail at start, not at the first request
 * const app = new Hono()
 * app.use('/static/*', assets)
 */
export function serveStatic(options: ServeStaticOptions): ServeStaticMiddleware {
  const { fallthrough: fallthroughOption, headers: hook, ...fileOptions } = options
  const files = createStaticFiles(fileOptions, { packageName: '@convoy/hono' })
  const fallthrough = fallthroughOption ?? true

  const deliver = (c: Context, next: Next, answer: StaticAnswer): Response | Promise<Response | void> => {
    switch (answer.kind) {
      case 'not-ours':
        return next()
      case 'miss':
        if (fallthrough) return next()
        return c.body(STATUS_TEXT[answer.status], answer.status, { 'Content-Type': 'text/plain; charset=utf-8' })
      case 'reply':
        return respond(c, answer.text, answer.status, answer.headers)
      case 'file':
        return sendFile(c, answer)
    }
  }

  const sendFile = (c: Context, answer: FileAnswer): Response => {
    const { body } = answer
    const stream = body === undefined || body instanceof Uint8Array ? undefined : body
    try {
      const response = respond(c, stream === undefined ? ((body as Uint8Array<ArrayBuffer> | undefined) ?? null) : webStreamOf(stream), answer.status, answer.headers)
      hook?.(answer.path, response.headers, c)
      return response
    } catch (error) {
      stream?.destroy()
      throw error
    }
  }

  const middleware = {
    [files.mode === 'sources' ? 'convoyServeSources' : 'convoyServeStatic'](c: Context, next: Next): Response | Promise<Response | void> {
      const url = c.req.url
      const answer = files.answer({ method: c.req.method, url: targetOf(url), header: (name) => c.req.raw.headers.get(name) ?? undefined })
      // In memory (the common case) the answer is there at once, and so is the response.
      return answer instanceof Promise ? answer.then((settled) => deliver(c, next, settled)) : deliver(c, next, answer)
    },
  }
  const handler = Object.values(middleware)[0] as MiddlewareHandler

  return Object.assign(handler, {
    get ready() {
      return files.ready
    },
    reload: () => files.reload(),
    close: () => files.close(),
  })
}

/**
 * The request target of a request URL as the request line had it: path and query (`pathname + search`), still
 * percent-encoded; `@convoy/serve` decodes it once.
 */
export function targetOf(url: string): string {
  const scheme = url.indexOf('://')
  const start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  if (start === -1) return '/'
  const hash = url.indexOf('#', start)
  return hash === -1 ? url.slice(start) : url.slice(start, hash)
}

/**
 * A response with exactly the core's status and headers, through `c.body()` so headers earlier middleware set with
 * `c.header()` stay. `Vary` is appended rather than set, so one an earlier middleware set (e.g. `Origin`) stays too.
 */
function respond(c: Context, body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | string | null, status: number, list: readonly string[]): Response {
  const record: Record<string, string> = {}
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string
    const value = list[i + 1] as string
    if (name === 'Vary') c.header('Vary', value, { append: true })
    else record[name] = record[name] === undefined ? value : `${record[name]}, ${value}`
  }
  return c.body(body as string, status as 200, record)
}
