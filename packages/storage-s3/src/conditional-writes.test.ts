// S3 conditional writes against a server that honours them: Ceph's radosgw (src/test/radosgw.ts, started here on
// 127.0.0.1; s3rver ignores If-Match / If-None-Match). The whole conformance suite runs on it, conditional writes
// included, plus what only S3 has: the ETag spelling, and conditional PUTs whose first attempt failed midway.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { Storage } from '@convoy/storage'
import { rejection } from './test/rejection.js'
import { runStorageTestSuite } from '@convoy/storage-test-suite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCachedS3Storage, createS3Storage, type S3StorageOptions } from './index.js'
import { type FaultProxy, startFaultProxy } from './test/fault-proxy.js'
import { RADOSGW_CREDENTIALS, startRadosgw, type TestRadosgw } from './test/radosgw.js'
import { uniquePrefix } from './test/s3-server.js'

let gateway: TestRadosgw
let proxy: FaultProxy

beforeAll(async () => {
  const started = Date.now()
  gateway = await startRadosgw()
  proxy = await startFaultProxy(Number(new URL(gateway.endpoint).port))
  console.log(`[radosgw] Ceph ${'16'} radosgw up on ${gateway.endpoint} in ${Date.now() - started} ms`)
}, 15 * 60_000)

afterAll(async () => {
  await proxy?.close()
  await gateway?.dispose()
}, 60_000)

/** Options of a storage on the gateway (through the fault proxy when `via` says so). */
function on(prefix: string, via: 'direct' | 'proxy' = 'direct'): S3StorageOptions {
  return {
    bucket: gateway.bucket,
    prefix,
    endpoint: via === 'direct' ? gateway.endpoint : proxy.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: RADOSGW_CREDENTIALS,
    requestTimeout: 10_000,
  }
}

/** A client for the gateway that counts the commands it sends, by name. */
function countingClient(): { client: S3Client; counts: Map<string, number> } {
  const client = gateway.client()
  const counts = new Map<string, number>()
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown'
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'convoyTestCount' },
  )
  return { client, counts }
}

runStorageTestSuite('storage-s3 on radosgw', () => ({ storage: createS3Storage(on(uniquePrefix('suite'))) }), { timeout: 60_000 })

runStorageTestSuite('storage-s3 (cached) on radosgw', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'convoy-rgw-cache-'))
  return {
    storage: createCachedS3Storage({ ...on(uniquePrefix('cached')), cacheDir }),
    cleanup: () => rm(cacheDir, { recursive: true, force: true }),
  }
}, { timeout: 60_000 })


async function text(storage: Storage, path: string): Promise<string | undefined> {
  const bytes = await storage.read(path)
  return bytes === null ? undefined : Buffer.from(bytes).toString('utf8')
}

