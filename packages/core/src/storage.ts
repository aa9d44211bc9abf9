import type { Readable } from 'node:stream'

/** What a storage write carries besides the bytes. Storages that keep metadata (S3) store it; others may ignore it. */
export interface StorageWriteOptions {
  /** MIME type of the object, e.g. `text/css; charset=utf-8`. For `.gz`/`.br` siblings: the inner file's type. */
  readonly contentType?: string
  /** `gzip` or `br` for precompressed siblings. */
  readonly contentEncoding?: 'gzip' | 'br'
  /** `Cache-Control` to serve the object with, e.g. `public, max-age=31536000, immutable`. */
  readonly cacheControl?: string
}

/** The bytes of a write: a buffer, text (written as UTF-8) or a stream (consumed once). */
export type StorageBody = Uint8Array | string | Readable

/** One stored object. */
export interface StorageEntry {
  /** Path relative to the storage root, `/`-separated, no leading slash. */
  readonly path: string
  readonly size: number
  /** When the object was last written, when the backend knows it. */
  readonly lastModified?: Date
}

/** Optional abilities a storage declares, so callers can choose a faster path without probing. */
export interface StorageCapabilities {
  /** A write becomes visible all at once (never half-written), so readers can never see a partial object. */
  readonly atomicWrites: boolean
  /** The absolute directory that holds the objects, when they live on the local disk (servers can stream from it). */
  readonly localDirectory?: string
}

/**
 * Where Convoy keeps its outputs: a local directory, an S3 bucket, or anything else that follows this contract.
 *
 * Paths are relative, `/`-separated and never contain `..`, empty or `.` segments, backslashes or NUL;
 * an implementation rejects such a path with `ERR_CONVOY_STORAGE_PATH`.
 * Every implementation passes `@convoy/storage-test-suite`.
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
  /** The public URL of an object, from the storage's own base URL (e.g. `/static/` or a bucket URL). */
  url(path: string): string
}
