import { execFile } from 'node:child_process'
import { Readable } from 'node:stream'
import { setTimeout } from 'node:timers/promises'
import { HeadObjectCommand, type HeadObjectCommandOutput, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { Storage } from '@convoy/storage'
import { rejection } from './test/rejection.js'
import { runStorageTestSuite } from '@convoy/storage-test-suite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Storage, type S3ObjectHeaders, type S3StorageOptions } from './index.js'
import { BUCKET, CREDENTIALS, createTestClient, startS3Server, type TestS3Server, uniquePrefix, withoutConditionalWrites } from './test/s3-server.js'

let server: TestS3Server

beforeAll(async () => {
  server = await startS3Server()
})

afterAll(async () => {
  await server.dispose()
})

// Each test gets its own prefix on one real server.
runStorageTestSuite('storage-s3', () => ({
  storage: withoutConditionalWrites(createS3Storage({ bucket: BUCKET, prefix: uniquePrefix('suite'), client: createTestClient(server).client })),
}))

async function head(client: S3Client, key: string): Promise<HeadObjectCommandOutput> {
  return client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
}


async function listPaths(storage: Storage, prefix?: string): Promise<string[]> {
  const found: string[] = []
  for await (const entry of storage.list(prefix)) found.push(entry.path)
  return found.sort()
}

/** The headers a test sets, leaving out those the object does not have. */
function headersOf(output: HeadObjectCommandOutput): Record<string, unknown> {
  const picked: Record<string, unknown> = {
    ContentType: output.ContentType,
    ContentEncoding: output.ContentEncoding,
    CacheControl: output.CacheControl,
    ContentDisposition: output.ContentDisposition,
    Metadata: Object.keys(output.Metadata ?? {}).length === 0 ? undefined : output.Metadata,
  }
  return Object.fromEntries(Object.entries(picked).filter(([, value]) => value !== undefined))
}

const IMMUTABLE = 'public, max-age=31536000, immutable'
const SHORT = 'public, max-age=60'

describe('object headers', () => {
  it('stores the Content-Type, Content-Encoding and Cache-Control each write asks for', async () => {
    const prefix = uniquePrefix('headers')
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client })
    await storage.write('css/base.25b23dfca187.cmin.css', 'a{}', { contentType: 'text/css; charset=utf-8', cacheControl: IMMUTABLE })
    await storage.write('css/base.25b23dfca187.cmin.css.gz', Uint8Array.from([0x1f, 0x8b]), { contentType: 'text/css; charset=utf-8', contentEncoding: 'gzip', cacheControl: IMMUTABLE })
    await storage.write('css/base.25b23dfca187.cmin.css.br', Readable.from([Buffer.from([0x0b])]), { contentType: 'text/css; charset=utf-8', contentEncoding: 'br', cacheControl: IMMUTABLE })
    await storage.write('css/base.css', 'a {}', { contentType: 'text/css; charset=utf-8', cacheControl: SHORT })
    expect(headersOf(await head(client, `${prefix}/css/base.25b23dfca187.cmin.css`))).toEqual({ ContentType: 'text/css; charset=utf-8', CacheControl: IMMUTABLE })
    expect(headersOf(await head(client, `${prefix}/css/base.25b23dfca187.cmin.css.gz`))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'gzip', CacheControl: IMMUTABLE })
    expect(headersOf(await head(client, `${prefix}/css/base.25b23dfca187.cmin.css.br`))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'br', CacheControl: IMMUTABLE })
    expect(headersOf(await head(client, `${prefix}/css/base.css`))).toEqual({ ContentType: 'text/css; charset=utf-8', CacheControl: SHORT })
  })

  it('without options: the type from the extension (the inner one for .gz/.br, with their encoding), no Cache-Control', async () => {
    const prefix = uniquePrefix('derived')
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client })
    const cases: [path: string, expected: Record<string, unknown>][] = [
      ['img/logo.png', { ContentType: 'image/png' }],
      ['js/app.js', { ContentType: 'text/javascript; charset=utf-8' }],
      ['js/app.js.gz', { ContentType: 'text/javascript; charset=utf-8', ContentEncoding: 'gzip' }],
      ['icons/x.svg.br', { ContentType: 'image/svg+xml; charset=utf-8', ContentEncoding: 'br' }],
      ['fonts/a.woff2', { ContentType: 'font/woff2' }],
      ['Makefile', { ContentType: 'application/octet-stream' }],
    ]
    for (const [path] of cases) await storage.write(path, 'x')
    for (const [path, expected] of cases) expect(headersOf(await head(client, `${prefix}/${path}`)), path).toEqual(expected)
  })

  it('a write that names the type says what the object is: no encoding is guessed from .gz', async () => {
    const prefix = uniquePrefix('tarball')
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client })
    await storage.write('downloads/site.tar.gz', 'x', { contentType: 'application/gzip' })
    await storage.write('css/a.css.gz', 'x', { contentEncoding: 'gzip' })
    expect(headersOf(await head(client, `${prefix}/downloads/site.tar.gz`))).toEqual({ ContentType: 'application/gzip' })
    expect(headersOf(await head(client, `${prefix}/css/a.css.gz`))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'gzip' })
  })

  it('static headers fill in what a write does not say; the write wins over them', async () => {
    const prefix = uniquePrefix('static')
    const { client } = createTestClient(server)
    const headers = { 'Content-Disposition': 'inline', 'x-amz-meta-team': 'web', 'cache-control': 'public, max-age=300' }
    const storage = createS3Storage({ bucket: BUCKET, prefix, client, headers })
    await storage.write('a.css', 'a{}', { contentType: 'text/css; charset=utf-8', cacheControl: IMMUTABLE })
    await storage.write('b.css', 'b{}')
    headers['x-amz-meta-team'] = 'changed after creation'
    await storage.write('c.css', 'c{}')
    expect(headersOf(await head(client, `${prefix}/a.css`))).toEqual({ ContentType: 'text/css; charset=utf-8', CacheControl: IMMUTABLE, ContentDisposition: 'inline', Metadata: { team: 'web' } })
    expect(headersOf(await head(client, `${prefix}/b.css`))).toEqual({ ContentType: 'text/css; charset=utf-8', CacheControl: 'public, max-age=300', ContentDisposition: 'inline', Metadata: { team: 'web' } })
    expect((await head(client, `${prefix}/c.css`)).Metadata).toEqual({ team: 'web' })
  })

  it('a headers function decides per object, sees the headers so far, wins over everything, and "" removes a header', async () => {
    const prefix = uniquePrefix('function')
    const { client } = createTestClient(server)
    const seen: [string, S3ObjectHeaders][] = []
    const storage = createS3Storage({
      bucket: BUCKET,
      prefix,
      client,
      headers: (path, headers) => {
        seen.push([path, headers])
        if (path.endsWith('.html')) return { 'Cache-Control': 'no-cache', 'X-Amz-Meta-Page': path }
        if (path.endsWith('.tar.gz')) return { 'Content-Encoding': '', 'Content-Type': 'application/gzip' }
        return undefined
      },
    })
    await storage.write('index.html', '<p>', { cacheControl: IMMUTABLE })
    await storage.write('dist/site.tar.gz', 'x')
    await storage.write('a.css', 'a{}', { cacheControl: SHORT })
    expect(headersOf(await head(client, `${prefix}/index.html`))).toEqual({ ContentType: 'text/html; charset=utf-8', CacheControl: 'no-cache', Metadata: { page: 'index.html' } })
    expect(headersOf(await head(client, `${prefix}/dist/site.tar.gz`))).toEqual({ ContentType: 'application/gzip' })
    expect(headersOf(await head(client, `${prefix}/a.css`))).toEqual({ ContentType: 'text/css; charset=utf-8', CacheControl: SHORT })
    expect(seen).toEqual([
      ['index.html', { 'content-type': 'text/html; charset=utf-8', 'cache-control': IMMUTABLE }],
      ['dist/site.tar.gz', { 'content-type': 'application/x-tar', 'content-encoding': 'gzip' }],
      ['a.css', { 'content-type': 'text/css; charset=utf-8', 'cache-control': SHORT }],
    ])
  })

  it('concurrent writes with different options never see each other’s headers', async () => {
    const prefix = uniquePrefix('concurrent')
    const { client } = createTestClient(server)
    const storage = createS3Storage({
      bucket: BUCKET,
      prefix,
      client,
      headers: (path, headers) => {
        // A function that scribbles on what it is given must not reach any other object.
        ;(headers as Record<string, string>)['x-amz-meta-leak'] = path
        return { 'x-amz-meta-path': path }
      },
    })
    const writes = Array.from({ length: 40 }, (_, index) => {
      const compressed = index % 2 === 0
      const path = compressed ? `css/f${index}.css.gz` : `img/f${index}.png`
      const options = compressed ? { contentType: 'text/css; charset=utf-8', contentEncoding: 'gzip' as const, cacheControl: IMMUTABLE } : { cacheControl: SHORT }
      return { path, compressed, write: storage.write(path, index % 4 < 2 ? Buffer.from(path) : Readable.from([Buffer.from(path)]), options) }
    })
    await Promise.all(writes.map((entry) => entry.write))
    for (const { path, compressed } of writes) {
      const expected = compressed
        ? { ContentType: 'text/css; charset=utf-8', ContentEncoding: 'gzip', CacheControl: IMMUTABLE, Metadata: { path } }
        : { ContentType: 'image/png', CacheControl: SHORT, Metadata: { path } }
      expect(headersOf(await head(client, `${prefix}/${path}`)), path).toEqual(expected)
    }
  })

  it('refuses headers S3 does not keep with an object, and values that are not strings', async () => {
    const bad: [unknown, RegExp][] = [
      [{ 'X-Frame-Options': 'DENY' }, /S3 does not store the header "X-Frame-Options" with an object/],
      [{ 'x-amz-meta-': 'x' }, /S3 does not store the header "x-amz-meta-"/],
      [{ 'Cache-Control': 60 }, /the value of header "Cache-Control" must be a string/],
      [{ Expires: 'tomorrow' }, /"Expires" must be an HTTP date/],
      [['Cache-Control'], /must be an object of header names and values/],
    ]
    for (const [headers, message] of bad) {
      expect(() => createS3Storage({ bucket: BUCKET, headers: headers as S3ObjectHeaders }), JSON.stringify(headers)).toThrow(
        expect.objectContaining({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(message) }),
      )
    }
    const storage = createS3Storage({ bucket: BUCKET, prefix: uniquePrefix('bad'), client: createTestClient(server).client, headers: () => ({ Vary: 'Accept' }) })
    const error = await rejection(storage.write('a.css', 'a'))
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error.message).toMatch(/the headers function's result for a\.css: S3 does not store the header "Vary"/)
    expect(await listPaths(storage)).toEqual([])
  })

  it('keeps Expires as a date and the other S3 headers', async () => {
    const prefix = uniquePrefix('extra')
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client, headers: { Expires: 'Wed, 21 Oct 2037 07:28:00 GMT', 'Content-Language': 'de' } })
    await storage.write('a.txt', 'a')
    const output = await head(client, `${prefix}/a.txt`)
    expect(output.ContentLanguage).toBe('de')
    expect(output.Expires?.toUTCString()).toBe('Wed, 21 Oct 2037 07:28:00 GMT')
  })
})

