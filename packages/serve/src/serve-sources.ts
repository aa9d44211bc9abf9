import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { encodingOfPath } from '@convoy/gzip'
import { contentTypeOf, withoutEncodingExtension } from '@convoy/storage'
import { evaluatePreconditions, ifRangeHolds, parseRange } from './conditional.js'
import { ALLOW, answer, fail, pass as passOn, routedPath, writeHeadWith, type Next } from './http.js'
import { createSourceDirectories, type OpenedSourceFile } from './source-directories.js'

/** Development answers are revalidated on every use: a saved edit shows on the next reload, a 304 when nothing changed. */
export const DEVELOPMENT_CACHE_CONTROL = 'no-cache'

export interface ServeSourcesSettings {
  readonly sources: readonly string[]
  readonly prefix: string
  readonly fallthrough: boolean
  readonly headers: ((path: string, res: ServerResponse) => void) | undefined
}

export interface SourcesHandler {
  (req: IncomingMessage, res: ServerResponse, next?: Next): void
  readonly ready: Promise<void>
  readonly reload: () => Promise<void>
  readonly close: () => void
}

/**
 * Serves the source directories themselves, for development: every request looks the file up on disk as `collect`
 * would pick it (first source wins, judged by real path, nothing outside the sources), opens it and answers from
 * its current stat. Nothing is indexed or held in memory, so edits, new files and deletions show at once.
 */
export function serveSources(settings: ServeSourcesSettings): SourcesHandler {
  const { prefix, fallthrough, headers: hook } = settings
  const directories = createSourceDirectories(settings.sources)

  let checked = directories.check()
  // Reported through `ready` and to requests; it must not also crash the process as unhandled.
  checked.catch(() => undefined)

  const pass = (res: ServerResponse, next: Next | undefined, status: 400 | 404): void => passOn(res, next, status, fallthrough)

  const respond = (req: IncomingMessage, res: ServerResponse, next: Next | undefined, file: OpenedSourceFile): void => {
    const method = req.method
    const done = (): void => {
      void file.handle.close().catch(() => undefined)
    }
    if (method !== 'GET' && method !== 'HEAD') {
      done()
      answer(res, 405, 'Method Not Allowed', ['Allow', ALLOW])
      return
    }
    // `x.css.gz` is sent as production sends a precompressed sibling asked for by name: the inner type, encoded.
    const coding = encodingOfPath(file.path)
    const contentType = contentTypeOf(coding === undefined ? file.path : withoutEncodingExtension(file.path))
    const validators = ['ETag', file.etag, 'Last-Modified', file.lastModified, 'Cache-Control', DEVELOPMENT_CACHE_CONTROL]

    const outcome = evaluatePreconditions(req.headers, file.etag, file.mtimeMs)
    if (outcome === 'failed') {
      done()
      answer(res, 412, 'Precondition Failed')
      return
    }
    if (outcome === 'not-modified') {
      done()
      writeHeadWith(hook, res, 304, validators, file.path, false)
      res.end()
      return
    }

    const { size } = file
    let status = 200
    let start = 0
    let end = size - 1
    const range = req.headers.range
    const ifRange = req.headers['if-range']
    if (range !== undefined && method === 'GET' && (typeof ifRange === 'string' ? ifRangeHolds(ifRange, file.etag, file.lastModified) : ifRange === undefined)) {
      const wanted = parseRange(range, size)
      if (wanted === 'unsatisfiable') {
        done()
        answer(res, 416, 'Range Not Satisfiable', ['Content-Range', `bytes */${size}`, 'Accept-Ranges', 'bytes'])
        return
      }
      if (wanted !== 'ignore') {
        status = 206
        start = wanted.start
        end = wanted.end
      }
    }
    const headers = ['Content-Type', contentType, 'Content-Length', String(end - start + 1), ...validators]
    if (status === 206) headers.push('Content-Range', `bytes ${start}-${end}/${size}`)
    if (coding !== undefined) headers.push('Content-Encoding', coding)
    headers.push('Accept-Ranges', 'bytes', 'X-Content-Type-Options', 'nosniff')
    writeHeadWith(hook, res, status, headers, file.path, false)
    if (method === 'HEAD' || size === 0) {
      done()
      res.end()
      return
    }
    // The descriptor opened for the lookup is read: the bytes are those the validators describe, even mid-save.
    pipeline(file.handle.createReadStream({ start, end }), res, (error) => {
      if (error) res.destroy()
    })
  }

  const serve = (req: IncomingMessage, res: ServerResponse, next: Next | undefined): void => {
    const path = routedPath(req, res, next, prefix, fallthrough)
    if (path === undefined) return
    checked
      .then(() => directories.open(path))
      .then(
        (file) => {
          if (file === null) {
            pass(res, next, 404)
            return
          }
          try {
            respond(req, res, next, file)
          } catch (error) {
            // A throwing `headers` hook: the descriptor must not leak, and the error goes where errors go.
            void file.handle.close().catch(() => undefined)
            fail(res, next, error)
          }
        },
        (error: unknown) => fail(res, next, error),
      )
  }

  return Object.assign(
    function convoyServeSources(req: IncomingMessage, res: ServerResponse, next?: Next): void {
      serve(req, res, next)
    },
    {
      ready: checked,
      /** Checks the source directories again; requests wait for it, and fail with its error if it fails. */
      reload: (): Promise<void> => {
        const again = directories.check()
        again.catch(() => undefined)
        checked = again
        return again
      },
      // Nothing is watched: every request reads the disk.
      close: (): void => undefined,
    },
  )
}
