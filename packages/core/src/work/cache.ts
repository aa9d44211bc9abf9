import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * A persistent cache of task outputs, keyed by everything the output depends on (input bytes, engine versions,
 * options). An unreadable or damaged entry is a miss: the cache only ever costs speed, never correctness.
 */
export interface TaskCache {
  get(key: string): Promise<Uint8Array[] | undefined>
  set(key: string, parts: readonly Uint8Array[]): Promise<void>
}

/** The folder of pack files inside the cache directory. */
export const PACK_FOLDER = 'packs'
const RECORD_MAGIC = 0x31505643 // 'CVP1'
const INDEX_MAGIC = 0x31495643 // 'CVI1'
/** An index record: magic, SHA-256 of the key, the record's offset (48 bits) and length in its pack. */
const INDEX_RECORD_BYTES = 48
/** A pack record: magic, key length, body length, key, body, then the SHA-1 of key and body. */
const RECORD_HEADER_BYTES = 12
const CHECKSUM_BYTES = 20

interface Located {
  readonly pack: string
  readonly offset: number
  readonly length: number
}

/**
 * A cache on disk. Entries are appended to pack files, one pair per process: `<dir>/packs/<pid>-<random>.pack` holds
 * the records (key, body, checksum) and `….idx` the fixed-size index records that point at them. A cold run of 10k
 * files used to create 16k small files (and an inode each, the dearest part of a small write on ext4); now it appends
 * to two, many entries per write. Entries written by one flush reach the index only after their records, so a reader
 * (another process, or a crash halfway) sees an entry whole or not at all; every record is checked (key, lengths,
 * checksum) when read. Entries of the older layout, one file per entry at `<dir>/<key[0..2]>/<key>`, are still read.
 */
export function createDiskCache(directory: string): TaskCache {
  const packs = join(directory, PACK_FOLDER)
  let located: Promise<Map<string, Located>> | undefined
  /** Whether the directory has folders of the one-file-per-entry layout, read as a fallback. */
  let legacy = false
  const load = (): Promise<Map<string, Located>> =>
    (located ??= (async () => {
      const found = new Map<string, Located>()
      const names = await readdir(directory).catch(() => [] as string[])
      legacy = names.some((name) => /^[0-9a-f]{2}$/.test(name))
      const files = (await readdir(packs).catch(() => [] as string[])).filter((name) => name.endsWith('.idx')).sort()
      for (const name of files) {
        const bytes = await readFile(join(packs, name)).catch(() => undefined)
        if (bytes === undefined) continue
        const pack = join(packs, `${name.slice(0, -'.idx'.length)}.pack`)
        // A torn or zero-filled tail (a crash between writes) ends at the first record that is not whole.
        for (let at = 0; at + INDEX_RECORD_BYTES <= bytes.byteLength; at += INDEX_RECORD_BYTES) {
          if (bytes.readUInt32LE(at) !== INDEX_MAGIC) break
          found.set(bytes.toString('hex', at + 4, at + 36), { pack, offset: bytes.readUIntLE(at + 36, 6), length: bytes.readUInt32LE(at + 44) })
        }
      }
      return found
    })())
  const writer = createPackWriter(packs, async (entries) => {
    // Entries of this process are found by its own later lookups (a bundle stage asking for what a file stage cached).
    if (located === undefined) return
    const map = await located
    for (const [digest, entry] of entries) map.set(digest, entry)
  })

  return {
    async get(key) {
      const digest = digestOf(key)
      const entry = (await load()).get(digest)
      if (entry !== undefined) {
        const body = await readRecord(entry, key).catch(() => undefined)
        if (body !== undefined) return decode(body)
      }
      if (!legacy) return undefined
      try {
        return decode(await readFile(join(directory, key.slice(0, 2), key)))
      } catch {
        return undefined
      }
    },
    async set(key, parts) {
      try {
        await writer.append(key, encode(parts))
      } catch {
        // A cache that cannot be written only costs speed next time; the run itself goes on.
      }
    },
  }
}