describe('keys and prefix', () => {
  it('keeps every object under the prefix, and lists only those, without the prefix', async () => {
    const prefix = uniquePrefix('scope')
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix: `/${prefix}/`, client })
    expect(storage.name).toBe(`s3://${BUCKET}/${prefix}`)
    await storage.write('css/a.css', 'a')
    for (const key of [`${prefix}-sibling/b.css`, 'outside.css', `${prefix}/folder/`, `${prefix}/back\\slash.css`]) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }))
    }
    expect(await head(client, `${prefix}/css/a.css`)).toMatchObject({ ContentLength: 1 })
    // Keys no path can name (a console's folder marker, a backslash) are not objects of this storage.
    expect(await listPaths(storage)).toEqual(['css/a.css'])
    expect(createS3Storage({ bucket: BUCKET, client }).name).toBe(`s3://${BUCKET}`)
  })

  it('lists more than one page of objects in one paginated walk, each object once', async () => {
    const prefix = uniquePrefix('pages')
    const { client, counts } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client })
    const paths = Array.from({ length: 1050 }, (_, index) => `p/${String(index % 7)}/file-${index}.txt`)
    await Promise.all(paths.map((path) => storage.write(path, path)))
    counts.clear()
    const entries = []
    for await (const entry of storage.list()) entries.push(entry)
    expect(entries.map((entry) => entry.path).sort()).toEqual([...paths].sort())
    expect(entries.find((entry) => entry.path === 'p/3/file-3.txt')).toMatchObject({ size: 'p/3/file-3.txt'.length, lastModified: expect.any(Date) })
    expect(Object.fromEntries(counts)).toEqual({ ListObjectsV2Command: 2 })
  })

  it('url(): the bucket URL as the client addresses it, or publicUrl, each segment percent-encoded', () => {
    const path = 'css/a b#c?+.css'
    const encoded = 'css/a%20b%23c%3F%2B.css'
    expect(createS3Storage({ bucket: 'assets', prefix: 'static', region: 'eu-west-1' }).url(path)).toBe(`https://assets.s3.eu-west-1.amazonaws.com/static/${encoded}`)
    expect(createS3Storage({ bucket: 'assets', region: 'eu-west-1', forcePathStyle: true }).url(path)).toBe(`https://s3.eu-west-1.amazonaws.com/assets/${encoded}`)
    expect(createS3Storage({ bucket: 'assets', prefix: 'v 1', endpoint: 'https://acc.r2.cloudflarestorage.com' }).url(path)).toBe(`https://assets.acc.r2.cloudflarestorage.com/v%201/${encoded}`)
    expect(createS3Storage({ bucket: 'assets', endpoint: 'https://minio.example.com:9000/', forcePathStyle: true }).url(path)).toBe(`https://minio.example.com:9000/assets/${encoded}`)
    expect(createS3Storage({ bucket: 'assets', prefix: 's', endpoint: 'http://127.0.0.1:9000' }).url(path)).toBe(`http://127.0.0.1:9000/assets/s/${encoded}`)
    expect(createS3Storage({ bucket: 'assets', endpoint: 'http://localhost:9000' }).url(path)).toBe(`http://assets.localhost:9000/${encoded}`)
    expect(createS3Storage({ bucket: 'assets', prefix: 'static', publicUrl: 'https://cdn.example.com/static' }).url(path)).toBe(`https://cdn.example.com/static/${encoded}`)
    expect(() => createS3Storage({ bucket: 'assets' }).url('../a.css')).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_STORAGE_PATH' }))
  })

  it('url() of an object is where the server serves it', async () => {
    const prefix = uniquePrefix('url')
    const storage = createS3Storage({ bucket: BUCKET, prefix, endpoint: server.endpoint, forcePathStyle: true, credentials: CREDENTIALS })
    const path = 'odd/100% #1 (copy) & more+plus=;,@$~ ü.txt'
    await storage.write(path, 'served')
    const response = await fetch(storage.url(path))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('served')
  })
})

