import { createHash } from 'node:crypto'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { deltaPath, IMMUTABLE_CACHE_CONTROL } from '@convoy/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { objectHeaders, toParams } from './headers.js'
import { createS3Storage } from './index.js'
import { BUCKET, createTestClient, startS3Server, type TestS3Server, uniquePrefix } from './test/s3-server.js'

const hash = createHash('sha256').update('the previous app.js').digest('base64')
const dcz = deltaPath('js/app.1a2b3c4d5e6f.cmin.js', hash, 'dcz')
const dcb = deltaPath('css/base.25b23dfca187.cmin.css', hash, 'dcb')

/** The PutObject parameters of a write of `path` without options. */
const derived = (path: string): Record<string, unknown> => ({ ...toParams(objectHeaders(path, {}, undefined)) })

describe('headers derived from the path', () => {
  it('give a delta its encoding and the type of its target', () => {
    expect(dcz).toMatch(/^js\/app\.1a2b3c4d5e6f\.cmin\.js\.[0-9a-f]{16}\.dcz$/)
    expect(derived(dcz)).toEqual({ ContentType: 'text/javascript; charset=utf-8', ContentEncoding: 'dcz' })
    expect(derived(dcb)).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'dcb' })
  })

  it('give a zstd sibling Content-Encoding: zstd and the type of the file inside', () => {
    expect(derived('js/app.1a2b3c4d5e6f.cmin.js.zst')).toEqual({ ContentType: 'text/javascript; charset=utf-8', ContentEncoding: 'zstd' })
    expect(derived('icons/x.svg.zst')).toEqual({ ContentType: 'image/svg+xml; charset=utf-8', ContentEncoding: 'zstd' })
  })

  it('do not take a name that only looks like a delta for one', () => {
    expect(derived('js/app.js.dcz')).toEqual({ ContentType: 'application/octet-stream' })
    expect(derived('js/app.js.9F86D081884C7D65.dcz')).toEqual({ ContentType: 'application/octet-stream' })
  })

  it('give way to the write: its encoding and type win, and a named type means nothing is guessed', () => {
    expect({ ...toParams(objectHeaders(dcz, { contentType: 'text/javascript; charset=utf-8', contentEncoding: 'dcz', cacheControl: IMMUTABLE_CACHE_CONTROL }, undefined)) }).toEqual({
      ContentType: 'text/javascript; charset=utf-8',
      ContentEncoding: 'dcz',
      CacheControl: IMMUTABLE_CACHE_CONTROL,
    })
    expect({ ...toParams(objectHeaders(dcz, { contentType: 'application/octet-stream' }, undefined)) }).toEqual({ ContentType: 'application/octet-stream' })
    expect({ ...toParams(objectHeaders('a.js.zst', { contentEncoding: 'br' }, undefined)) }).toEqual({ ContentType: 'text/javascript; charset=utf-8', ContentEncoding: 'br' })
  })
})

describe('on a real S3-compatible server', () => {
  let server: TestS3Server
  beforeAll(async () => {
    server = await startS3Server()
  })
  afterAll(async () => {
    await server.dispose()
  })

  it('a delta and a zstd sibling are stored with their Content-Encoding and their target type', async () => {
    const prefix = uniquePrefix('deltas')
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client })
    const zst = 'js/app.1a2b3c4d5e6f.cmin.js.zst'
    for (const path of [dcz, dcb, zst]) await storage.write(path, Uint8Array.from([1, 2, 3]))
    const head = async (path: string): Promise<Record<string, unknown>> => {
      const output = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}` }))
      return { ContentType: output.ContentType, ContentEncoding: output.ContentEncoding }
    }
    expect(await head(dcz)).toEqual({ ContentType: 'text/javascript; charset=utf-8', ContentEncoding: 'dcz' })
    expect(await head(dcb)).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'dcb' })
    expect(await head(zst)).toEqual({ ContentType: 'text/javascript; charset=utf-8', ContentEncoding: 'zstd' })
  })
})
