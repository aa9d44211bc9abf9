import { ConvoyError } from '@convoy/errors'

// The same path rules as @convoy/storage-fs (the Storage contract's), kept here because adapters never import each other.

/** The rule a path breaks, or `undefined` when it is safe. `partialLast` lets a list prefix end mid-name. */
function problemOf(path: unknown, partialLast: boolean): string | undefined {
  if (typeof path !== 'string') return `it is a ${typeof path}, not a string`
  if (path === '') return partialLast ? undefined : 'it is empty'
  if (path.includes('\0')) return 'it contains a NUL byte'
  if (path.includes('\\')) return 'it contains a backslash (folders are separated by "/")'
  if (/^[A-Za-z]:/.test(path)) return 'it starts with a Windows drive letter'
  if (path.startsWith('/')) return 'it is absolute (starts with "/")'
  const segments = path.split('/')
  const checked = partialLast ? segments.slice(0, -1) : segments
  for (const segment of checked) {
    if (segment === '') return 'it has an empty segment ("//" or a trailing "/")'
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`
  }
  return undefined
}

function pathError(kind: 'path' | 'prefix', path: unknown, rule: string): ConvoyError {
  const shown = typeof path === 'string' ? JSON.stringify(path) : String(path)
  return new ConvoyError('ERR_CONVOY_STORAGE_PATH', `@convoy/storage-s3: unsafe ${kind} ${shown}: ${rule}`)
}

/** The segments of a safe object path; throws `ERR_CONVOY_STORAGE_PATH` naming the rule the path breaks. */
export function checkPath(path: string): string[] {
  const problem = problemOf(path, false)
  if (problem !== undefined) throw pathError('path', path, problem)
  return path.split('/')
}

/** Checks a `list()` prefix: like a path, but it may be empty and may end inside a name or with `/`. */
export function checkPrefix(prefix: string): void {
  const problem = problemOf(prefix, true)
  if (problem !== undefined) throw pathError('prefix', prefix, problem)
}

/** True when a key found in the bucket is a path this storage could read back (not `a//b`, not a `folder/` marker). */
export function isListable(path: string): boolean {
  return problemOf(path, false) === undefined
}
