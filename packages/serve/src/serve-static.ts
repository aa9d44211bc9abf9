import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline, type Readable } from 'node:stream'
import { answer as answerText, fail, writeHeadWith, type Next } from './http.js'
import { createStaticFiles, STATUS_TEXT, type FileAnswer, type StaticAnswer, type StaticFilesOptions, type StaticFilesSource } from './static-files.js'

/**
 * What to serve: exactly one of the directory `convoy collect` wrote, a `Storage` it wrote to, or (in development)
 * the source directories themselves.
 */
export type ServeStaticSource = StaticFilesSource

/** Options of {@link serveStatic}: those of `createStaticFiles`, and how to behave as a Connect/Express middleware. */
export type ServeStaticOptions = StaticFilesOptions & {
  /**
   * URL path prefix under which the files are served, stripped before lookup. Default `'/'`: paths are taken
   * relative to where the middleware is mounted (`app.use('/static', serveStatic(…))` strips `/static` itself).
   * With plain `node:http`, pass the public prefix, e.g. `'/static/'`.
   */
  readonly prefix?: string
  /**
   * When true, unknown paths and malformed URLs call `next()` so later handlers can answer; when false, the
   * middleware answers 404 and 400 itself (as it does when called without `next`). Default `true`.
   */
  readonly fallthrough?: boolean
  /**
   * Called before the headers of a 200, 206 or 304 are written, with the storage path of the resource and the
   * response (our headers are already set there): set or change headers here.
   */
  readonly headers?: (path: string, res: ServerResponse) => void
}

/** A Connect/Express-style middleware that is also a plain `node:http` request listener. */
export interface ServeStaticMiddleware {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void
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

/**
 * Serves the output of `convoy collect` from a directory or a `Storage`: precompressed `.br`/`.gz` siblings chosen
 * by `Accept-Encoding`, a year of `immutable` caching for fingerprinted names the manifest knows, validators and
 * ranges. Every servable path is indexed at start (from the manifest, without opening a file) and each file is found
 * once, at its first request, so a request after that is one Map lookup: nothing outside the index (`..`, encoded
 * or not, symlinks out of the root, dotfiles) can ever be served, and no `stat` runs per request.
 * The one exception: a request for a carpool bundle (`CARPOOL/css/<hex>.cmin.css`, `CARPOOL/js/<hex>.cmin.js`, or
 * their `.gz`/`.br`) the index lacks is looked up once, since the runtime writes those at request time.
 * With `root`, the manifest file is watched: a new `convoy collect` into the root is indexed and swapped in by itself.
 *
 * With `sources` instead (development), the source directories are served as they are on disk at each request:
 * nothing is indexed, every answer is `Cache-Control: no-cache` with validators from the file's current stat.
 *
 * @example
 * // Express, mounted at /static
 * const assets = serveStatic({ root: 'dist/static' })
 * await assets.ready // fail at start, not at the first request
 * app.use('/static', assets)
 *
 * @example
 * // plain node:http
 * const assets = serveStatic({ root: 'dist/static', prefix: '/static/' })
 * http.createServer((req, res) => assets(req, res, () => { res.statusCode = 404; res.end('Not found') }))
 *
 * @example
 * // development: the sources of convoy.config, with createConvoy({ debug: true, baseUrl: '/static/' })
 * app.use('/static', serveStatic({ sources: ['static', 'vendor/static'] }))
 */
export function serveStatic(options: ServeStaticOptions): ServeStaticMiddleware {
  const { fallthrough: fallthroughOption, headers: hook, ...fileOptions } = options
  const files = createStaticFiles(fileOptions)
  const fallthrough = fallthroughOption ?? true

  const deliver = (req: IncomingMessage, res: ServerResponse, next: Next | undefined, answer: StaticAnswer): void => {
    switch (answer.kind) {
      case 'not-ours':
        if (next === undefined) answerText(res, 404, STATUS_TEXT[404])
        else next()
        return
      case 'miss':
        if (fallthrough && next !== undefined) next()
        else answerText(res, answer.status, STATUS_TEXT[answer.status])
        return
      case 'reply':
        res.writeHead(answer.status, answer.headers as string[])
        res.end(answer.text)
        return
      case 'file':
        sendFile(res, answer)
    }
  }

  const sendFile = (res: ServerResponse, answer: FileAnswer): void => {
    const { body } = answer
    try {
      writeHeadWith(hook, res, answer.status, answer.headers, answer.path, answer.vary)
    } catch (error) {
      if (isStream(body)) body.destroy()
      throw error
    }
    if (isStream(body)) {
      pipeline(body, res, (error) => {
        if (error) res.destroy()
      })
    } else res.end(body)
  }

  const middleware = {
    [files.mode === 'sources' ? 'convoyServeSources' : 'convoyServeStatic'](req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void {
      // A throwing `headers` hook (the only user code we run) ends up where errors go, never as an uncaught exception.
      try {
        const answer = files.answer({ method: req.method ?? 'GET', url: req.url ?? '/', header: (name) => headerOf(req, name) })
        if (answer instanceof Promise) {
          answer.then(
            (settled) => {
              try {
                deliver(req, res, next, settled)
              } catch (error) {
                fail(res, next, error)
              }
            },
            (error: unknown) => fail(res, next, error),
          )
        } else deliver(req, res, next, answer)
      } catch (error) {
        fail(res, next, error)
      }
    },
  }
  const handler = Object.values(middleware)[0] as (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void

  return Object.assign(handler, {
    get ready() {
      return files.ready
    },
    reload: () => files.reload(),
    close: () => files.close(),
  })
}

/** A request header as one string (Node gives `set-cookie` as an array; none of ours is one). */
function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function isStream(body: FileAnswer['body']): body is Readable {
  return body !== undefined && !(body instanceof Uint8Array)
}
