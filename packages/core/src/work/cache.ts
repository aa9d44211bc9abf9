import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * A persistent cache of task outputs, keyed by everything the output depends on (input bytes, engine versions,
 * options). One file per entry: `<dir>/<key[0..2]>/<key>`, holding the parts length-prefixed. Written atomically, so
 * a crash leaves an entry whole or absent; an unreadable entry is a miss.
 */
export interface TaskCache {
  get(key: string): Promise<Uint8Array[] | undefined>
  set(key: string, parts: readonly Uint8Array[]): Promise<void>
}

export function createDiskCache(directory: string): TaskCache {
  const pathOf = (key: string): string => join(directory, key.slice(0, 2), key)
  // Each of the 256 shard folders is made once per process, not once per entry.
  const made = new Set<string>()
  return {
    async get(key) {
      let bytes: Buffer
      try {
        bytes = await readFile(pathOf(key))
      } catch {
        return undefined
      }
      return decode(bytes)
    },
    async set(key, parts) {
      const path = pathOf(key)
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
      const shard = key.slice(0, 2)
      try {
        if (!made.has(shard)) {
          await mkdir(join(directory, shard), { recursive: true })
          made.add(shard)
        }
        await writeFile(temporary, encode(parts))
        await rename(temporary, path)
      } catch {
        // A cache that cannot be written only costs speed next time; the run itself goes on.
        made.delete(shard) // the folder may have been removed meanwhile: made again on the next write
        await rm(temporary, { force: true })
      }
    },
  }
}

/** No cache at all (`cache: false`). */
export const NO_CACHE: TaskCache = { get: () => Promise.resolve(undefined), set: () => Promise.resolve() }

function encode(parts: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(4 + 4 * parts.length)
  header.writeUInt32LE(parts.length, 0)
  parts.forEach((part, index) => header.writeUInt32LE(part.byteLength, 4 + 4 * index))
  return Buffer.concat([header, ...parts])
}

function decode(bytes: Buffer): Uint8Array[] | undefined {
  if (bytes.byteLength < 4) return undefined
  const count = bytes.readUInt32LE(0)
  let offset = 4 + 4 * count
  if (offset > bytes.byteLength) return undefined
  const parts: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    const length = bytes.readUInt32LE(4 + 4 * index)
    if (offset + length > bytes.byteLength) return undefined
    parts.push(bytes.subarray(offset, offset + length))
    offset += length
  }
  return offset === bytes.byteLength ? parts : undefined
}
