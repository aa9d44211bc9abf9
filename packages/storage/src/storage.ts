import type { Readable } from 'node:stream'
import type { ContentEncoding, DeltaEncoding } from './content-encodings.js'

/**
 * What a storage write carries besides the bytes. Storages that keep metadata (S3) store it; others may ignore it.
 *
 * @example
 * await storage.write('css/base.25b23dfca187.css.gz', gzipped, {
 *   contentType: contentTypeOf('css/base.25b23dfca187.css.gz'), // 'text/css; charset=utf-8'
 *   contentEncoding: 'gzip',
 *   cacheControl: IMMUTABLE_CACHE_CONTROL,
 * })
 */
export interface StorageWriteOptions {
  /** MIME type of the object, e.g. `text/css; charset=utf-8`. For siblings and deltas: the type of the file inside. */
  readonly contentType?: string
  /**
   * For precompressed siblings, their encoding: a name in `CONTENT_ENCODINGS` (`gzip`, `br`, `zstd`); for deltas, a
   * name in `DELTA_ENCODINGS` (`dcb`, `dcz`).
   */
  readonly contentEncoding?: ContentEncoding | DeltaEncoding
  /** `Cache-Control` to serve the object with, e.g. `public, max-age=31536000, immutable`. */
  readonly cacheControl?: string
  /**
   * Write only if the object's current version is this one (a `version` from `readVersioned()`), atomically on the
   * backend; otherwise throw `ERR_CONVOY_CONFLICT` and write nothing. Only for storages with `conditionalWrites`.
   */
  readonly ifMatch?: string
  /** `'*'`: write only if no object exists at the path, atomically; otherwise throw `ERR_CONVOY_CONFLICT`. Only with `conditionalWrites`. */
  readonly ifNoneMatch?: '*'
}

/**
 * The bytes of a write: a buffer, text (written as UTF-8) or a stream (consumed once).
 *
 * @example
 * await storage.write('a.txt', 'hello')
 * await storage.write('b.bin', new Uint8Array([1, 2, 3]))
 * await storage.write('c.mp4', createReadStream('video.mp4'))
 */
export type StorageBody = Uint8Array | string | Readable

/**
 * One stored object.
 *
 * @example
 * for await (const entry of storage.list('css/')) console.log(entry.path, entry.size, entry.lastModified)
 */
export interface StorageEntry {
  /** Path relative to the storage root, `/`-separated, no leading slash. */
  readonly path: string
  readonly size: number
  /** When the object was last written, when the backend knows it. */
  readonly lastModified?: Date
}

/**
 * Optional abilities a storage declares, so callers can choose a faster path without probing.
 *
 * @example
 * if (storage.capabilities.localDirectory !== undefined) serveFromDisk(storage.capabilities.localDirectory)
 */
export interface StorageCapabilities {
  /** A write becomes visible all at once (never half-written), so readers can never see a partial object. */
  readonly atomicWrites: boolean
  /** The absolute directory that holds the objects, when they live on the local disk (servers can stream from it). */
  readonly localDirectory?: string
  /**
   * `readVersioned()` exists and `write()` honours `ifMatch` / `ifNoneMatch` atomically (S3 conditional writes), so a
   * deploy can publish its manifest only if nobody else did meanwhile.
   */
  readonly conditionalWrites?: boolean
}

/**
 * An object's bytes with the version a conditional write compares against (an S3 ETag).
 *
 * @example
 * const current = await storage.readVersioned?.('convoy-manifest.json')
 * await storage.write('convoy-manifest.json', next, current ? { ifMatch: current.version } : { ifNoneMatch: '*' })
 */
export interface VersionedObject {
  readonly body: Uint8Array
  readonly version: string
}

/**
 * What {@link Storage.lock} is told.
 *
 * @example
 * const lock = await storage.lock?.({ purpose: 'convoy collect', timeoutMs: 30_000, onNotice: console.warn })
 */
