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
