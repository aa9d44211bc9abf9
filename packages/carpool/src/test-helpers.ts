import { bodyChunks, type StorageBody } from '@convoy/storage'
import type { CarpoolStorage } from './builder.js'

/** An in-memory storage for tests that records every call. */
export interface MemoryStorage extends CarpoolStorage {
  readonly files: Map<string, Uint8Array>
  /** `method path`, in call order. */
  readonly calls: string[]
  /** Paths written, in order. */
  readonly writes: string[]
}

async function bytesOf(body: StorageBody): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body)
  if (body instanceof Uint8Array) return body
  const chunks: Uint8Array[] = []
  for await (const chunk of bodyChunks(body)) chunks.push(chunk)
  return Buffer.concat(chunks)
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
    async write(path, body) {
      calls.push(`write ${path}`)
      writes.push(path)
      files.set(path, await bytesOf(body))
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
