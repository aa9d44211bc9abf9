// A tiny in-memory Storage, only for testing the suite itself: not exported from the package.
import { Readable } from 'node:stream'
import type { Storage, StorageBody, StorageEntry } from '@convoy/core'
import { ConvoyError } from '@convoy/errors'

interface StoredObject {
  readonly bytes: Uint8Array
  readonly lastModified: Date
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

export function createMemoryStorage(): Storage {
  const objects = new Map<string, StoredObject>()
  const entryOf = (path: string, object: StoredObject): StorageEntry => ({
    path,
    size: object.bytes.byteLength,
    lastModified: object.lastModified,
  })

  return {
    name: 'memory',
    capabilities: { atomicWrites: true },
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
    async write(path, body) {
      checkPath(path)
      // Collect first, then swap in: a write is visible all at once.
      const bytes = await bytesOf(body)
      objects.set(path, { bytes, lastModified: new Date() })
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
  }
}