describe('uploads', () => {
  const MIB = 1024 * 1024

  it('sends small bodies in one PutObject and large ones in parts, with the headers on the object', async () => {
    const prefix = uniquePrefix('multipart')
    const { client, counts } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client, partSize: 5 * MIB })
    const big = Buffer.alloc(12 * MIB, 7)
    big[0] = 1
    await storage.write('small.bin', Readable.from([Buffer.alloc(1000, 1)]))
    await storage.write('small-bytes.bin', Buffer.alloc(5 * MIB, 1))
    expect(Object.fromEntries(counts)).toEqual({ PutObjectCommand: 2 })
    counts.clear()
    await storage.write('video/big.mp4', big, { cacheControl: IMMUTABLE })
    await storage.write('video/streamed.mp4', Readable.from([big.subarray(0, 6 * MIB), big.subarray(6 * MIB)]))
    expect(Object.fromEntries(counts)).toEqual({ CreateMultipartUploadCommand: 2, UploadPartCommand: 6, CompleteMultipartUploadCommand: 2 })
    expect(headersOf(await head(client, `${prefix}/video/big.mp4`))).toEqual({ ContentType: 'video/mp4', CacheControl: IMMUTABLE })
    for (const path of ['video/big.mp4', 'video/streamed.mp4']) expect(Buffer.from((await storage.read(path))!).equals(big), path).toBe(true)
  })

  it('a stream that fails after the first part aborts the multipart upload and keeps the old object', async () => {
    const prefix = uniquePrefix('abort')
    const { client, counts } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client, partSize: 5 * MIB })
    await storage.write('big.bin', 'old')
    const boom = new Error('disk gone')
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(6 * MIB, 1)
        await setTimeout(20)
        throw boom
      })(),
    )
    counts.clear()
    const error = await rejection(storage.write('big.bin', failing))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toBe(`@convoy/storage-s3: cannot write big.bin to s3://${BUCKET}/${prefix}: the body stream failed: disk gone`)
    expect(error.cause).toBe(boom)
    expect(error.file).toBe('big.bin')
    expect(counts.get('AbortMultipartUploadCommand'), 'the upload is aborted, so no parts are left behind').toBe(1)
    expect(counts.get('CompleteMultipartUploadCommand')).toBeUndefined()
    expect(counts.get('PutObjectCommand')).toBeUndefined()
    expect(Buffer.from((await storage.read('big.bin'))!).toString()).toBe('old')
    expect(failing.destroyed).toBe(true)
  })

  it('keeps at most `concurrency` requests in flight', async () => {
    const prefix = uniquePrefix('limit')
    let active = 0
    let most = 0
    const { client } = createTestClient(server)
    client.middlewareStack.add(
      (next) => async (args) => {
        active += 1
        most = Math.max(most, active)
        try {
          return await next(args)
        } finally {
          active -= 1
        }
      },
      { step: 'initialize', name: 'inFlight' },
    )
    const storage = createS3Storage({ bucket: BUCKET, prefix, client, concurrency: 3 })
    await Promise.all(Array.from({ length: 30 }, (_, index) => storage.write(`f${index}.txt`, Readable.from([Buffer.from(`${index}`)]))))
    await Promise.all(Array.from({ length: 30 }, (_, index) => storage.read(`f${index}.txt`)))
    expect(most).toBe(3)
    expect(await listPaths(storage)).toHaveLength(30)
  })
})

