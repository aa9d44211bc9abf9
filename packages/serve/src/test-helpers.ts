// Shared by the tests: a collected-looking fixture on disk, a tiny in-memory Storage, servers and clients.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import type { Storage, StorageBody, StorageEntry } from '@convoy/storage'
import type { Manifest } from '@convoy/manifest'
import { afterAll, beforeAll, expect } from 'vitest'
import type { ServeStaticMiddleware } from './serve-static.js'

export const SECRETS = ['TOPSECRET-OUTSIDE-ROOT', 'TOPSECRET-SIBLING-FOLDER', 'TOPSECRET-DOTFILE', 'TOPSECRET-GIT'] as const

// Every one of these must end in 400/404 (or next()) and never carry a byte from outside the root or a dotfile.
// The fixture puts secrets next to the root (`../secret.txt`), in a sibling folder whose name starts like the root's
// (`public-old`), in dotfiles inside the root, behind symlinks pointing out of the root, and behind a manifest entry
// whose original is such a symlink.
export const HOSTILE = [
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

/** A hostile request must end in 400 or 404 (or next()) and never carry a byte of a secret. */
export function expectNothingLeaked(path: string, status: number, body: string): void {
  expect([path, [400, 404].includes(status)]).toEqual([path, true])
  for (const secret of SECRETS) expect(body, path).not.toContain(secret)
}

const md5 = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('hex').slice(0, 12)
const sri = (bytes: Uint8Array | string): string => `sha384-${createHash('sha384').update(bytes).digest('base64')}`

export interface Fixture {
  /** Temporary folder holding `public/` (the root), `public-old/` and `secret.txt`. */
  readonly base: string
  readonly root: string
  readonly manifest: Manifest
  /** Every file written under the root (storage path → bytes), symlinks and dotfiles excluded. */
  readonly files: ReadonlyMap<string, Buffer>
  readonly paths: {
    readonly original: string
    readonly fingerprinted: string
    readonly served: string
    readonly gzip: string
    readonly br: string
    readonly jsServed: string
    readonly jsGzip: string
    readonly jsMap: string
    readonly image: string
    readonly imageOriginal: string
    readonly carpool: string
    readonly carpoolBr: string
    readonly old: string
    readonly big: string
    readonly stray: string
  }
  cleanup(): Promise<void>
}

/** A root as `convoy collect` leaves it, plus secrets next to it and traps (dotfiles, symlinks out) inside it. */
export async function createFixture(): Promise<Fixture> {
  const base = await mkdtemp(join(tmpdir(), 'convoy-serve-'))
  const root = join(base, 'public')
  const files = new Map<string, Buffer>()
  const put = async (path: string, content: Uint8Array | string, keep = true): Promise<Buffer> => {
    const bytes = Buffer.from(content)
    const file = join(root, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, bytes)
    if (keep) files.set(path, bytes)
    return bytes
  }

  const rules = Array.from({ length: 80 }, (_, i) => `.rule-${i} { color: #${(i * 4099).toString(16).padStart(6, '0').slice(0, 6)}; margin: ${i}px; }`)
  const originalCss = `/* base */\n${rules.join('\n')}\n`
  const minCss = rules.join('')
  const original = 'css/base.css'
  const fingerprinted = `css/base.${md5(originalCss)}.css`
  const served = `css/base.${md5(minCss)}.cmin.css`
  await put(original, originalCss)
  await put(fingerprinted, originalCss)
  const servedBytes = await put(served, minCss)
  const gzipBytes = await put(`${served}.gz`, gzipSync(servedBytes, { level: 9 }))
  const brBytes = await put(`${served}.br`, brotliCompressSync(servedBytes))

  const js = `export function hello(name) {\n  return 'hello ' + name + '${'!'.repeat(400)}'\n}\n`.repeat(4)
  const jsMin = js.replace(/\s+/g, ' ')
  const jsServed = `js/app.${md5(jsMin)}.cmin.js`
  await put('js/app.js', js)
  await put(`js/app.${md5(js)}.js`, js)
  const jsBytes = await put(jsServed, jsMin)
  await put(`${jsServed}.gz`, gzipSync(jsBytes))
  const jsMap = `${jsServed}.map`
  await put(jsMap, JSON.stringify({ version: 3, sources: ['app.js'], mappings: '' }))

  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1200, 7)])
  const image = `img/logo.${md5(png)}.png`
  await put('img/logo.png', png)
  await put(image, png)

  const carpoolCss = `${minCss}${minCss}`
  const carpool = `CARPOOL/css/${md5(carpoolCss)}.cmin.css`
  const carpoolBytes = await put(carpool, carpoolCss)
  await put(`${carpool}.gz`, gzipSync(carpoolBytes))
  await put(`${carpool}.br`, brotliCompressSync(carpoolBytes))

  // Served by an earlier deploy, still on disk: pages rendered before the deploy ask for it.
  const old = 'css/base.0123456789ab.cmin.css'
  await put(old, '.old{color:red}')
  // Too big for the memory cache: always streamed from disk.
  const bigContent = Buffer.alloc(300 * 1024)
  for (let i = 0; i < bigContent.length; i++) bigContent[i] = (i * 31 + 7) % 251
  const big = `data/big.${md5(bigContent)}.bin`
  await put('data/big.bin', bigContent)
  await put(big, bigContent)
  // In the root but named by no manifest.
  const stray = 'stray.txt'
  await put(stray, 'stray file')

  // Traps: none of these may ever be served.
  await writeFile(join(base, 'secret.txt'), SECRETS[0])
  await mkdir(join(base, 'public-old', 'css'), { recursive: true })
  await writeFile(join(base, 'public-old', 'secret.txt'), SECRETS[1])
  await writeFile(join(base, 'public-old', 'css', 'base.css'), SECRETS[1])
  await put('.env', SECRETS[2], false)
  await put('.git/config', SECRETS[3], false)
  await put('css/.hidden.css', SECRETS[2], false)
  await symlink(join('..', '..', 'secret.txt'), join(root, 'css', 'escape.css'))
  await symlink(join('..', 'public-old'), join(root, 'linked'))
  await symlink(join('..', 'secret.txt'), join(root, 'secret-link.txt'))
  // A symlink that stays inside the root is fine.
  await symlink(`base.${md5(minCss)}.cmin.css`, join(root, 'css', 'alias.css'))

  const entry = (servedPath: string, bytes: Buffer, fp: string, contentType: string) => ({
    served: servedPath,
    size: bytes.length,
    integrity: sri(bytes),
    fingerprinted: fp,
    sourceHash: md5(bytes),
    contentType,
  })
  const manifest: Manifest = {
    version: 1,
    id: 'fixture0000000001',
    baseUrl: '/static/',
    hash: { algorithm: 'md5', length: 12 },
    files: {
      [original]: {
        ...entry(served, servedBytes, fingerprinted, 'text/css; charset=utf-8'),
        encodings: { gzip: { path: `${served}.gz`, size: gzipBytes.length }, br: { path: `${served}.br`, size: brBytes.length } },
      },
      // A manifest entry whose original is a symlink out of the root: named, and still never served.
      'css/escape.css': entry(served, servedBytes, fingerprinted, 'text/css; charset=utf-8'),
      'data/big.bin': entry(big, bigContent, big, 'application/octet-stream'),
      'img/logo.png': entry(image, png, image, 'image/png'),
      'js/app.js': {
        ...entry(jsServed, jsBytes, `js/app.${md5(js)}.js`, 'text/javascript; charset=utf-8'),
        encodings: { gzip: { path: `${jsServed}.gz`, size: gzipSync(jsBytes).length } },
        map: jsMap,
      },
    },
    carpools: {
      'css/site': {
        kind: 'css',
        members: [original],
        served: carpool,
        size: carpoolBytes.length,
        integrity: sri(carpoolBytes),
        contentType: 'text/css; charset=utf-8',
        encodings: { gzip: { path: `${carpool}.gz`, size: 1 }, br: { path: `${carpool}.br`, size: 1 } },
      },
    },
    history: [{ supersededAt: '2026-01-01T00:00:00Z', id: 'fixture0000000000', dropped: [old, 'css/gone.111111111111.css'] }],
  }
  await put('convoy-manifest.json', `${JSON.stringify(manifest, null, 2)}\n`)

  return {
    base,
    root,
    manifest,
    files,
    paths: {
      original,
      fingerprinted,
      served,
      gzip: `${served}.gz`,
      br: `${served}.br`,
      jsServed,
      jsGzip: `${jsServed}.gz`,
      jsMap,
      image,
      imageOriginal: 'img/logo.png',
      carpool,
      carpoolBr: `${carpool}.br`,
      old,
      big,
      stray,
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  }
}

