import type { Storage } from './storage.js'

/** The methods every `Storage` has; `readVersioned`, `lock` and `removeLeftovers` are optional. */
const REQUIRED_METHODS = ['read', 'readStream', 'write', 'exists', 'stat', 'delete', 'list', 'url'] as const

/**
 * True when `value` looks like a {@link Storage}: a `name` string, a `capabilities` object and every required
 * method (`read`, `readStream`, `write`, `exists`, `stat`, `delete`, `list`, `url`). It checks the shape only, so it
 * holds for any implementation, from any installed copy of any package; it calls nothing.
 *
 * @example
 * import { isStorage } from '@convoy/storage'
 *
 * isStorage(createFsStorage({ root: 'public' })) // true
 * isStorage({ read() {} })                       // false
 * isStorage('public/')                           // false
 */
export function isStorage(value: unknown): value is Storage {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.capabilities === 'object' &&
    candidate.capabilities !== null &&
    REQUIRED_METHODS.every((method) => typeof candidate[method] === 'function')
  )
}
