import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setTimeout } from 'node:timers/promises'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { ConvoyError } from '@convoy/errors'
import { runStorageTestSuite } from '@convoy/storage-test-suite'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type CachedS3StorageOptions, createCachedS3Storage } from './index.js'
import { BUCKET, CREDENTIALS, createTestClient, startS3Server, type TestS3Server, uniquePrefix, withoutConditionalWrites } from './test/s3-server.js'

let server: TestS3Server

beforeAll(async () => {
  server = await startS3Server()
})

afterAll(async () => {
  await server.dispose()
})

// No injected client here: the storage makes its own from endpoint, forcePathStyle and credentials.
runStorageTestSuite('storage-s3 (cached)', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'convoy-s3-cache-'))
  return {
    storage: withoutConditionalWrites(createCachedS3Storage({ bucket: BUCKET, prefix: uniquePrefix('cached'), endpoint: server.endpoint, forcePathStyle: true, credentials: CREDENTIALS, cacheDir })),
    cleanup: () => rm(cacheDir, { recursive: true, force: true }),
  }
})

const IMMUTABLE = 'public, max-age=31536000, immutable'
let cacheDir: string

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'convoy-s3-cache-only-'))
})

afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true })
})

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString('utf8')
}

async function streamed(stream: Readable | null): Promise<string | null> {
  if (stream === null) return null
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/** A cached storage and a raw client on the same prefix (the raw client plays another deploy or a person). */
function setupCached(options: { prefix?: string; cacheDir?: string } = {}) {
  const prefix = options.prefix ?? uniquePrefix('cache')
  const { client, counts } = createTestClient(server)
  // The HTTP status of every GetObject: 304 means the copy was confirmed without a download.
  const statuses: number[] = []
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'GetObjectCommand') return next(args)
      try {
        const output = await next(args)
        statuses.push(200)
        return output
      } catch (error) {
        statuses.push((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0)
        throw error
      }
    },
    { step: 'initialize', name: 'statuses' },
  )
  const storage = createCachedS3Storage({ bucket: BUCKET, prefix, client, cacheDir: options.cacheDir ?? cacheDir })
  const other = createTestClient(server).client
  const put = (path: string, body: string, cacheControl?: string) =>
    other.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}`, Body: body, ...(cacheControl === undefined ? {} : { CacheControl: cacheControl }) }))
  const remove = (path: string) => other.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}` }))
  return { prefix, storage, counts, statuses, put, remove }
}

