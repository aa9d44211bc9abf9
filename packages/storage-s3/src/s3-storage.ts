import type { Storage, StorageBody, StorageEntry, StorageWriteOptions, VersionedObject } from '@convoy/storage'
import { objectHeaders, toParams, type ObjectParams } from './headers.js'
import { checkPath } from './paths.js'
import { createS3Backend, type S3Backend, type S3StorageOptions, type WriteConditions } from './s3-backend.js'

/** Reads a whole response body. */
export async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

/** The conditions of a write, checked: `ifMatch` a non-empty version, `ifNoneMatch` only `'*'`. */
export function conditionsOf(options: StorageWriteOptions): WriteConditions {
  const { ifMatch, ifNoneMatch } = options
  if (ifMatch !== undefined && (typeof ifMatch !== 'string' || ifMatch === '')) {
    throw new TypeError(`\`ifMatch\` must be a version from readVersioned(), e.g. '"25b23dfca187e0c2b3e4a1c2d3e4f5a6"'; got ${JSON.stringify(ifMatch)}`)
  }
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw new TypeError(`\`ifNoneMatch\` can only be '*'; got ${JSON.stringify(ifNoneMatch)}`)
  return { ...(ifMatch === undefined ? {} : { ifMatch }), ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }) }
}

/** The object and its ETag from one GetObject, so the two always belong together. */
export async function readVersionedFrom(backend: S3Backend, path: string): Promise<VersionedObject | null> {
  const result = await backend.getWhole(path, bytesOf)
  if (result.status !== 'found') return null
  if (result.etag === undefined) throw new Error('the service gave the object no ETag, so it cannot be written conditionally')
  return { body: result.value, version: result.etag }
}

/** The PutObject headers of one write: a fresh object each time. */
export function paramsFor(backend: S3Backend, path: string, options: StorageWriteOptions): ObjectParams {
  return toParams(objectHeaders(path, options, backend.headers))
}

/**
 * A `Storage` on an S3 bucket, or on any S3-compatible service (R2, MinIO, Ceph…), under an optional key prefix.
 *
 * Every object gets its headers from the write (`contentType`, `contentEncoding`, `cacheControl`, which
 * `convoy collect` sets right for each output), else from its extension (a `.gz`/`.br` sibling: the inner file's type
 * and its encoding), plus your `headers`. `list()` is one paginated ListObjectsV2 walk, which is how `collect` learns
 * in one go what is already uploaded. A PUT is atomic on S3, so `capabilities.atomicWrites` is `true`; S3's
 * conditional writes (`If-Match`, `If-None-Match: *`) make `capabilities.conditionalWrites` `true`, so two deploys
 * never silently replace each other's manifest. Every request has timeouts and is retried with backoff and jitter.
 * `@aws-sdk/client-s3` is loaded on first use.
 *
 * @example
 * // convoy.config.mjs
 * import { defineConfig } from '@convoy/core'
 * import { createS3Storage } from '@convoy/storage-s3'
 *
 * export default defineConfig({
 *   sources: ['static'],
 *   storage: createS3Storage({ bucket: 'my-assets', prefix: 'static', region: 'eu-west-1', publicUrl: 'https://cdn.example.com/static/' }),
 * })
 */
export function createS3Storage(options: S3StorageOptions): Storage {
  return storageOn(createS3Backend(options))
}

/** The storage over a prepared backend; the cached variant replaces some of its operations. */
export function storageOn(backend: S3Backend): Storage {
  const { failure } = backend
  const stat = async (path: string): Promise<StorageEntry | null> => {
    checkPath(path)
    try {
      return await backend.head(path)
    } catch (error) {
      throw failure('stat', path, error)
    }
  }
  return {
    name: backend.name,
    capabilities: { atomicWrites: true, conditionalWrites: true },

    async read(path) {
      checkPath(path)
      try {
        const result = await backend.getWhole(path, bytesOf)
        return result.status === 'found' ? result.value : null
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async readVersioned(path) {
      checkPath(path)
      try {
        return await readVersionedFrom(backend, path)
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async readStream(path) {
      checkPath(path)
      try {
        const result = await backend.get(path)
        return result.status === 'found' ? result.body : null
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async write(path: string, body: StorageBody, options: StorageWriteOptions = {}) {
      checkPath(path)
      const params = paramsFor(backend, path, options)
      try {
        await backend.put(path, body, params, conditionsOf(options))
      } catch (error) {
        throw failure('write', path, error)
      }
    },

    exists: async (path) => (await stat(path)) !== null,
    stat,

    async delete(path) {
      checkPath(path)
      try {
        await backend.remove(path)
      } catch (error) {
        throw failure('delete', path, error)
      }
    },

    async *list(prefix = '') {
      try {
        yield* backend.list(prefix)
      } catch (error) {
        throw failure('list', prefix === '' ? 'objects' : `objects under ${JSON.stringify(prefix)}`, error)
      }
    },

    url: (path) => backend.url(path),
  }
}
