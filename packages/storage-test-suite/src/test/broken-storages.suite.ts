// Run by suite-catches-bugs.test.ts in a separate vitest process: storages with one bug each,
// which the suite must catch. Not picked up by the package's own `vitest run` (no `.test.ts`).
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConvoyError } from '@convoy/errors'
import type { Storage, StorageEntry, StorageLock } from '@convoy/storage'
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

// Every lock() succeeds: two holders at once.
broken('lock is not exclusive', () => ({
  lock: () => Promise.resolve<StorageLock>({ assertHeld: () => Promise.resolve(), release: () => Promise.resolve() }),
}))

// A busy lock is refused at once, whatever timeoutMs says.
broken('lock ignores timeoutMs', (good) => ({
  lock: (options) => good.lock!({ ...options, timeoutMs: 0 }),
}))

// The lock is an object like any other, so list() shows it.
broken('lists its lock', (good) => ({
  async lock(options) {
    const held = await good.lock!(options)
    await good.write('.lock', options.purpose)
    return {
      assertHeld: () => held.assertHeld(),
      async release() {
        await good.delete('.lock')
        await held.release()
      },
    }
  },
}))

// release() frees the lock whoever holds it, so a second release() of an old holder frees the next one's.
broken('release frees any holder', () => {
  let holder: string | undefined
  return {
    async lock({ purpose, timeoutMs = 0, onNotice }) {
      const deadline = Date.now() + timeoutMs
      for (let told = false; holder !== undefined; told = true) {
        if (Date.now() >= deadline) throw new ConvoyError('ERR_CONVOY_CONFLICT', `locked for "${holder}"`)
        if (!told) onNotice?.('waiting')
        await sleep(Math.min(10, deadline - Date.now()))
      }
      holder = purpose
      return {
        assertHeld: () => (holder === purpose ? Promise.resolve() : Promise.reject(new ConvoyError('ERR_CONVOY_CONFLICT', 'not ours'))),
        release: () => {
          holder = undefined
          return Promise.resolve()
        },
      }
    },
  }
})

// Removes every object as if it were a leftover.
broken('removeLeftovers removes objects', (good) => ({
  async removeLeftovers() {
    const removed: string[] = []
    for await (const entry of good.list()) removed.push(entry.path)
    await Promise.all(removed.map((path) => good.delete(path)))
    return removed
  },
}))

// Declares conditional writes but writes whatever the conditions say.
broken('ignores write conditions', (good) => ({
  write: (path, body, { ifMatch: _ifMatch, ifNoneMatch: _ifNoneMatch, ...options } = {}) => good.write(path, body, options),
}))

// Checks the conditions, then writes: not atomically, so two writers with one version both win.
broken('checks conditions, then writes', (good) => ({
  async write(path, body, { ifMatch, ifNoneMatch, ...options } = {}) {
    const current = await good.readVersioned!(path)
    if (ifNoneMatch === '*' && current !== null) throw new ConvoyError('ERR_CONVOY_CONFLICT', `${path} exists`)
    if (ifMatch !== undefined && current?.version !== ifMatch) throw new ConvoyError('ERR_CONVOY_CONFLICT', `${path} changed`)
    await sleep(1)
    await good.write(path, body, options)
  },
}))

// Does not declare conditional writes: the test is skipped, naming the reason.
broken('has no conditional writes', (good) => ({ capabilities: { ...good.capabilities, conditionalWrites: false } }))

// Neither lock() nor removeLeftovers(): both tests are skipped, each naming the reason.
runStorageTestSuite('has no lock', () => {
  const storage: Partial<Storage> = createMemoryStorage()
  delete storage.lock
  delete storage.removeLeftovers
  return { storage: storage as Storage }
}, { skip: { largeObjects: 'not about size' } })

runStorageTestSuite('skips with reasons', () => ({ storage: createMemoryStorage() }), {
  skip: { lastModified: 'memory keeps no times', concurrency: 'single writer', largeObjects: 'not about size' },
})