describe('the server', () => {
  it('radosgw refuses conditional PutObjects with 412 as AWS documents, but compares If-Match with bare ETags only', async () => {
    const client = gateway.client()
    const Key = `${uniquePrefix('raw')}/manifest.json`
    const put = (Body: string, condition: { IfMatch?: string; IfNoneMatch?: string }) => client.send(new PutObjectCommand({ Bucket: gateway.bucket, Key, Body, ...condition }))
    const status = (promise: Promise<unknown>) => promise.then(() => 200, (error: { $metadata?: { httpStatusCode?: number }; name?: string }) => `${error.$metadata?.httpStatusCode} ${error.name}`)
    expect(await status(put('one', { IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'If-Match on a missing key').toBe('412 PreconditionFailed')
    const { ETag: one } = await put('one', { IfNoneMatch: '*' })
    expect(one).toMatch(/^"[0-9a-f]{32}"$/)
    expect(await status(put('two', { IfNoneMatch: '*' })), 'If-None-Match: * on an existing key').toBe('412 PreconditionFailed')
    expect(await status(put('two', { IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'If-Match with another ETag').toBe('412 PreconditionFailed')
    // RFC 9110 and AWS use the quoted ETag, as GetObject returns it; Ceph 16 compares the bare one.
    expect(await status(put('two', { IfMatch: one! })), 'If-Match with the current ETag, quoted').toBe('412 PreconditionFailed')
    expect(await status(put('two', { IfMatch: one!.replaceAll('"', '') })), 'If-Match with the current ETag, bare').toBe(200)
    const current = await client.send(new GetObjectCommand({ Bucket: gateway.bucket, Key }))
    expect(await current.Body!.transformToString()).toBe('two')
    client.destroy()
  })
})

describe('conditional writes on S3', () => {
  it('a refused write is ERR_CONVOY_CONFLICT naming the object, its key and the condition, with S3’s error as cause', async () => {
    const prefix = uniquePrefix('conflict')
    const storage = createS3Storage(on(prefix))
    await storage.write('convoy-manifest.json', '{"id":"a"}', { ifNoneMatch: '*' })
    const exists = await rejection(storage.write('convoy-manifest.json', '{"id":"b"}', { ifNoneMatch: '*' }))
    expect(exists.code).toBe('ERR_CONVOY_CONFLICT')
    expect(exists.message).toBe(
      `@convoy/storage-s3: did not write convoy-manifest.json to s3://${gateway.bucket}/${prefix} (key ${prefix}/convoy-manifest.json): it already exists (If-None-Match: * failed: PreconditionFailed): another writer created it`,
    )
    expect(exists.cause).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })
    expect(exists.file).toBe('convoy-manifest.json')
    const stale = '"0123456789abcdef0123456789abcdef"'
    const changed = await rejection(storage.write('convoy-manifest.json', '{"id":"c"}', { ifMatch: stale }))
    expect(changed.code).toBe('ERR_CONVOY_CONFLICT')
    expect(changed.message).toBe(
      `@convoy/storage-s3: did not write convoy-manifest.json to s3://${gateway.bucket}/${prefix} (key ${prefix}/convoy-manifest.json): it is no longer version ${stale} (If-Match failed: PreconditionFailed): another writer replaced or deleted it`,
    )
    expect(await text(storage, 'convoy-manifest.json')).toBe('{"id":"a"}')
  })

  it('the version is the ETag as S3 gives it; the spelling the service compares is learned once (one PutObject from then on)', async () => {
    const prefix = uniquePrefix('spelling')
    const { client, counts } = countingClient()
    const storage = createS3Storage({ bucket: gateway.bucket, prefix, client })
    await storage.write('m.json', '1')
    const first = await storage.readVersioned!('m.json')
    expect(first?.version).toMatch(/^"[0-9a-f]{32}"$/)
    counts.clear()
    await storage.write('m.json', '2', { ifMatch: first!.version })
    // The quoted ETag is refused by Ceph 16 although current: a HEAD shows it, and the bare spelling is sent.
    expect(Object.fromEntries(counts)).toEqual({ PutObjectCommand: 2, HeadObjectCommand: 1 })
    counts.clear()
    const second = await storage.readVersioned!('m.json')
    await storage.write('m.json', '3', { ifMatch: second!.version })
    expect(Object.fromEntries(counts)).toEqual({ GetObjectCommand: 1, PutObjectCommand: 1 })
    counts.clear()
    // A stale version is refused in both spellings, and the object is left alone.
    expect((await rejection(storage.write('m.json', '4', { ifMatch: second!.version }))).code).toBe('ERR_CONVOY_CONFLICT')
    expect(await text(storage, 'm.json')).toBe('3')
    client.destroy()
  })

  it('a conditional PUT that S3 applied but whose answer was lost is retried, and the 412 of the retry is recognised as our own write', async () => {
    const prefix = uniquePrefix('ambiguous')
    const storage = createS3Storage({ ...on(prefix, 'proxy'), maxAttempts: 3 })
    const check = createS3Storage(on(prefix))
    const isPut = (path: string) => (request: { method: string; target: string }) => request.method === 'PUT' && request.target.split('?')[0] === `/${gateway.bucket}/${prefix}/${path}`
    let fired = 0
    const onceOn = (matches: (request: { method: string; target: string }) => boolean, fault: 'reset-response' | 'reset-request'): void => {
      fired = 0
      proxy.decide = (request) => (fired === 0 && matches(request) ? ((fired += 1), fault) : undefined)
    }
    try {
      // Create: the answer to the first attempt is cut after RGW stored the object; the retry gets 412.
      onceOn(isPut('created.json'), 'reset-response')
      await storage.write('created.json', '{"id":"ours"}', { ifNoneMatch: '*' })
      expect(fired).toBe(1)
      expect(await text(check, 'created.json')).toBe('{"id":"ours"}')

      // Replace: the same with If-Match (once the storage knows which ETag spelling this service compares).
      await check.write('warm.json', '{}')
      await storage.write('warm.json', '{"warm":true}', { ifMatch: (await check.readVersioned!('warm.json'))!.version })
      await check.write('replaced.json', '{"id":"before"}')
      const version = (await check.readVersioned!('replaced.json'))!.version
      onceOn(isPut('replaced.json'), 'reset-response')
      await storage.write('replaced.json', '{"id":"after"}', { ifMatch: version })
      expect(fired).toBe(1)
      expect(await text(check, 'replaced.json')).toBe('{"id":"after"}')

      // A request cut before S3 saw all of it was not applied: the retry applies it, once.
      await check.write('cut.json', '{"id":"before"}')
      const cutVersion = (await check.readVersioned!('cut.json'))!.version
      onceOn(isPut('cut.json'), 'reset-request')
      await storage.write('cut.json', '{"id":"after cut"}', { ifMatch: cutVersion })
      expect(fired).toBe(1)
      expect(await text(check, 'cut.json')).toBe('{"id":"after cut"}')

      // But a retried write that someone else's object refuses is still a conflict, and changes nothing.
      await check.write('theirs.json', '{"id":"theirs"}')
      onceOn(isPut('theirs.json'), 'reset-request')
      const conflict = await rejection(storage.write('theirs.json', '{"id":"ours"}', { ifNoneMatch: '*' }))
      expect(fired).toBe(1)
      expect(conflict.code).toBe('ERR_CONVOY_CONFLICT')
      expect(await text(check, 'theirs.json')).toBe('{"id":"theirs"}')
    } finally {
      proxy.decide = () => undefined
    }
    console.log(`[radosgw] conditional writes through faults: ${proxy.summary()}`)
    proxy.clear()
  })

  it('the cached storage: readVersioned asks S3 every time (an unchanged object is not downloaded again), and its conditional writes are S3’s', async () => {
    const prefix = uniquePrefix('cached-versions')
    const cacheDir = await mkdtemp(join(tmpdir(), 'convoy-rgw-cache-'))
    try {
      const { client, counts } = countingClient()
      const cached = createCachedS3Storage({ bucket: gateway.bucket, prefix, client, cacheDir })
      const other = createS3Storage(on(prefix))
      await cached.write('m.json', '{"v":1}', { ifNoneMatch: '*', cacheControl: 'public, max-age=31536000, immutable' })
      const one = await cached.readVersioned!('m.json')
      expect(Buffer.from(one!.body).toString('utf8')).toBe('{"v":1}')
      // Another deploy replaces it, even an object marked immutable: readVersioned must not trust the local copy.
      await other.write('m.json', '{"v":2}', { ifMatch: one!.version })
      const two = await cached.readVersioned!('m.json')
      expect(Buffer.from(two!.body).toString('utf8')).toBe('{"v":2}')
      expect(two!.version).not.toBe(one!.version)
      expect((await rejection(cached.write('m.json', '{"v":3}', { ifMatch: one!.version }))).code).toBe('ERR_CONVOY_CONFLICT')
      counts.clear()
      const again = await cached.readVersioned!('m.json')
      expect(again).toEqual(two)
      expect(Object.fromEntries(counts), 'one conditional GetObject, answered 304').toEqual({ GetObjectCommand: 1 })
      await cached.write('m.json', '{"v":3}', { ifMatch: two!.version })
      expect(await text(other, 'm.json')).toBe('{"v":3}')
      client.destroy()
    } finally {
      await rm(cacheDir, { recursive: true, force: true })
    }
  })

  it('refuses conditions it cannot send, before sending anything', async () => {
    const { client, counts } = countingClient()
    const storage = createS3Storage({ bucket: gateway.bucket, prefix: uniquePrefix('bad-conditions'), client })
    const bad = await rejection(storage.write('a.json', '{}', { ifNoneMatch: 'etag' as '*' }))
    expect(bad.code).toBe('ERR_CONVOY_STORAGE')
    expect(bad.message).toMatch(/cannot write a\.json to .*: `ifNoneMatch` can only be '\*'; got "etag"$/)
    expect((await rejection(storage.write('a.json', '{}', { ifMatch: '' }))).message).toMatch(/`ifMatch` must be a version from readVersioned\(\)/)
    expect(counts.size).toBe(0)
    client.destroy()
  })
})
