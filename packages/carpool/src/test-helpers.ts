import type { CarpoolStorage } from './builder.js'

/** An in-memory storage for tests that records every call. */
export interface MemoryStorage extends CarpoolStorage {
  readonly files: Map<string, Uint8Array>
  /** `method path`, in call order. */
  readonly calls: string[]
  /** Paths written, in order. */
  readonly writes: string[]
}

function bytesOf(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body
}

export function createMemoryStorage(initial: Record<string, string | Uint8Array> = {}): MemoryStorage {
  const files = new Map<string, Uint8Array>()
  for (const [path, content] of Object.entries(initial)) files.set(path, typeof content === 'string' ? new TextEncoder().encode(content) : content)
  const calls: string[] = []
  const writes: string[] = []
  return {
    name: 'memory',
    files,
    calls,
    writes,
    read(path) {
      calls.push(`read ${path}`)
      return Promise.resolve(files.get(path) ?? null)
    },
    write(path, body) {
      calls.push(`write ${path}`)
      writes.push(path)
      files.set(path, bytesOf(body))
      return Promise.resolve()
    },
    exists(path) {
      calls.push(`exists ${path}`)
      return Promise.resolve(files.has(path))
    },
    stat(path) {
      calls.push(`stat ${path}`)
      const bytes = files.get(path)
      return Promise.resolve(bytes === undefined ? null : { path, size: bytes.byteLength })
    },
  }
}

/** Waits until `check()` is true, polling every few milliseconds, for at most `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
