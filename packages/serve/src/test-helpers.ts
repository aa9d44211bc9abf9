// Shared by the tests: servers and clients, a tiny in-memory Storage, and the collected-looking fixture, the hostile-path
// table and the secrets it hides, which come from @convoy/adapter-test-suite (one copy for every adapter).
import { readFile } from 'node:fs/promises'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createFixture, type Fixture } from '@convoy/adapter-test-suite'
import type { Storage, StorageBody, StorageEntry } from '@convoy/storage'
import { afterAll, beforeAll } from 'vitest'
import type { ServeStaticMiddleware } from './serve-static.js'

export { HOSTILE, RAW_HOSTILE_TARGETS, SECRETS, createFixture, expectNothingLeaked, type Fixture } from '@convoy/adapter-test-suite'

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

/** Raw bytes over a socket (each character one latin1 byte), for request lines no HTTP client would send. Resolves with everything the server sent. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(text, 'latin1')))
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

/** `storage`, recording the path of every `stat` in `stats`: to prove what a build or a request looks at. */
export function countingStats<T extends Pick<Storage, 'stat'>>(storage: T): { storage: T; stats: string[] } {
  const stats: string[] = []
  return {
    stats,
    storage: {
      ...storage,
      stat: (path: string) => {
        stats.push(path)
        return storage.stat(path)
      },
    },
  }
}