export interface Listening {
  readonly server: Server
  readonly port: number
  readonly close: () => Promise<void>
}

/** Starts `listener` on 127.0.0.1 with an ephemeral port. */
export async function listen(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface SharedFixture {
  /** The fixture of the file; read it inside hooks and tests, once the file's `beforeAll` has built it. */
  readonly fixture: Fixture
  /** `listen`, with the server closed after the file's last test. */
  readonly listen: (listener: RequestListener) => Promise<Listening>
  /** Waits until `serve` is ready, then listens; `next` answers what `serve` passes on. Both closed after the file's last test. */
  readonly listenWhenReady: (serve: ServeStaticMiddleware, next: (res: ServerResponse, error: unknown) => void) => Promise<Listening>
}

/**
 * One fixture for the calling test file, built before its first test and removed after its last, together with
 * the servers its tests start. Call it once, at the top level of the file.
 */
export function sharedFixture(): SharedFixture {
  let built: Fixture | undefined
  const servers: Listening[] = []
  const middlewares: ServeStaticMiddleware[] = []
  beforeAll(async () => {
    built = await createFixture()
  })
  afterAll(async () => {
    for (const serve of middlewares) serve.close()
    await Promise.all(servers.map((server) => server.close()))
    await built?.cleanup()
  })
  const ready = (): Fixture => {
    if (built === undefined) throw new Error('sharedFixture: the fixture is built in beforeAll; read it inside hooks and tests')
    return built
  }
  const tracked = async (listener: RequestListener): Promise<Listening> => {
    const server = await listen(listener)
    servers.push(server)
    return server
  }
  return {
    // Stands for the fixture from the start, so a file can name it at the top level before it is built.
    fixture: {
      get base() {
        return ready().base
      },
      get root() {
        return ready().root
      },
      get manifest() {
        return ready().manifest
      },
      get files() {
        return ready().files
      },
      get paths() {
        return ready().paths
      },
      cleanup: () => ready().cleanup(),
    },
    listen: tracked,
    listenWhenReady: async (serve, next) => {
      middlewares.push(serve)
      await serve.ready
      return tracked((req, res) => serve(req, res, (error) => next(res, error)))
    },
  }
}

export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** One request, the path sent exactly as given (no normalisation, unlike `fetch`). */
export function request(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${path}`)))
    req.on('error', reject)
    req.end()
  })
}

/** Raw bytes over a socket, for request lines no HTTP client would send. Resolves with everything the server sent. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text))
    const chunks: Buffer[] = []
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', reject)
  })
}

/** A minimal, complete in-memory `Storage`: what a test needs to serve from something that is not a directory. */
export function createMemoryStorage(initial: ReadonlyMap<string, Uint8Array> = new Map()): Storage & { readonly objects: Map<string, { bytes: Buffer; at: Date }> } {
  const objects = new Map<string, { bytes: Buffer; at: Date }>()
  const at = new Date('2026-02-03T04:05:06Z')
  for (const [path, bytes] of initial) objects.set(path, { bytes: Buffer.from(bytes), at })
  const toBuffer = async (body: StorageBody): Promise<Buffer> => {
    if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body)
    const chunks: Buffer[] = []
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
    return Buffer.concat(chunks)
  }
  const entry = (path: string, object: { bytes: Buffer; at: Date }): StorageEntry => ({ path, size: object.bytes.length, lastModified: object.at })
  return {
    name: 'memory:test',
    capabilities: { atomicWrites: true },
    objects,
    read: (path) => Promise.resolve(objects.get(path)?.bytes ?? null),
    readStream: (path) => {
      const object = objects.get(path)
      if (object === undefined) return Promise.resolve(null)
      // Small chunks, so range slicing across chunk boundaries is exercised.
      const chunks: Buffer[] = []
      for (let i = 0; i < object.bytes.length; i += 1000) chunks.push(object.bytes.subarray(i, i + 1000))
      return Promise.resolve(Readable.from(chunks))
    },
    write: async (path, body) => {
      objects.set(path, { bytes: await toBuffer(body), at: new Date() })
    },
    exists: (path) => Promise.resolve(objects.has(path)),
    stat: (path) => {
      const object = objects.get(path)
      return Promise.resolve(object === undefined ? null : entry(path, object))
    },
    delete: (path) => {
      objects.delete(path)
      return Promise.resolve()
    },
    list: (prefix = '') => {
      const entries = [...objects].filter(([path]) => path.startsWith(prefix)).map(([path, object]) => entry(path, object))
      return (async function* () {
        // A storage lists page by page: yield asynchronously, as a real one does.
        for (const item of entries) yield await Promise.resolve(item)
      })()
    },
    url: (path) => `/static/${path}`,
  }
}

/** Reads a file of the fixture root. */
export function readRoot(fixture: Fixture, path: string): Promise<Buffer> {
  return readFile(join(fixture.root, ...path.split('/')))
}

/** What `run` throws (synchronously), or `undefined` when it returns. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  return undefined
}
