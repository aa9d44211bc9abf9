import { encodingOfPath } from '@convoy/gzip'
import { contentTypeOf, withoutEncodingExtension } from '@convoy/storage'
import { evaluatePreconditions, ifRangeHolds, parseRange } from './conditional.js'
import { createSourceDirectories, type OpenedSourceFile } from './source-directories.js'
import { ALLOW, replyOf, type StaticAnswer, type StaticRequest } from './static-files.js'

/** Development answers are revalidated on every use: a saved edit shows on the next reload, a 304 when nothing changed. */
export const DEVELOPMENT_CACHE_CONTROL = 'no-cache'

export interface SourceAnswers {
  /** The answer for `path` (decoded, below the prefix). */
  answer(request: StaticRequest, path: string): Promise<StaticAnswer>
  readonly ready: Promise<void>
  readonly reload: () => Promise<void>
}

/**
 * Answers from the source directories themselves, for development: every request looks the file up on disk as
 * `collect` would pick it (first source wins, judged by real path, nothing outside the sources), opens it and answers
 * from its current stat. Nothing is indexed or held in memory, so edits, new files and deletions show at once.
 */
export function createSourceAnswers(sources: readonly string[]): SourceAnswers {
  const directories = createSourceDirectories(sources)

  let checked = directories.check()
  // Reported through `ready` and to requests; it must not also crash the process as unhandled.
  checked.catch(() => undefined)

  const respond = (request: StaticRequest, file: OpenedSourceFile): StaticAnswer => {
    const { method } = request
    const done = <T>(answer: T): T => {
      void file.handle.close().catch(() => undefined)
      return answer
    }
    if (method !== 'GET' && method !== 'HEAD') return done(replyOf(405, ['Allow', ALLOW]))
    // `x.css.gz` is sent as production sends a precompressed sibling asked for by name: the inner type, encoded.
    const coding = encodingOfPath(file.path)
    const contentType = contentTypeOf(coding === undefined ? file.path : withoutEncodingExtension(file.path))
    const validators = ['ETag', file.etag, 'Last-Modified', file.lastModified, 'Cache-Control', DEVELOPMENT_CACHE_CONTROL]

    const outcome = evaluatePreconditions(request.header, file.etag, file.mtimeMs)
    if (outcome === 'failed') return done(replyOf(412))
    if (outcome === 'not-modified') return done({ kind: 'file', status: 304, headers: validators, vary: false, path: file.path, body: undefined })

    const { size } = file
    let status: 200 | 206 = 200
    let start = 0
    let end = size - 1
    const range = request.header('range')
    const ifRange = request.header('if-range')
    if (range !== undefined && method === 'GET' && (ifRange === undefined || ifRangeHolds(ifRange, file.etag, file.lastModified))) {
      const wanted = parseRange(range, size)
      if (wanted === 'unsatisfiable') return done(replyOf(416, ['Content-Range', `bytes */${size}`, 'Accept-Ranges', 'bytes']))
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
    if (method === 'HEAD' || size === 0) return done({ kind: 'file', status, headers, vary: false, path: file.path, body: undefined })
    // The descriptor opened for the lookup is read: the bytes are those the validators describe, even mid-save.
    // The stream closes the descriptor when it ends or is destroyed.
    return { kind: 'file', status, headers, vary: false, path: file.path, body: file.handle.createReadStream({ start, end }) }
  }

  return {
    get ready() {
      return checked
    },
    answer: async (request, path) => {
      await checked
      const file = await directories.open(path)
      return file === null ? { kind: 'miss', status: 404 } : respond(request, file)
    },
    /** Checks the source directories again; requests wait for it, and fail with its error if it fails. */
    reload: (): Promise<void> => {
      const again = directories.check()
      again.catch(() => undefined)
      checked = again
      return again
    },
  }
}
