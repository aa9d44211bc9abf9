import type { Readable } from 'node:stream'
import type { Storage, StorageBody, StorageEntry, StorageWriteOptions } from '@convoy/core'
import { objectHeaders, toParams, type ObjectParams } from './headers.js'
import { checkPath } from './paths.js'
import { createS3Backend, type S3Backend, type S3StorageOptions } from './s3-backend.js'

/** Reads a whole response body. */
export async function bytesOf(body: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
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
 * in one go what is already uploaded. A PUT is atomic on S3, so `capabilities.atomicWrites` is `true`.
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
    capabilities: { atomicWrites: true },

    async read(path) {
      checkPath(path)
      try {
        const result = await backend.get(path)
        return result.status === 'found' ? await bytesOf(result.body) : null
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
        await backend.put(path, body, params)
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