export interface StorageLockOptions {
  /** What the holder does, shown to whoever waits for the lock, e.g. `convoy collect`. */
  readonly purpose: string
  /** How long to wait while another live process holds the lock before throwing `ERR_CONVOY_CONFLICT`. Default `0`. */
  readonly timeoutMs?: number
  /** Told once when the lock is busy (and we wait), and when a stale lock of a dead process is taken over. */
  readonly onNotice?: (message: string) => void
}

/**
 * An exclusive lock over a whole storage, held by one deploy (or clean) at a time.
 *
 * @example
 * const lock = await storage.lock({ purpose: 'convoy clean' })
 * try {
 *   await lock.assertHeld()
 *   await storage.delete('css/base.0123456789ab.css')
 * } finally {
 *   await lock.release()
 * }
 */
export interface StorageLock {
  /** Throws `ERR_CONVOY_CONFLICT` unless the lock is still ours on the storage (not taken over meanwhile). */
  assertHeld(): Promise<void>
  /** Gives the lock up; releasing twice, or a lock already taken over, is not an error. */
  release(): Promise<void>
}

/**
 * Where Convoy keeps its outputs: a local directory, an S3 bucket, or anything else that follows this contract.
 *
 * Paths are relative, `/`-separated and never contain `..`, empty or `.` segments, backslashes or NUL
 * (the rules of `storagePathProblem()`); an implementation rejects such a path with `ERR_CONVOY_STORAGE_PATH`.
 * Every implementation passes `@convoy/storage-test-suite`.
 *
 * @example
 * import type { Storage } from '@convoy/storage'
 *
 * async function publish(storage: Storage, path: string, bytes: Uint8Array): Promise<string> {
 *   if (!(await storage.exists(path))) await storage.write(path, bytes, { contentType: contentTypeOf(path) })
 *   return storage.url(path)
 * }
 */
export interface Storage {
  /** Short name for messages, e.g. `fs:/srv/static` or `s3://bucket/prefix`. */
  readonly name: string
  readonly capabilities: StorageCapabilities
  /** The whole object, or `null` when there is none. */
  read(path: string): Promise<Uint8Array | null>
  /** A stream of the object, or `null` when there is none. */
  readStream(path: string): Promise<Readable | null>
  /** Writes (or replaces) an object; atomic where `capabilities.atomicWrites` says so. */
  write(path: string, body: StorageBody, options?: StorageWriteOptions): Promise<void>
  exists(path: string): Promise<boolean>
  /** Size and time of an object, or `null` when there is none. */
  stat(path: string): Promise<StorageEntry | null>
  /** Deletes an object; deleting a missing object is not an error. */
  delete(path: string): Promise<void>
  /** Every object whose path starts with `prefix` (default: all), in no particular order. */
  list(prefix?: string): AsyncIterable<StorageEntry>
  /**
   * Optional: the same paths as `list(prefix)`, without their sizes and times, for callers that need only the names
   * (`collect` checking what is already stored). Worth having where each size costs a request or a stat per object,
   * as on a local disk; callers use `list()` when it is absent.
   */
  listPaths?(prefix?: string): AsyncIterable<string>
  /** The public URL of an object, from the storage's own base URL (e.g. `/static/` or a bucket URL). */
  url(path: string): string
  /** With `capabilities.conditionalWrites`: the object and its version, or `null` when there is none. */
  readVersioned?(path: string): Promise<VersionedObject | null>
  /**
   * Optional: takes the storage's exclusive lock (a lock file on a local disk). A lock left by a dead process on this
   * host is taken over with a notice; one held by a live process is waited for up to `timeoutMs`.
   */
  lock?(options: StorageLockOptions): Promise<StorageLock>
  /**
   * Optional: removes what writers that died left behind (temporary files of interrupted writes), never what a live
   * process is still writing. Returns the paths removed.
   */
  removeLeftovers?(): Promise<readonly string[]>
}
