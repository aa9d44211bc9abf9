import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { bodyChunks, type Storage, type StorageBody, type VersionedObject } from '@convoy/storage'
import type { ObjectParams } from './headers.js'
import { createLocalCache } from './local-cache.js'
import { checkPath } from './paths.js'
import { asBuffer, createS3Backend, type S3StorageOptions, type WriteConditions } from './s3-backend.js'
import { bytesOf, conditionsOf, paramsFor, storageOn } from './s3-storage.js'

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
 * in the cache is downloaded once. `stat`, `exists` and `list` ask S3. `readVersioned` always asks S3 (a conditional
 * GET, so an unchanged object is not downloaded again), and conditional writes are S3's, as in `createS3Storage()`.
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
    return (await revalidate(path, cached))?.body ?? null
  }

  /** Asks S3 whether the copy is current (one conditional GetObject); downloads the object when it is not. */
  const revalidate = async (path: string, cached: Awaited<ReturnType<typeof cache.read>>): Promise<{ body: Uint8Array; etag: string | undefined } | null> => {
    const result = await backend.getWhole(path, bytesOf, cached?.meta.etag)
    if (result.status === 'not-modified' && cached !== null) return { body: cached.bytes, etag: cached.meta.etag }
    if (result.status !== 'found') {
      if (cached !== null) await cache.remove(path)
      return null
    }
    await cache.store({ path, etag: result.etag, immutable: isImmutable(result.cacheControl) }, result.value)
    return { body: result.value, etag: result.etag }
  }

  const readVersioned = async (path: string): Promise<VersionedObject | null> => {
    // Never the copy alone, even of an immutable object: the version must be the one S3 holds now.
    const current = await revalidate(path, await cache.read(path))
    if (current === null) return null
    if (current.etag === undefined) throw new Error('the service gave the object no ETag, so it cannot be written conditionally')
    return { body: current.body, version: current.etag }
  }

  const readStream = async (path: string): Promise<Readable | null> => {
    const cached = await cache.open(path)
    if (cached?.meta.immutable === true) return cached.stream
    // Downloaded into the cache first (again from the start when the download breaks midway), then streamed from the
    // local copy.
    const result = await backend.getWhole(path, (body) => cache.spool(body), cached?.meta.etag)
    if (result.status === 'not-modified' && cached !== null) return cached.stream
    cached?.stream.destroy()
    if (result.status !== 'found') {
      if (cached !== null) await cache.remove(path)
      return null
    }
    return cache.commit(result.value, { path, etag: result.etag, immutable: isImmutable(result.cacheControl) }, true)
  }

  const write = async (path: string, body: StorageBody, params: ObjectParams, conditions: WriteConditions): Promise<void> => {
    const meta = (etag: string | undefined) => ({ path, etag, immutable: isImmutable(params.CacheControl) })
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : asBuffer(body)
      const { etag } = await backend.put(path, bytes, params, conditions)
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
      const conditional = conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined
      const source = spool.size <= backend.partSize || conditional ? await readFile(spool.file) : createReadStream(spool.file)
      const { etag } = await backend.put(path, source, params, conditions)
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

    async readVersioned(path) {
      checkPath(path)
      try {
        return await readVersioned(path)
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async write(path, body, options = {}) {
      checkPath(path)
      const params = paramsFor(backend, path, options)
      try {
        await write(path, body, params, conditionsOf(options))
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
