// A tiny in-memory Storage, only for testing the suite itself: not exported from the package.
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConvoyError } from '@convoy/errors'
import type { Storage, StorageBody, StorageEntry, StorageLock, StorageLockOptions } from '@convoy/storage'

interface StoredObject {
  readonly bytes: Uint8Array
  readonly lastModified: Date
  /** Changes with every write: what readVersioned() gives and ifMatch compares. */
  readonly version: string
}

function unsafeReason(path: string): string | undefined {
  if (path === '') return 'it is empty'
  if (path.includes('\0')) return 'it contains a NUL byte'
  if (path.includes('\\')) return 'it contains a backslash'
  if (path.startsWith('/')) return 'it is absolute'
  for (const segment of path.split('/')) {
    if (segment === '') return 'it has an empty segment'
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`
  }
  return undefined
}

function checkPath(path: string): void {
  const reason = unsafeReason(path)
  if (reason !== undefined) throw new ConvoyError('ERR_CONVOY_STORAGE_PATH', `memory storage: unsafe path ${JSON.stringify(path)}: ${reason}`)
}

async function bytesOf(body: StorageBody): Promise<Uint8Array> {
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return Uint8Array.from(body)
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

/** Runs `task` on a later tick, so a throw becomes a rejection like in a real backend. */
function later<T>(task: () => T): Promise<T> {
  return Promise.resolve().then(task)
}

interface LockHolder {
  readonly purpose: string
  readonly since: Date
}

/** A lock held by one holder at a time, waited for by polling; nothing is ever left behind by a dead writer. */
function createMemoryLock(): Pick<Required<Storage>, 'lock' | 'removeLeftovers'> {
  let holder: LockHolder | undefined
  const conflict = (message: string): ConvoyError => new ConvoyError('ERR_CONVOY_CONFLICT', `memory storage: ${message}`)
  const handle = (mine: LockHolder): StorageLock => ({
    assertHeld: () => later(() => {
      if (holder !== mine) throw conflict(`the lock for "${mine.purpose}" is no longer ours`)
    }),
    release: () => later(() => {
      if (holder === mine) holder = undefined
    }),
  })
  return {
    async lock({ purpose, timeoutMs = 0, onNotice }: StorageLockOptions) {
      const deadline = Date.now() + timeoutMs
      // Bounded by the deadline: every round sleeps, and the last one ends at it.
      for (let told = false; ; ) {
        if (holder === undefined) {
          const mine: LockHolder = { purpose, since: new Date() }
          holder = mine
          return handle(mine)
        }
        const left = deadline - Date.now()
        if (left <= 0) throw conflict(`locked for "${holder.purpose}" since ${holder.since.toISOString()}`)
        if (!told) onNotice?.(`memory storage: waiting for the lock held for "${holder.purpose}"`)
        told = true
        await sleep(Math.min(10, left))
      }
    },
    removeLeftovers: () => later(() => []),
  }
}

export function createMemoryStorage(): Storage {
  const objects = new Map<string, StoredObject>()
  let writes = 0
  const entryOf = (path: string, object: StoredObject): StorageEntry => ({
    path,
    size: object.bytes.byteLength,
    lastModified: object.lastModified,
  })

  return {
    name: 'memory',
    capabilities: { atomicWrites: true, conditionalWrites: true },
    read: (path) =>
      later(() => {
        checkPath(path)
        const object = objects.get(path)
        return object === undefined ? null : Uint8Array.from(object.bytes)
      }),
    readStream: (path) =>
      later(() => {
        checkPath(path)
        const object = objects.get(path)
        return object === undefined ? null : Readable.from([Buffer.from(object.bytes)], { objectMode: false })
      }),
    readVersioned: (path) =>
      later(() => {
        checkPath(path)
        const object = objects.get(path)
        return object === undefined ? null : { body: Uint8Array.from(object.bytes), version: object.version }
      }),
    async write(path, body, options = {}) {
      checkPath(path)
      // Collect first, then check and swap in with no await in between: a write is visible all at once, and its
      // conditions hold for exactly the object it replaces.
      const bytes = await bytesOf(body)
      const existing = objects.get(path)
      if (options.ifNoneMatch === '*' && existing !== undefined) throw new ConvoyError('ERR_CONVOY_CONFLICT', `memory storage: ${path} already exists`)
      if (options.ifMatch !== undefined && existing?.version !== options.ifMatch) throw new ConvoyError('ERR_CONVOY_CONFLICT', `memory storage: ${path} is not version ${options.ifMatch}`)
      objects.set(path, { bytes, lastModified: new Date(), version: `v${(writes += 1)}` })
    },
    exists: (path) =>
      later(() => {
        checkPath(path)
        return objects.has(path)
      }),
    stat: (path) =>
      later(() => {
        checkPath(path)
        const object = objects.get(path)
        return object === undefined ? null : entryOf(path, object)
      }),
    delete: (path) =>
      later(() => {
        checkPath(path)
        objects.delete(path)
      }),
    async *list(prefix = '') {
      for (const [path, object] of [...objects]) {
        if (path.startsWith(prefix)) yield await later(() => entryOf(path, object))
      }
    },
    url(path) {
      checkPath(path)
      return `/memory/${path.split('/').map(encodeURIComponent).join('/')}`
    },
    ...createMemoryLock(),
  }
}
