// Run by suite-catches-bugs.test.ts in a separate vitest process: storages with one bug each,
// which the suite must catch. Not picked up by the package's own `vitest run` (no `.test.ts`).
import { Readable } from 'node:stream'
import type { Storage, StorageEntry } from '@convoy/core'
import { runStorageTestSuite } from '../index.js'
import { createMemoryStorage } from './memory-storage.js'

function broken(name: string, change: (good: Storage) => Partial<Storage>): void {
  runStorageTestSuite(name, () => {
    const good = createMemoryStorage()
    // Spread loses nothing: the memory storage's methods are closures, not prototype methods.
    return { storage: { ...good, ...change(good) } }
  }, { skip: { largeObjects: 'not about size' } })
}

broken('accepts unsafe paths', (good) => ({
  read: (path) => good.read(path).catch(() => null),
  write: (path, body, options) => good.write(path, body, options).catch(() => undefined),
}))

broken('reads a missing object as empty', (good) => ({
  read: async (path) => (await good.read(path)) ?? new Uint8Array(0),
}))

broken('fails to delete a missing object', (good) => ({
  async delete(path) {
    if (!(await good.exists(path))) throw new Error(`${path} does not exist`)
    await good.delete(path)
  },
}))

broken('lists objects twice', (good) => ({
  async *list(prefix) {
    const entries: StorageEntry[] = []
    for await (const entry of good.list(prefix)) entries.push(entry)
    yield* entries
    yield* entries
  },
}))

broken('ignores the list prefix', (good) => ({
  list: () => good.list(),
}))

broken('does not encode URLs', () => ({
  url: (path) => `/memory/${path}`,
}))

// Claims atomic writes but shows each stream chunk as it arrives.
broken('tears writes', (good) => ({
  async write(path, body, options) {
    if (!(body instanceof Readable)) return good.write(path, body, options)
    let sofar = Buffer.alloc(0)
    for await (const chunk of body as AsyncIterable<Buffer>) {
      sofar = Buffer.concat([sofar, chunk])
      await good.write(path, sofar, options)
    }
  },
}))

runStorageTestSuite('skips with reasons', () => ({ storage: createMemoryStorage() }), {
  skip: { lastModified: 'memory keeps no times', concurrency: 'single writer', largeObjects: 'not about size' },
})
