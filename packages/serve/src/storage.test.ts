import { brotliDecompressSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { serveStatic } from './serve-static.js'
import { createMemoryStorage, request, sharedFixture } from './test-helpers.js'

const { fixture, listenWhenReady } = sharedFixture()

async function start(storage: ReturnType<typeof createMemoryStorage>, memoryCacheBytes?: number): Promise<{ port: number; reload: () => Promise<void> }> {
  const serve = serveStatic({ storage, ...(memoryCacheBytes === undefined ? {} : { memoryCacheBytes }) })
  const server = await listenWhenReady(serve, (res) => {
    res.writeHead(404)
    res.end('fallback')
  })
  return { port: server.port, reload: serve.reload }
}

describe.each([
  ['from memory', undefined],
  ['streamed through readStream', 0],
])('serving from a Storage, %s', (_, memoryCacheBytes) => {
  let port: number
  beforeAll(async () => {
    ;({ port } = await start(createMemoryStorage(fixture.files), memoryCacheBytes))
  })

  it('reads the manifest from the storage and negotiates siblings', async () => {
    const reply = await request(port, `/${fixture.paths.served}`, { headers: { 'accept-encoding': 'gzip, br' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(reply.headers['last-modified']).toBe('Tue, 03 Feb 2026 04:05:06 GMT')
    expect(brotliDecompressSync(reply.body).equals(fixture.files.get(fixture.paths.served)!)).toBe(true)
  })

  it('keeps the short max-age for originals and passes on names the manifest does not know', async () => {
    expect((await request(port, `/${fixture.paths.original}`)).headers['cache-control']).toBe('public, max-age=60')
    expect((await request(port, `/${fixture.paths.stray}`)).body.toString()).toBe('fallback')
  })

  it('answers ranges across chunk boundaries and revalidates', async () => {
    const big = fixture.files.get(fixture.paths.big)!
    const part = await request(port, `/${fixture.paths.big}`, { headers: { range: 'bytes=999-3000' } })
    expect(part.status).toBe(206)
    expect(part.body.equals(big.subarray(999, 3001))).toBe(true)
    const whole = await request(port, `/${fixture.paths.big}`)
    expect(whole.body.equals(big)).toBe(true)
    const again = await request(port, `/${fixture.paths.big}`, { headers: { 'if-none-match': whole.headers.etag! } })
    expect(again.status).toBe(304)
  })
})

describe('a Storage without a manifest', () => {
  it('serves every listed object with the short max-age and sees new objects after reload()', async () => {
    const storage = createMemoryStorage(new Map([['robots.txt', Buffer.from('User-agent: *\n')]]))
    const { port, reload } = await start(storage)
    const robots = await request(port, '/robots.txt')
    expect([robots.status, robots.headers['content-type'], robots.headers['cache-control']]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'public, max-age=60',
    ])
    await storage.write('humans.txt', 'hello')
    expect((await request(port, '/humans.txt')).status).toBe(404)
    await reload()
    expect((await request(port, '/humans.txt')).body.toString()).toBe('hello')
  })

  it('falls through when an object vanished after indexing', async () => {
    const storage = createMemoryStorage(new Map([['gone.bin', Buffer.alloc(10)]]))
    const { port } = await start(storage, 0)
    await storage.delete('gone.bin')
    expect((await request(port, '/gone.bin')).body.toString()).toBe('fallback')
  })
})