describe('errors', () => {
  it('an S3 error becomes ERR_CONVOY_STORAGE naming the path, the storage and S3’s reason', async () => {
    const storage = createS3Storage({ bucket: 'no-such-bucket', prefix: 'p', client: createTestClient(server).client })
    const write = await rejection(storage.write('css/a.css', 'a'))
    expect(write.code).toBe('ERR_CONVOY_STORAGE')
    expect(write.message).toBe('@convoy/storage-s3: cannot write css/a.css to s3://no-such-bucket/p: NoSuchBucket: The specified bucket does not exist (key p/css/a.css)')
    expect(write.cause).toMatchObject({ name: 'NoSuchBucket' })
    // A missing bucket is not a missing object.
    expect((await rejection(storage.read('css/a.css'))).message).toMatch(/^@convoy\/storage-s3: cannot read css\/a\.css from s3:\/\/no-such-bucket\/p: NoSuchBucket/)
    expect((await rejection(listPaths(storage))).message).toMatch(/^@convoy\/storage-s3: cannot list objects in s3:\/\/no-such-bucket\/p: NoSuchBucket/)
  })

  it('a server that does not answer: the network error, the key and the attempts, after the SDK’s retries', async () => {
    const stopped = await startS3Server()
    await stopped.dispose()
    const { client, counts } = createTestClient(stopped)
    const storage = createS3Storage({ bucket: BUCKET, prefix: 'p', client })
    const error = await rejection(storage.read('convoy-manifest.json'))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toBe(`@convoy/storage-s3: cannot read convoy-manifest.json from s3://${BUCKET}/p: connect ECONNREFUSED 127.0.0.1:${stopped.port} (key p/convoy-manifest.json, 3 attempts)`)
    expect(error.cause).toMatchObject({ $metadata: { attempts: 3 } })
    expect(counts.get('GetObjectCommand')).toBe(1)
    expect((await rejection(storage.stat('a.css'))).message).toMatch(/^@convoy\/storage-s3: cannot stat a\.css from s3:\/\/convoy-test\/p: connect ECONNREFUSED/)
  })

  it('refuses options it cannot use with ERR_CONVOY_CONFIG', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /`bucket` is required/],
      [{ bucket: '' }, /`bucket` must be a non-empty string/],
      [{ bucket: 'b', prefix: 'a/../b' }, /`prefix` "a\/\.\.\/b": it has a "\.\." segment/],
      [{ bucket: 'b', prefix: 3 }, /`prefix` must be a string/],
      [{ bucket: 'b', endpoint: 'localhost:9000' }, /`endpoint` must be a URL/],
      [{ bucket: 'b', concurrency: 0 }, /`concurrency` must be an integer of at least 1/],
      [{ bucket: 'b', partSize: 1024 }, /`partSize` must be an integer of at least 5242880/],
      [{ bucket: 'b', client: {} }, /`client` must be an S3Client/],
      [{ bucket: 'b', publicUrl: '' }, /`publicUrl` must be a non-empty string/],
      [null, /options must be an object/],
    ]
    for (const [options, message] of bad) {
      expect(() => createS3Storage(options as S3StorageOptions), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(message) }),
      )
    }
  })
})

