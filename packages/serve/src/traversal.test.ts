import { beforeAll, describe, expect, it } from 'vitest'
import { serveStatic, type ServeStaticOptions } from './serve-static.js'
import { SECRETS, createMemoryStorage, rawRequest, request, sharedFixture } from './test-helpers.js'

// Every one of these must end in 400/404 (or next()) and never carry a byte from outside the root or a dotfile.
// The fixture puts secrets next to the root (`../secret.txt`), in a sibling folder whose name starts like the root's
// (`public-old`), in dotfiles inside the root, behind symlinks pointing out of the root, and behind a manifest entry
// whose original is such a symlink.
const HOSTILE = [
  '/../secret.txt',
  '/../../secret.txt',
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2E/secret.txt',
  '/%2e%2e%2fsecret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/..%252fsecret.txt',
  '/%25%32%65%25%32%65/secret.txt',
  '/css/../../secret.txt',
  '/css/..%2f..%2fsecret.txt',
  '/css/%2e%2e/%2e%2e/secret.txt',
  '/css/base.css/..%2f..%2f..%2fsecret.txt',
  '/css/./../secret.txt',
  '/..\\secret.txt',
  '/..%5csecret.txt',
  '/..%5Csecret.txt',
  '/css\\..\\..\\secret.txt',
  '/css%5c..%5c..%5csecret.txt',
  '/%5c..%5csecret.txt',
  '/..%255csecret.txt',
  '/%252e%252e%255csecret.txt',
  '/secret.txt%00.css',
  '/css/base.css%00',
  '/%00../secret.txt',
  '/..%00/secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%c0%ae%c0%ae%c0%afsecret.txt',
  '/..%c0%afsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/%c1%9c..%c1%9csecret.txt',
  '/%uff0e%uff0e/secret.txt',
  '/%ef%bc%8e%ef%bc%8e/secret.txt',
  '/%',
  '/%zz',
  '/%e2%82',
  '/css/%',
  '/../public-old/secret.txt',
  '/..%2fpublic-old%2fsecret.txt',
  '/%2e%2e/public-old/secret.txt',
  '/../public-old/css/base.css',
  '/public-old/secret.txt',
  '/linked/secret.txt',
  '/linked/css/base.css',
  '/css/escape.css',
  '/secret-link.txt',
  '//secret.txt',
  '//etc/passwd',
  '/etc/passwd',
  '/%2fetc%2fpasswd',
  '/%2Fetc/passwd',
  '///etc/passwd',
  '/C:/Windows/win.ini',
  '/C:%5cWindows%5cwin.ini',
  '/c:secret.txt',
  '/file:///etc/passwd',
  '/.env',
  '/%2eenv',
  '/.git/config',
  '/%2egit/config',
  '/css/.hidden.css',
  '/css/%2ehidden.css',
  '/./secret.txt',
  '/..',
  '/../',
  '/.',
  '/%2e',
  '/%2e%2e',
  '/....//secret.txt',
  '/..../secret.txt',
  '/.../secret.txt',
  '/css/..;/..;/secret.txt',
  '/%2e%2e;/secret.txt',
  '/secret.txt',
  '/../secret.txt?download=1',
  '/css/',
  '/',
  'http://127.0.0.1/../secret.txt',
  '\\..\\secret.txt',
  '*',
] as const

const { fixture, listen, listenWhenReady } = sharedFixture()

async function start(options: Partial<ServeStaticOptions>): Promise<number> {
  const server = await listenWhenReady(serveStatic({ root: fixture.root, ...options } as ServeStaticOptions), (res) => {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('fallback')
  })
  return server.port
}

function expectNothingLeaked(path: string, status: number, body: string): void {
  expect([path, [400, 404].includes(status)]).toEqual([path, true])
  for (const secret of SECRETS) expect(body, path).not.toContain(secret)
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

  it(`covers at least 60 paths (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(60)
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
  it.each([
    'GET /..\0/secret.txt HTTP/1.1',
    'GET /../secret.txt\0 HTTP/1.1',
    'GET /.. /secret.txt HTTP/1.1',
    'GET /%2e%2e/secret.txt\t HTTP/1.1',
    'GET /\xc0\xae\xc0\xae/secret.txt HTTP/1.1',
  ])('%j', async (line) => {
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
