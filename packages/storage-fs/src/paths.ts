import { ConvoyError } from '@convoy/errors'
import { storagePathProblem } from '@convoy/manifest'

/** Temporary files of writes in progress start with this; `list()` never shows them and no path may use it. */
export const TEMP_PREFIX = '.convoy-tmp-'

/** The rule a path breaks, or `undefined` when it is safe: the shared storage-path rules plus our temp-file names. */
function problemOf(path: unknown, prefix: boolean): string | undefined {
  const problem = storagePathProblem(path, { prefix })
  if (problem !== undefined || typeof path !== 'string') return problem
  const segments = path.split('/')
  return segments.some((segment, index) => segment.startsWith(TEMP_PREFIX) && !(prefix && index === segments.length - 1 && segment.length < TEMP_PREFIX.length))
    ? `names starting with "${TEMP_PREFIX}" are reserved for temporary files`
    : undefined
}

function pathError(kind: 'path' | 'prefix', path: unknown, rule: string): ConvoyError {
  const shown = typeof path === 'string' ? JSON.stringify(path) : String(path)
  return new ConvoyError('ERR_CONVOY_STORAGE_PATH', `@convoy/storage-fs: unsafe ${kind} ${shown}: ${rule}`)
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

/** True when an existing file's relative path could be read back through the storage. */
export function isListable(path: string): boolean {
  return problemOf(path, false) === undefined
}

/** Thrown when a path is syntactically fine but a symbolic link leads it out of the root. */
export function escapeError(path: string): ConvoyError {
  return pathError('path', path, 'it leads out of the storage root through a symbolic link')
}