describe('loading', () => {
  it('importing the package and creating a storage load no AWS SDK module; the first operation does', async () => {
    // Module hooks run on their own thread: they report each @aws-sdk module resolved through a message port.
    const hooks = [
      'let port',
      'export function initialize(data) { port = data.port }',
      "export async function resolve(specifier, context, next) { if (specifier.startsWith('@aws-sdk/')) port.postMessage(specifier); return next(specifier, context) }",
    ].join('\n')
    const script = [
      "import { register } from 'node:module'",
      "import { MessageChannel } from 'node:worker_threads'",
      "import { setTimeout } from 'node:timers/promises'",
      'const seen = []',
      'const { port1, port2 } = new MessageChannel()',
      'port1.on("message", (specifier) => seen.push(specifier))',
      'port1.unref()',
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] })`,
      `const { createS3Storage } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)})`,
      "const storage = createS3Storage({ bucket: 'b', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })",
      'await setTimeout(200)',
      'const created = [...seen]',
      "await storage.exists('a.css').catch(() => undefined)",
      'await setTimeout(200)',
      'console.log(JSON.stringify({ created, used: seen }))',
    ].join('\n')
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, AWS_MAX_ATTEMPTS: '1' } }, (error, stdout, stderr) => {
        if (error) reject(new Error(`the child failed: ${stderr}`, { cause: error }))
        else resolve(stdout)
      })
    })
    const { created, used } = JSON.parse(output) as { created: string[]; used: string[] }
    expect(created).toEqual([])
    expect(used).toContain('@aws-sdk/client-s3')
  })
})
