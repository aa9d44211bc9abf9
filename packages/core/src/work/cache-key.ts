import { createHash } from 'node:crypto'

/** A cache key over everything an output depends on: what the task is, its settings, and the input bytes. */
export function cacheKey(signature: unknown, ...inputs: readonly Uint8Array[]): string {
  const hash = createHash('sha256').update(JSON.stringify(signature))
  for (const input of inputs) hash.update(input)
  return hash.digest('hex')
}
