import { beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, type ServeStaticOptions } from './serve-static.js'
import { HOSTILE, RAW_HOSTILE_TARGETS, SECRETS, createMemoryStorage, expectNothingLeaked, rawRequest, request, sharedFixture } from './test-helpers.js'

// Served under a prefix with the default options, the hostile-path table runs in conformance.test.ts, as for every
// adapter; here it runs against the other options (mounted at the root, no manifest, no fallthrough, streamed).
const { fixture, listen, listenWhenReady } = sharedFixture()

async function start(options: Partial<ServeStaticOptions>): Promise<number> {
  const server = await listenWhenReady(serveStatic({ root: fixture.root, ...options } as ServeStaticOptions), (res) => {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('fallback')
  })
  return server.port
}

describe.each([
  ['directory with manifest, fallthrough', { prefix: '/' }],
  ['directory without manifest, fallthrough', { manifest: false as const }],
  ['directory with manifest, no fallthrough', { fallthrough: false }],
  ['directory without manifest, streamed, no fallthrough', { manifest: false as const, memoryCacheBytes: 0, fallthrough: false }],
])('hostile paths: %s', (_, options) => {
  let port: number
  beforeAll(async () => {
    port = await start(options)
  })

  it.each(HOSTILE)('%s', async (path) => {
    const reply = await request(port, path)
    expectNothingLeaked(path, reply.status, reply.body.toString('latin1'))
  })

  it('still serves the real files through the same server', async () => {
    const reply = await request(port, `/${fixture.paths.served}`)
    expect(reply.status).toBe(200)
  })
})

describe('hostile paths under a prefix', () => {
  let port: number
  beforeAll(async () => {
    port = await start({ prefix: '/static/', fallthrough: false })
  })
  it.each(HOSTILE.filter((path) => path.startsWith('/')))('/static%s', async (path) => {
    const reply = await request(port, `/static${path}`)
    expectNothingLeaked(path, reply.status, reply.body.toString('latin1'))
  })
})

describe('request lines no client would send', () => {
  let port: number
  beforeAll(async () => {
    port = await start({ fallthrough: false })
  })
  it.each(RAW_HOSTILE_TARGETS)('GET %j', async (target) => {
    const line = `GET ${target} HTTP/1.1`
    const response = await rawRequest(port, `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 400)
    expectNothingLeaked(line, status, response)
  })
})

describe('a storage whose listing holds unsafe keys', () => {
  it('never serves them', async () => {
    const storage = createMemoryStorage(
      new Map<string, Uint8Array>([
        ['ok.txt', Buffer.from('ok')],
        ['../secret.txt', Buffer.from(SECRETS[0])],
        ['/etc/passwd', Buffer.from(SECRETS[0])],
        ['a\\..\\secret.txt', Buffer.from(SECRETS[0])],
        ['.env', Buffer.from(SECRETS[2])],
        ['css/.hidden', Buffer.from(SECRETS[2])],
        ['css//double', Buffer.from(SECRETS[0])],
        ['C:/secret.txt', Buffer.from(SECRETS[0])],
      ]),
    )
    const serve = serveStatic({ storage, manifest: false, fallthrough: false })
    const server = await listen(serve)
    expect((await request(server.port, '/ok.txt')).body.toString()).toBe('ok')
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '//etc/passwd', '/%2fetc%2fpasswd', '/a%5c..%5csecret.txt', '/a\\..\\secret.txt', '/.env', '/css/.hidden', '/css//double', '/C:/secret.txt']) {
      const reply = await request(server.port, path)
      expectNothingLeaked(path, reply.status, reply.body.toString())
    }
  })
})
