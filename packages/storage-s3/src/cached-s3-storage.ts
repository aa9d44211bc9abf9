import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Readable } from 'node:stream'
import type { Storage, StorageBody } from '@convoy/core'
import { ConvoyError } from '@convoy/errors'
import type { ObjectParams } from './headers.js'
import { createLocalCache } from './local-cache.js'
import { checkPath } from './paths.js'
import { bodyChunks } from '@convoy/manifest'
import { asBuffer, createS3Backend, type S3StorageOptions } from './s3-backend.js'
import { bytesOf, paramsFor, storageOn } from './s3-storage.js'

/** Options of `createCachedS3Storage()`: those of `createS3Storage()` plus the local directory. */
export interface CachedS3StorageOptions extends S3StorageOptions {
  /** Where the local copies live; resolved against the working directory. Several storages may share one. */
  readonly cacheDir: string
}

function isImmutable(cacheControl: string | undefined): boolean {
  return cacheControl !== undefined && /(?:^|[\s,])immutable(?:$|[\s,])/i.test(cacheControl)
}

/**
 * `createS3Storage()` plus a local copy of every object written or read, so re-reads (carpool bundling, the manifest
 * read at start-up) never download again. Writes go to S3, then to the local copy. Reads use the local copy: as it is
 * for content-addressed objects (`Cache-Control: … immutable`), and after a conditional GET (`If-None-Match`, answered
 * `304 Not Modified` without a body) for the others, which another deploy may have replaced. An object that is not
 * in the cache is downloaded once. `stat`, `exists` and `list` ask S3.
 *
 * @example
 * import { createCachedS3Storage } from '@convoy/storage-s3'
 *
 * const storage = createCachedS3Storage({ bucket: 'my-assets', prefix: 'static', cacheDir: '.convoy/s3-cache' })
 * await storage.read('CARPOOL/css/0a1b2c3d4e5f.cmin.css') // downloaded once, then read from .convoy/s3-cache
 */
export function createCachedS3Storage(options: CachedS3StorageOptions): Storage {
  const cacheDir = (options as Partial<CachedS3StorageOptions> | null)?.cacheDir
  if (typeof cacheDir !== 'string' || cacheDir.trim() === '') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-s3: `cacheDir` must be the path of a directory for the local copies, e.g. ".convoy/s3-cache"')
  }
  const backend = createS3Backend(options)
  const cache = createLocalCache(resolve(cacheDir), backend.identity)
  const { failure } = backend

  /** The object's bytes from the cache, checked against S3 unless content-addressed; downloads it when needed. */
  const read = async (path: string): Promise<Uint8Array | null> => {
    const cached = await cache.read(path)
    if (cached?.meta.immutable === true) return cached.bytes
    const result = await backend.get(path, cached?.meta.etag)
    if (result.status === 'not-modified' && cached !== null) return cached.bytes
    if (result.status !== 'found') {
      if (cached !== null) await cache.remove(path)
      return null
    }
    const bytes = await bytesOf(result.body)
    await cache.store({ path, etag: result.etag, immutable: isImmutable(result.cacheControl) }, bytes)
    return bytes
  }

  const readStream = async (path: string): Promise<Readable | null> => {
    const cached = await cache.open(path)
    if (cached?.meta.immutable === true) return cached.stream
    const result = await backend.get(path, cached?.meta.etag)
    if (result.status === 'not-modified' && cached !== null) return cached.stream
    cached?.stream.destroy()
    if (result.status !== 'found') {
      if (cached !== null) await cache.remove(path)
      return null
    }
    // Downloaded into the cache first, then streamed from the local copy.
    const spool = await cache.spool(result.body as AsyncIterable<Uint8Array>)
    return cache.commit(spool, { path, etag: result.etag, immutable: isImmutable(result.cacheControl) }, true)
  }

  const write = async (path: string, body: StorageBody, params: ObjectParams): Promise<void> => {
    const meta = (etag: string | undefined) => ({ path, etag, immutable: isImmutable(params.CacheControl) })
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : asBuffer(body)
      const { etag } = await backend.put(path, bytes, params)
      await storeOrForget(path, () => cache.store(meta(etag), bytes))
      return
    }
    // A stream is read once, into a temporary file of the cache, then uploaded from there: S3 and the copy get the
    // same bytes, and a body that fails midway uploads nothing.
    let spool
    try {
      spool = await cache.spool(bodyChunks(body))
    } catch (error) {
      body.destroy()
      throw error
    }
    try {
      const source = spool.size <= backend.partSize ? await readFile(spool.file) : createReadStream(spool.file)
      const { etag } = await backend.put(path, source, params)
      await storeOrForget(path, () => cache.commit(spool, meta(etag)))
    } finally {
      await cache.discard(spool)
    }
  }

  /** A copy that could not be updated must not outlive the object it stood for. */
  const storeOrForget = async (path: string, store: () => Promise<unknown>): Promise<void> => {
    try {
      await store()
    } catch (error) {
      await cache.remove(path).catch(() => undefined)
      throw error
    }
  }

  return {
    ...storageOn(backend),

    async read(path) {
      checkPath(path)
      try {
        return await read(path)
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async readStream(path) {
      checkPath(path)
      try {
        return await readStream(path)
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async write(path, body, options = {}) {
      checkPath(path)
      const params = paramsFor(backend, path, options)
      try {
        await write(path, body, params)
      } catch (error) {
        throw failure('write', path, error)
      }
    },

    async delete(path) {
      checkPath(path)
      try {
        await backend.remove(path)
        await cache.remove(path)
      } catch (error) {
        throw failure('delete', path, error)
      }
    },
  }
}
