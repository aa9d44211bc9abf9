import { createStoragePathChecks } from '@convoy/storage'

/**
 * Temporary files (writes in progress, the lock being created or removed) start with this; `list()` never shows
 * them and no path may use it. Their full name is `.convoy-tmp-<pid>-<host id>-<random>` (see `owners.ts`).
 */
export const TEMP_PREFIX = '.convoy-tmp-'

/** The lock file at the storage root (`lock()`); `list()` never shows it and no path may use the name. */
export const LOCK_NAME = '.convoy-lock'

/** True for the names of our own files (temporary files, the lock), which are never objects. */
export function isReservedName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) || name === LOCK_NAME
}

/** The storage-path rules every Convoy storage shares (`@convoy/storage`), plus our reserved names. */
const checks = createStoragePathChecks('@convoy/storage-fs', (path, prefix) => {
  const segments = path.split('/')
  // A list prefix may stop inside a name, so only a complete reserved name counts in its last segment.
  const partial = (index: number): boolean => prefix && index === segments.length - 1
  if (segments.some((segment, index) => segment.startsWith(TEMP_PREFIX) && !(partial(index) && segment.length < TEMP_PREFIX.length))) {
    return `names starting with "${TEMP_PREFIX}" are reserved for temporary files`
  }
  if (segments.some((segment, index) => segment === LOCK_NAME && !partial(index))) {
    return `the name "${LOCK_NAME}" is reserved for the storage lock`
  }
  return undefined
})

export const { checkPath, checkPrefix, isListable } = checks

/** Thrown when a path is syntactically fine but a symbolic link leads it out of the root. */
export function escapeError(path: string): ReturnType<typeof checks.pathError> {
  return checks.pathError(path, 'it leads out of the storage root through a symbolic link')
}