function digestOf(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

function checksumOf(record: Uint8Array): Buffer {
  return createHash('sha1').update(record).digest()
}

/** The body of the record at `entry`, if it is whole and holds `key`; otherwise `undefined`. */
async function readRecord(entry: Located, key: string): Promise<Buffer | undefined> {
  const handle = await open(entry.pack, 'r')
  let bytes: Buffer
  try {
    bytes = Buffer.allocUnsafe(entry.length)
    const { bytesRead } = await handle.read(bytes, 0, entry.length, entry.offset)
    if (bytesRead !== entry.length) return undefined
  } finally {
    await handle.close()
  }
  if (entry.length < RECORD_HEADER_BYTES + CHECKSUM_BYTES || bytes.readUInt32LE(0) !== RECORD_MAGIC) return undefined
  const keyLength = bytes.readUInt32LE(4)
  const bodyLength = bytes.readUInt32LE(8)
  if (RECORD_HEADER_BYTES + keyLength + bodyLength + CHECKSUM_BYTES !== entry.length) return undefined
  const end = entry.length - CHECKSUM_BYTES
  if (!checksumOf(bytes.subarray(0, end)).equals(bytes.subarray(end))) return undefined
  if (bytes.toString('utf8', RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + keyLength) !== key) return undefined
  return bytes.subarray(RECORD_HEADER_BYTES + keyLength, end)
}

/**
 * Appends records to this process's pack and index, in batches: while one batch is being written the next one
 * gathers, so a burst of entries costs a few writes, not a file each. `onWritten` learns where each entry went.
 */
function createPackWriter(folder: string, onWritten: (entries: readonly (readonly [string, Located])[]) => Promise<void>) {
  const name = `${process.pid}-${randomBytes(8).toString('hex')}`
  const pack = join(folder, `${name}.pack`)
  const index = join(folder, `${name}.idx`)
  let packSize = 0
  let indexSize = 0
  /** Whether each file exists (made by our first write to it, `wx`: the names are ours alone). */
  const created = { pack: false, index: false }
  let batch: { records: Buffer[]; keys: string[]; done: Promise<void> } | undefined
  let writing: Promise<void> = Promise.resolve()

  const writeBatch = async (records: readonly Buffer[], keys: readonly string[]): Promise<void> => {
    if (!created.pack) await mkdir(folder, { recursive: true })
    const entries: (readonly [string, Located])[] = []
    const pointers: Buffer[] = []
    let offset = packSize
    for (const [position, record] of records.entries()) {
      const digest = digestOf(keys[position]!)
      entries.push([digest, { pack, offset, length: record.byteLength }])
      const pointer = Buffer.alloc(INDEX_RECORD_BYTES)
      pointer.writeUInt32LE(INDEX_MAGIC, 0)
      pointer.write(digest, 4, 'hex')
      pointer.writeUIntLE(offset, 36, 6)
      pointer.writeUInt32LE(record.byteLength, 44)
      pointers.push(pointer)
      offset += record.byteLength
    }
    // Records first, their index records after: an index record never points at bytes not yet written.
    await writeAt(pack, !created.pack, records, packSize)
    created.pack = true
    packSize = offset
    await writeAt(index, !created.index, pointers, indexSize)
    created.index = true
    indexSize += pointers.length * INDEX_RECORD_BYTES
    await onWritten(entries)
  }

  return {
    append(key: string, body: Buffer): Promise<void> {
      const keyBytes = Buffer.from(key, 'utf8')
      const header = Buffer.alloc(RECORD_HEADER_BYTES)
      header.writeUInt32LE(RECORD_MAGIC, 0)
      header.writeUInt32LE(keyBytes.byteLength, 4)
      header.writeUInt32LE(body.byteLength, 8)
      const framed = Buffer.concat([header, keyBytes, body])
      const record = Buffer.concat([framed, checksumOf(framed)])
      if (batch === undefined) {
        const records: Buffer[] = []
        const keys: string[] = []
        // Starts once the batch before has been written (or failed), taking everything gathered meanwhile.
        const done = writing.then(() => {
          batch = undefined
          return writeBatch(records, keys)
        })
        batch = { records, keys, done }
        writing = done.catch(() => undefined)
      }
      batch.records.push(record)
      batch.keys.push(key)
      return batch.done
    },
  }
}

/** Writes `buffers` at `position` of `file` (created by the first write), then closes it: no descriptor stays open. */
async function writeAt(file: string, create: boolean, buffers: readonly Buffer[], position: number): Promise<void> {
  // Our own name: an existing file is what an earlier, failed write of ours created.
  const handle = create ? await open(file, 'wx').catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? open(file, 'r+') : Promise.reject(error))) : await open(file, 'r+')
  try {
    let at = position
    const pending = [...buffers]
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending, at)
      at += bytesWritten
      let skip = bytesWritten
      while (pending.length > 0 && skip >= pending[0]!.byteLength) skip -= pending.shift()!.byteLength
      if (skip > 0) pending[0] = pending[0]!.subarray(skip)
    }
  } finally {
    await handle.close()
  }
}

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

/** No cache at all (`cache: false`). */
export const NO_CACHE: TaskCache = { get: () => Promise.resolve(undefined), set: () => Promise.resolve() }
