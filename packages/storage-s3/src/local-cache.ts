import { createHash, randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { BodyStreamError } from '@convoy/storage'

/** What the cache knows about its copy of an object. */
export interface CacheMeta {
  readonly path: string
  /** The object's ETag in S3 when this copy was made, to ask S3 whether it changed. */
  readonly etag: string | undefined
  /** Content-addressed (its Cache-Control says `immutable`): the copy is used without asking S3. */
  readonly immutable: boolean
}

/** A body written to a temporary file, not yet in the cache. */
export interface Spool {
  readonly file: string
  readonly size: number
}

/** A failure of the local disk, so messages can tell it from an S3 failure. */
export class CacheError extends Error {
  constructor(directory: string, cause: unknown) {
    super(`the local cache in ${directory} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

// Each cache file is the object's bytes, then a trailer: the metadata as JSON, its length (uint32) and a magic.
// One file holds both, so a rename swaps bytes and metadata together; a truncated file has no valid trailer.
const MAGIC = Buffer.from('CVYS3C01')
const TAIL = 4 + MAGIC.byteLength

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR'])

function isMissing(error: unknown): boolean {
  return MISSING.has((error as { code?: string } | null)?.code ?? '')
}

function trailerOf(meta: CacheMeta): Buffer {
  const json = Buffer.from(JSON.stringify({ path: meta.path, etag: meta.etag ?? null, immutable: meta.immutable }), 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(json.byteLength)
  return Buffer.concat([json, length, MAGIC])
}

/** The metadata and the data length of a cache file from its last bytes, or `undefined` when they are not valid. */
function parseTrailer(tail: Buffer, fileSize: number, path: string): { meta: CacheMeta; dataLength: number } | undefined {
  if (tail.byteLength < TAIL || !tail.subarray(tail.byteLength - MAGIC.byteLength).equals(MAGIC)) return undefined
  const jsonLength = tail.readUInt32BE(tail.byteLength - TAIL)
  const dataLength = fileSize - TAIL - jsonLength
  if (dataLength < 0 || tail.byteLength < TAIL + jsonLength) return undefined
  try {
    const json = JSON.parse(tail.subarray(tail.byteLength - TAIL - jsonLength, tail.byteLength - TAIL).toString('utf8')) as { path?: unknown; etag?: unknown; immutable?: unknown }
    // Another path with the same hash is out of reach in practice; checking it costs nothing.
    if (json.path !== path) return undefined
    return { meta: { path, etag: typeof json.etag === 'string' ? json.etag : undefined, immutable: json.immutable === true }, dataLength }
  } catch {
    return undefined
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
    offset += bytesWritten
  }
}

/** The local copies of one storage's objects, under `directory`; every change is a rename, so readers never see half. */
export interface LocalCache {
  readonly directory: string
  /** The copy's bytes and metadata, or `null` when there is none (or it is damaged). */
  read(path: string): Promise<{ meta: CacheMeta; bytes: Uint8Array } | null>
  /** A stream of the copy and its metadata, or `null`. */
  open(path: string): Promise<{ meta: CacheMeta; stream: Readable } | null>
  /** Writes a body to a temporary file; the caller commits or discards it. */
  spool(source: AsyncIterable<Uint8Array>): Promise<Spool>
  /** Makes a spooled body the copy of `path`, and gives a stream of it (opened before the rename, so it is this one). */
  commit(spool: Spool, meta: CacheMeta, openStream: true): Promise<Readable>
  commit(spool: Spool, meta: CacheMeta, openStream?: false): Promise<undefined>
  discard(spool: Spool): Promise<void>
  store(meta: CacheMeta, bytes: Uint8Array): Promise<void>
  remove(path: string): Promise<void>
}

/** A cache of the objects of the storage named by `identity` (bucket, prefix, endpoint) in `directory`. */
export function createLocalCache(directory: string, identity: string): LocalCache {
  const temp = join(directory, 'tmp')
  const fileOf = (path: string): { folder: string; file: string } => {
    const hash = createHash('sha256').update(identity).update('\0').update(path).digest('hex')
    const folder = join(directory, 'objects', hash.slice(0, 2))
    return { folder, file: join(folder, hash) }
  }
  const disk = async <T>(task: () => Promise<T>): Promise<T> => {
    try {
      return await task()
    } catch (error) {
      if (error instanceof BodyStreamError || error instanceof CacheError) throw error
      throw new CacheError(directory, error)
    }
  }
  const newTemp = async (): Promise<string> => {
    await mkdir(temp, { recursive: true })
    return join(temp, randomBytes(8).toString('hex'))
  }
  const place = async (tempFile: string, path: string): Promise<void> => {
    const { folder, file } = fileOf(path)
    await mkdir(folder, { recursive: true })
    await rename(tempFile, file)
  }

  /** An open handle on the copy with its trailer read, or `null`. */
  const openCopy = async (path: string): Promise<{ handle: FileHandle; meta: CacheMeta; dataLength: number } | null> => {
    let handle: FileHandle
    try {
      handle = await open(fileOf(path).file, 'r')
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
    try {
      const { size } = await handle.stat()
      const want = Math.min(size, 64 * 1024)
      const tail = Buffer.alloc(want)
      await handle.read(tail, 0, want, size - want)
      const parsed = parseTrailer(tail, size, path)
      if (parsed !== undefined) return { handle, ...parsed }
    } catch (error) {
      await handle.close()
      throw error
    }
    await handle.close()
    return null
  }

  const streamOf = async (handle: FileHandle, dataLength: number): Promise<Readable> => {
    if (dataLength === 0) {
      await handle.close()
      return Readable.from([])
    }
    return handle.createReadStream({ start: 0, end: dataLength - 1 })
  }

  const discard = async (spool: Spool): Promise<void> => {
    await unlink(spool.file).catch(() => undefined)
  }

  async function commit(spool: Spool, meta: CacheMeta, openStream: true): Promise<Readable>
  async function commit(spool: Spool, meta: CacheMeta, openStream?: false): Promise<undefined>
  async function commit(spool: Spool, meta: CacheMeta, openStream = false): Promise<Readable | undefined> {
    return disk(async () => {
      let handle: FileHandle | undefined
      try {
        const writer = await open(spool.file, 'a')
        try {
          await writeAll(writer, trailerOf(meta))
        } finally {
          await writer.close()
        }
        if (openStream) handle = await open(spool.file, 'r')
        await place(spool.file, meta.path)
      } catch (error) {
        await handle?.close()
        await discard(spool)
        throw error
      }
      return handle === undefined ? undefined : streamOf(handle, spool.size)
    })
  }

  return {
    directory,

    read: (path) =>
      disk(async () => {
        let bytes: Buffer
        try {
          bytes = await readFile(fileOf(path).file)
        } catch (error) {
          if (isMissing(error)) return null
          throw error
        }
        const parsed = parseTrailer(bytes.subarray(Math.max(0, bytes.byteLength - 64 * 1024)), bytes.byteLength, path)
        if (parsed === undefined) return null
        return { meta: parsed.meta, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, parsed.dataLength) }
      }),

    open: (path) =>
      disk(async () => {
        const copy = await openCopy(path)
        return copy === null ? null : { meta: copy.meta, stream: await streamOf(copy.handle, copy.dataLength) }
      }),

    // Not wrapped as a whole: a failing source (the caller's stream, a download) keeps its own error.
    spool: async (source) => {
      const file = await disk(newTemp)
      const handle = await disk(() => open(file, 'wx'))
      let size = 0
      try {
        for await (const chunk of source) {
          await disk(() => writeAll(handle, chunk))
          size += chunk.byteLength
        }
      } catch (error) {
        await handle.close().catch(() => undefined)
        await unlink(file).catch(() => undefined)
        throw error
      }
      await disk(() => handle.close())
      return { file, size }
    },

    commit,
    discard,

    store: (meta, bytes) =>
      disk(async () => {
        const file = await newTemp()
        try {
          const handle = await open(file, 'wx')
          try {
            await writeAll(handle, bytes)
            await writeAll(handle, trailerOf(meta))
          } finally {
            await handle.close()
          }
          await place(file, meta.path)
        } catch (error) {
          await unlink(file).catch(() => undefined)
          throw error
        }
      }),

    remove: (path) =>
      disk(async () => {
        try {
          await unlink(fileOf(path).file)
        } catch (error) {
          if (!isMissing(error)) throw error
        }
      }),
  }
}
