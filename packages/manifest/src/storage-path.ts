import { ConvoyError } from '@convoy/errors'
import mime from 'mime'

/**
 * Why a path cannot be a storage path, or `undefined` when it can: every Convoy storage and the manifest agree on
 * these rules (the `Storage` contract of `@convoy/core`). A storage path is relative and `/`-separated, with no
 * empty, `.` or `..` segment, no backslash, no NUL byte and no Windows drive letter. With `prefix: true` (a `list()`
 * prefix) it may also be empty and its last segment may be partial or empty.
 *
 * @example
 * storagePathProblem('css/base.css')   // undefined
 * storagePathProblem('a/../../etc')     // 'it has a ".." segment'
 * storagePathProblem('css/', { prefix: true }) // undefined
 */
export function storagePathProblem(path: unknown, options: { readonly prefix?: boolean } = {}): string | undefined {
  const prefix = options.prefix === true
  if (typeof path !== 'string') return `it is a ${typeof path}, not a string`
  if (path === '') return prefix ? undefined : 'it is empty'
  if (path.includes('\0')) return 'it contains a NUL byte'
  if (path.includes('\\')) return 'it contains a backslash (folders are separated by "/")'
  if (/^[A-Za-z]:/.test(path)) return 'it starts with a Windows drive letter'
  if (path.startsWith('/')) return 'it is absolute (starts with "/")'
  const segments = path.split('/')
  for (const segment of prefix ? segments.slice(0, -1) : segments) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")'
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`
  }
  return undefined
}

const TEXT_APPLICATION_TYPES = new Set(['application/javascript', 'application/json', 'application/xml', 'image/svg+xml'])

/**
 * The `Content-Type` a storage path is stored and served with: from its extension (the `mime` database), with
 * `charset=utf-8` for text (Convoy's text outputs are UTF-8), `application/octet-stream` when unknown. A `.gz`/`.br`
 * sibling has the type of the file inside it.
 *
 * @example
 * contentTypeOf('css/base.25b23dfca187.cmin.css.gz') // 'text/css; charset=utf-8'
 * contentTypeOf('img/logo.png')                      // 'image/png'
 */
export function contentTypeOf(path: string): string {
  const inner = path.endsWith('.gz') || path.endsWith('.br') ? path.slice(0, -3) : path
  const type = mime.getType(inner)
  if (type === null) return 'application/octet-stream'
  const textual = type.startsWith('text/') || TEXT_APPLICATION_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml')
  return textual ? `${type}; charset=utf-8` : type
}

/** The path checks of one storage implementation, throwing `ERR_CONVOY_STORAGE_PATH` errors prefixed with its name. */
export interface StoragePathChecks {
  /** The segments of a safe object path; throws naming the rule the path breaks. */
  readonly checkPath: (path: string) => string[]
  /** Checks a `list()` prefix: like a path, but it may be empty and may end inside a name or with `/`. */
  readonly checkPrefix: (prefix: string) => void
  /** True when an existing object's path could be read back through the storage (listings skip the others). */
  readonly isListable: (path: string) => boolean
  /** The error for `path` breaking `rule`, for rules only the storage itself can check (e.g. symbolic links). */
  readonly pathError: (path: unknown, rule: string) => ConvoyError
}

/**
 * The {@link storagePathProblem} rules packaged for a `Storage` implementation, plus the storage's own rules
 * (`extraProblem`, e.g. names reserved for temporary files).
 *
 * @example
 * const { checkPath, checkPrefix, isListable } = createStoragePathChecks('@convoy/storage-s3')
 */
export function createStoragePathChecks(owner: string, extraProblem?: (path: string, prefix: boolean) => string | undefined): StoragePathChecks {
  const problemOf = (path: unknown, prefix: boolean): string | undefined =>
    storagePathProblem(path, { prefix }) ?? (typeof path === 'string' ? extraProblem?.(path, prefix) : undefined)
  const error = (kind: 'path' | 'prefix', path: unknown, rule: string): ConvoyError =>
    new ConvoyError('ERR_CONVOY_STORAGE_PATH', `${owner}: unsafe ${kind} ${typeof path === 'string' ? JSON.stringify(path) : String(path)}: ${rule}`)
  return {
    checkPath: (path) => {
      const problem = problemOf(path, false)
      if (problem !== undefined) throw error('path', path, problem)
      return path.split('/')
    },
    checkPrefix: (prefix) => {
      const problem = problemOf(prefix, true)
      if (problem !== undefined) throw error('prefix', prefix, problem)
    },
    isListable: (path) => problemOf(path, false) === undefined,
    pathError: (path, rule) => error('path', path, rule),
  }
}

/** A failure of the caller's body stream, kept apart so a storage can tell it from its own (disk, network) failures. */
export class BodyStreamError extends Error {
  constructor(cause: unknown) {
    super(`the body stream failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/** The chunks of a body stream given to `Storage.write()`, as bytes; the stream's own failure becomes a {@link BodyStreamError}. */
export async function* bodyChunks(body: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) {
      if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8')
      else if (chunk instanceof Uint8Array) yield chunk
      else throw new TypeError(`it gave a ${typeof chunk} chunk instead of bytes or text`)
    }
  } catch (error) {
    throw new BodyStreamError(error)
  }
}