describe('createCachedS3Storage', () => {
  it('re-reads what it wrote without downloading: content-addressed objects without asking S3 at all', async () => {
    const { storage, counts } = setupCached()
    await storage.write('css/a.0123456789ab.css', 'a{}', { cacheControl: IMMUTABLE })
    await storage.write('js/big.0123456789ab.js', Readable.from([Buffer.from('let a = 1'), Buffer.from('\n')]), { cacheControl: IMMUTABLE })
    counts.clear()
    for (let round = 0; round < 3; round++) {
      expect(text(await storage.read('css/a.0123456789ab.css'))).toBe('a{}')
      expect(await streamed(await storage.readStream('js/big.0123456789ab.js'))).toBe('let a = 1\n')
    }
    expect(Object.fromEntries(counts)).toEqual({})
  })

  it('downloads an object it has not seen once, then keeps it, also for another storage on the same cacheDir', async () => {
    const { prefix, storage, counts, put } = setupCached()
    await put('CARPOOL/css/0a1b2c3d4e5f.cmin.css', 'bundle{}', IMMUTABLE)
    expect(text(await storage.read('CARPOOL/css/0a1b2c3d4e5f.cmin.css'))).toBe('bundle{}')
    expect(await streamed(await storage.readStream('CARPOOL/css/0a1b2c3d4e5f.cmin.css'))).toBe('bundle{}')
    expect(text(await storage.read('CARPOOL/css/0a1b2c3d4e5f.cmin.css'))).toBe('bundle{}')
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 1 })
    // A later process (a new storage on the same directory) finds the copy.
    const later = setupCached({ prefix })
    expect(text(await later.storage.read('CARPOOL/css/0a1b2c3d4e5f.cmin.css'))).toBe('bundle{}')
    expect(Object.fromEntries(later.counts)).toEqual({})
  })

  it('checks other objects with a conditional GET, answered 304 without a body, and follows a replacement', async () => {
    const { storage, counts, statuses, put } = setupCached()
    await storage.write('convoy-manifest.json', '{"v":1}', { cacheControl: 'no-cache' })
    counts.clear()
    expect(text(await storage.read('convoy-manifest.json'))).toBe('{"v":1}')
    expect(await streamed(await storage.readStream('convoy-manifest.json'))).toBe('{"v":1}')
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 2 })
    expect(statuses).toEqual([304, 304])
    // Another deploy publishes a new manifest: the copy must not hide it.
    await put('convoy-manifest.json', '{"v":2}', 'no-cache')
    expect(text(await storage.read('convoy-manifest.json'))).toBe('{"v":2}')
    await put('convoy-manifest.json', '{"v":3}', 'no-cache')
    expect(await streamed(await storage.readStream('convoy-manifest.json'))).toBe('{"v":3}')
    expect(text(await storage.read('convoy-manifest.json'))).toBe('{"v":3}')
    expect(statuses).toEqual([304, 304, 200, 200, 304])
  })

  it('an object deleted elsewhere reads as missing, and delete() drops the copy', async () => {
    const { storage, put, remove } = setupCached()
    await storage.write('css/site.css', 'old', { cacheControl: 'public, max-age=60' })
    await remove('css/site.css')
    expect(await storage.read('css/site.css')).toBeNull()
    expect(await storage.readStream('css/site.css')).toBeNull()
    await storage.write('css/a.0123456789ab.css', 'a', { cacheControl: IMMUTABLE })
    await storage.delete('css/a.0123456789ab.css')
    await put('css/a.0123456789ab.css', 'written again elsewhere', IMMUTABLE)
    expect(text(await storage.read('css/a.0123456789ab.css'))).toBe('written again elsewhere')
  })

  it('keeps the objects of storages that share a cacheDir apart', async () => {
    const first = setupCached()
    const second = setupCached()
    await first.storage.write('css/a.0123456789ab.css', 'first', { cacheControl: IMMUTABLE })
    await second.storage.write('css/a.0123456789ab.css', 'second', { cacheControl: IMMUTABLE })
    expect(text(await first.storage.read('css/a.0123456789ab.css'))).toBe('first')
    expect(text(await second.storage.read('css/a.0123456789ab.css'))).toBe('second')
  })

  it('treats a damaged copy as missing and downloads the object again', async () => {
    const { storage, counts } = setupCached()
    await storage.write('css/a.0123456789ab.css', 'a{color:red}', { cacheControl: IMMUTABLE })
    const files = (await readdir(join(cacheDir, 'objects'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile())
    expect(files).toHaveLength(1)
    const file = join(files[0]!.parentPath, files[0]!.name)
    await truncate(file, 5)
    counts.clear()
    expect(text(await storage.read('css/a.0123456789ab.css'))).toBe('a{color:red}')
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 1 })
    expect(text(await storage.read('css/a.0123456789ab.css'))).toBe('a{color:red}')
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 1 })
  })

  it('a cacheDir it cannot write: the write fails naming the local cache, and reads still come from S3', async () => {
    const blocked = join(cacheDir, 'a-file')
    await writeFile(blocked, 'not a directory')
    const { storage, prefix } = setupCached({ cacheDir: blocked })
    const error = await storage.write('css/a.css', 'a').then(
      () => undefined,
      (reason: unknown) => reason as ConvoyError,
    )
    expect(error?.code).toBe('ERR_CONVOY_STORAGE')
    expect(error?.message).toMatch(new RegExp(`^@convoy/storage-s3: cannot write css/a\\.css to s3://${BUCKET}/${prefix}: the local cache in ${blocked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: (ENOTDIR|EEXIST)`))
    const streamError = await storage.write('css/b.css', Readable.from([Buffer.from('b')])).then(
      () => undefined,
      (reason: unknown) => reason as ConvoyError,
    )
    expect(streamError?.message).toMatch(/the local cache in .* failed/)
  })

  it('a body stream that fails uploads nothing and leaves no temporary file', async () => {
    const { storage, counts } = setupCached()
    const boom = new Error('boom')
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('half')
        await setTimeout(5)
        throw boom
      })(),
    )
    const error = await storage.write('css/a.css', failing).then(
      () => undefined,
      (reason: unknown) => reason as ConvoyError,
    )
    expect(error?.message).toMatch(/cannot write css\/a\.css to .*: the body stream failed: boom$/)
    expect(error?.cause).toBe(boom)
    expect(Object.fromEntries(counts)).toEqual({})
    expect(await readdir(join(cacheDir, 'tmp'))).toEqual([])
  })

  it('uploads a large stream in parts from its local copy', async () => {
    const prefix = uniquePrefix('cache-big')
    const { client, counts } = createTestClient(server)
    const storage = createCachedS3Storage({ bucket: BUCKET, prefix, client, cacheDir, partSize: 5 * 1024 * 1024 })
    const body = Buffer.alloc(11 * 1024 * 1024, 3)
    await storage.write('video/a.0123456789ab.mp4', Readable.from([body.subarray(0, 1024), body.subarray(1024)]), { cacheControl: IMMUTABLE })
    expect(Object.fromEntries(counts)).toEqual({ CreateMultipartUploadCommand: 1, UploadPartCommand: 3, CompleteMultipartUploadCommand: 1 })
    expect(Buffer.from((await storage.read('video/a.0123456789ab.mp4'))!).equals(body)).toBe(true)
    expect(counts.get('GetObjectCommand')).toBeUndefined()
    expect(await readdir(join(cacheDir, 'tmp'))).toEqual([])
  })

  it('refuses a missing cacheDir', () => {
    expect(() => createCachedS3Storage({ bucket: BUCKET } as CachedS3StorageOptions)).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(/`cacheDir` must be the path of a directory/) }))
  })
})
