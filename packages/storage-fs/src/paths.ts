import { createStoragePathChecks } from '@convoy/manifest'

/** Temporary files of writes in progress start with this; `list()` never shows them and no path may use it. */
export const TEMP_PREFIX = '.convoy-tmp-'

/** The storage-path rules every Convoy storage shares (`@convoy/manifest`), plus our temp-file names. */
const checks = createStoragePathChecks('@convoy/storage-fs', (path, prefix) => {
  const segments = path.split('/')
  // A list prefix may stop inside a name, so only a complete reserved name counts in its last segment.
  const reserved = segments.some((segment, index) => segment.startsWith(TEMP_PREFIX) && !(prefix && index === segments.length - 1 && segment.length < TEMP_PREFIX.length))
  return reserved ? `names starting with "${TEMP_PREFIX}" are reserved for temporary files` : undefined
})

export const { checkPath, checkPrefix, isListable } = checks

/** Thrown when a path is syntactically fine but a symbolic link leads it out of the root. */
export function escapeError(path: string): ReturnType<typeof checks.pathError> {
  return checks.pathError(path, 'it leads out of the storage root through a symbolic link')
}
