import { ConvoyError } from '@convoy/errors'
import { storagePathProblem } from '@convoy/manifest'

/** The rule a path breaks (the storage-path rules every Convoy storage shares), or `undefined` when it is safe. */
function problemOf(path: unknown, prefix: boolean): string | undefined {
  return storagePathProblem(path, { prefix })
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
