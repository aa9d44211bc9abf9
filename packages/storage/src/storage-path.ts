import { ConvoyError } from '@convoy/errors'

/**
 * Why a path cannot be a storage path, or `undefined` when it can: every Convoy storage and the manifest agree on
 * these rules (the `Storage` contract). A storage path is relative and `/`-separated, with no empty, `.` or
 * `..` segment, no backslash, no NUL byte and no Windows drive letter. With `prefix: true` (a `list()` prefix) it may
 * also be empty and its last segment may be partial or empty.
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

/**
 * The path checks of one storage implementation, throwing `ERR_CONVOY_STORAGE_PATH` errors prefixed with its name.
 *
 * @example
 * const checks: StoragePathChecks = createStoragePathChecks('my-storage')
 * checks.checkPath('css/base.css') // ['css', 'base.css']
 */
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
 * (`extraProblem`, e.g. names reserved for temporary files). Error messages start with `owner`.
 *
 * @example
 * const { checkPath, checkPrefix, isListable } = createStoragePathChecks('@convoy/storage-s3')
 * checkPath('css/base.css') // ['css', 'base.css']
 * checkPath('../etc/passwd') // throws ERR_CONVOY_STORAGE_PATH:
 * //   '@convoy/storage-s3: unsafe path "../etc/passwd": it has a ".." segment'
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
