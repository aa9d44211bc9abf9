import { Readable } from 'node:stream'
import type { Storage, StorageBody, StorageEntry } from '@convoy/core'

/** An in-memory `Storage` for tests that records every call. */
export interface MemoryStorage extends Storage {
  readonly files: Map<string, Uint8Array>
  /** `method path`, in call order. */
  readonly calls: string[]
  /** Paths written, in order. */
  readonly writes: string[]
}

async function bytesOf(body: StorageBody): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body)
  if (body instanceof Uint8Array) return body
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export function createMemoryStorage(initial: Record<string, string | Uint8Array> = {}): MemoryStorage {
  const files = new Map<string, Uint8Array>()
  for (const [path, content] of Object.entries(initial)) files.set(path, typeof content === 'string' ? new TextEncoder().encode(content) : content)
  const calls: string[] = []
  const writes: string[] = []
  return {
    name: 'memory',
    capabilities: { atomicWrites: true },
    files,
    calls,
    writes,
    read(path) {
      calls.push(`read ${path}`)
      return Promise.resolve(files.get(path) ?? null)
    },
    readStream(path) {
      calls.push(`readStream ${path}`)
      const bytes = files.get(path)
      return Promise.resolve(bytes === undefined ? null : Readable.from([bytes]))
    },
    async write(path, body) {
      calls.push(`write ${path}`)
      const bytes = await bytesOf(body)
      writes.push(path)
      files.set(path, bytes)
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
    delete(path) {
      calls.push(`delete ${path}`)
      files.delete(path)
      return Promise.resolve()
    },
    async *list(prefix = '') {
      calls.push(`list ${prefix}`)
      await Promise.resolve()
      for (const [path, bytes] of files) if (path.startsWith(prefix)) yield { path, size: bytes.byteLength } satisfies StorageEntry
    },
    url(path) {
      return `/static/${path}`
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
