import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync, gunzipSync } from 'node:zlib'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { serveStatic, type ServeStaticMiddleware, type ServeStaticOptions } from './serve-static.js'
import { HOSTILE, SECRETS, expectNothingLeaked, listen, request, sharedFixture, thrownBy, type Listening } from './test-helpers.js'

// `serveStatic({ sources })`: development straight from the source directories, as `convoy collect` would read them.

/** Two sources, `static` first, as a config's `sources: ['static', 'vendor/static']`, plus secrets next to them. */
let base: string
let sources: string[]
const servers: Listening[] = []
const middlewares: ServeStaticMiddleware[] = []

async function put(path: string, content: string | Uint8Array): Promise<void> {
  const file = join(base, ...path.split('/'))
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, content)
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'convoy-serve-sources-'))
  sources = [join(base, 'static'), join(base, 'vendor', 'static')]
  await put('static/css/site.css', 'body { color: red }\n')
  await put('static/css/shared.css', '/* from static */\n')
  await put('vendor/static/css/shared.css', '/* from vendor */\n')
  await put('vendor/static/js/lib.js', 'export const lib = 1\n')
  await put('static/img/my logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>')
  await put('static/big.bin', Buffer.alloc(100_000, 7))
  await put('static/data/table.json.gz', gzipSync('{"rows":[]}'))
  await put('static/data/table.json', '{"rows":[]}')
  // `static` has a folder where `vendor/static` has a file: collect takes the file from vendor.
  await put('static/fonts/icons.woff2/readme.txt', 'a folder in static')
  await put('vendor/static/fonts/icons.woff2', 'wOF2')
  // What collect never collects.
  await put('static/.env', SECRETS[2])
  await put('static/css/site.css~', SECRETS[2])
  await put('static/css/.site.css.swp', SECRETS[2])
  await put('static/css/site.css.swp', SECRETS[2])
  await put('static/css/#site.css#', SECRETS[2])
  await put('static/Thumbs.db', SECRETS[2])
  await put('secret.txt', SECRETS[0])
  await put('static-old/secret.txt', SECRETS[1])
  // Links: into the same source, into the other source (collect follows both), and out of every source.
  await symlink('site.css', join(base, 'static/css/alias.css'))
  await symlink(join(base, 'vendor/static/js'), join(base, 'static/vendor-js'))
  await symlink(join(base, 'secret.txt'), join(base, 'static/secret-link.txt'))
  await symlink(join(base, 'static-old'), join(base, 'static/old'))
  // Out of every source in `static`, but a real file in `vendor/static`: collect takes vendor's.
  await put('vendor/static/js/escape.js', 'vendor escape')
  await symlink(join(base, 'secret.txt'), join(base, 'static/js-escape.js'))
  await mkdir(join(base, 'static/js'), { recursive: true })
  await symlink(join(base, 'secret.txt'), join(base, 'static/js/escape.js'))
})

afterAll(async () => {
  for (const serve of middlewares) serve.close()
  await Promise.all(servers.map((server) => server.close()))
  await rm(base, { recursive: true, force: true })
})

/** A node:http server whose fallback answers 404 "fallback" (or 500 with the error's code). */
async function start(options: Partial<ServeStaticOptions> = {}): Promise<number> {
  const serve = serveStatic({ sources, ...options } as ServeStaticOptions)
  middlewares.push(serve)
  await serve.ready
  const server = await listen((req, res) =>
    serve(req, res, (error) => {
      res.writeHead(error === undefined ? 404 : 500, { 'content-type': 'text/plain' })
      res.end(error === undefined ? 'fallback' : isConvoyError(error) ? error.code : 'unknown error')
    }),
  )
  servers.push(server)
  return server.port
}

describe('serveStatic({ sources }): what is served', () => {
  let port: number
  beforeAll(async () => {
    port = await start()
  })

  it('serves a source file with no-cache, validators from its stat, its type and length', async () => {
    const reply = await request(port, '/css/site.css')
    expect(reply.status).toBe(200)
    expect(reply.body.toString()).toBe('body { color: red }\n')
    expect(reply.headers['cache-control']).toBe('no-cache')
    expect(reply.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(reply.headers['content-length']).toBe('20')
    expect(reply.headers.etag).toMatch(/^"14-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/)
    expect(Date.parse(reply.headers['last-modified']!)).not.toBeNaN()
    expect(reply.headers['x-content-type-options']).toBe('nosniff')
    expect(reply.headers.vary).toBeUndefined()
  })

  it('takes a path from the first source that has it, and the rest from the next', async () => {
    expect((await request(port, '/css/shared.css')).body.toString()).toBe('/* from static */\n')
    expect((await request(port, '/js/lib.js')).body.toString()).toBe('export const lib = 1\n')
    // A folder in the first source does not hide a file of the same name in the next.
    expect((await request(port, '/fonts/icons.woff2')).body.toString()).toBe('wOF2')
  })

  it('answers the URLs createConvoy({ debug: true }) makes: baseUrl + the percent-encoded logical path', async () => {
    const reply = await request(port, `/${['img', 'my logo.svg'].map(encodeURIComponent).join('/')}`)
    expect([reply.status, reply.headers['content-type']]).toEqual([200, 'image/svg+xml; charset=utf-8'])
  })

  it('follows links whose real path stays inside a source, as collect does, and nothing else', async () => {
    expect((await request(port, '/css/alias.css')).body.toString()).toBe('body { color: red }\n')
    expect((await request(port, '/vendor-js/lib.js')).body.toString()).toBe('export const lib = 1\n')
    for (const path of ['/secret-link.txt', '/old/secret.txt', '/js-escape.js']) {
      const reply = await request(port, path)
      expect([path, reply.status, reply.body.toString()]).toEqual([path, 404, 'fallback'])
    }
    // Skipped in `static` (a link out), so collect takes `vendor/static`'s file of that name.
    expect((await request(port, '/js/escape.js')).body.toString()).toBe('vendor escape')
  })

  it.each(['/.env', '/css/site.css~', '/css/.site.css.swp', '/css/site.css.swp', `/css/${encodeURIComponent('#site.css#')}`, '/Thumbs.db', '/css', '/css/', '/', '/nope.css', '/css/site.css%01'])(
    '%s (dotfiles, editor leftovers, folders, unknown) → next()',
    async (path) => {
      const reply = await request(port, path)
      expect([reply.status, reply.body.toString()]).toEqual([404, 'fallback'])
    },
  )

  it('sends a precompressed file asked for by name with its Content-Encoding and the inner type', async () => {
    const reply = await request(port, '/data/table.json.gz', { headers: { 'accept-encoding': 'identity' } })
    expect([reply.status, reply.headers['content-encoding'], reply.headers['content-type']]).toEqual([200, 'gzip', 'application/json; charset=utf-8'])
    expect(gunzipSync(reply.body).toString()).toBe('{"rows":[]}')
    // The plain file is sent as it is, whatever Accept-Encoding says: development negotiates nothing.
    const plain = await request(port, '/data/table.json', { headers: { 'accept-encoding': 'gzip, br' } })
    expect([plain.headers['content-encoding'], plain.body.toString()]).toEqual([undefined, '{"rows":[]}'])
  })

  it('honours Range, If-Range and HEAD, and answers 405 to other methods on a file', async () => {
    const part = await request(port, '/big.bin', { headers: { range: 'bytes=10-19' } })
    expect([part.status, part.headers['content-range'], part.headers['content-length'], part.body.length]).toEqual([206, 'bytes 10-19/100000', '10', 10])
    const stale = await request(port, '/big.bin', { headers: { range: 'bytes=10-19', 'if-range': '"stale"' } })
    expect([stale.status, stale.body.length]).toEqual([200, 100_000])
    expect((await request(port, '/big.bin', { headers: { range: 'bytes=200000-' } })).status).toBe(416)
    const head = await request(port, '/big.bin', { method: 'HEAD' })
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '100000', 0])
    const post = await request(port, '/css/site.css', { method: 'POST' })
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD'])
    expect((await request(port, '/api/things', { method: 'POST' })).body.toString()).toBe('fallback')
  })

  it.skipIf(process.platform === 'win32')('does not hang on a FIFO in a source', async () => {
    const fifo = join(base, 'static/pipe.css')
    execFileSync('mkfifo', [fifo])
    try {
      const reply = await request(port, '/pipe.css')
      expect([reply.status, reply.body.toString()]).toEqual([404, 'fallback'])
    } finally {
      await unlink(fifo)
    }
  })
})

describe('serveStatic({ sources }): the disk as it is now', () => {
  let port: number
  beforeAll(async () => {
    port = await start()
  })

  it('shows a saved edit on the next request, revalidating with 304 while nothing changed', async () => {
    const file = join(base, 'static/css/edited.css')
    await writeFile(file, 'a { color: red }')
    const first = await request(port, '/css/edited.css')
    const etag = first.headers.etag!
    const unchanged = await request(port, '/css/edited.css', { headers: { 'if-none-match': etag } })
    expect([unchanged.status, unchanged.headers.etag, unchanged.headers['cache-control'], unchanged.body.length]).toEqual([304, etag, 'no-cache', 0])
    const since = await request(port, '/css/edited.css', { headers: { 'if-modified-since': first.headers['last-modified']! } })
    expect(since.status).toBe(304)
    // Same size, as an editor's save often is; the times move on.
    await writeFile(file, 'a { color: tan }')
    const later = new Date(Date.now() + 5000)
    await utimes(file, later, later)
    const edited = await request(port, '/css/edited.css', { headers: { 'if-none-match': etag } })
    expect([edited.status, edited.body.toString()]).toEqual([200, 'a { color: tan }'])
    expect(edited.headers.etag).not.toBe(etag)
    // A save by rename (most editors), again the same size and even the same modification time.
    await writeFile(`${file}.tmp`, 'a { color: red }')
    await utimes(`${file}.tmp`, later, later)
    await rename(`${file}.tmp`, file)
    const renamed = await request(port, '/css/edited.css', { headers: { 'if-none-match': edited.headers.etag! } })
    expect([renamed.status, renamed.body.toString()]).toEqual([200, 'a { color: red }'])
  })

  it('finds a new file without a restart, and a deleted one is gone (next source first)', async () => {
    expect((await request(port, '/js/new.js')).body.toString()).toBe('fallback')
    await put('vendor/static/js/new.js', 'vendor new')
    expect((await request(port, '/js/new.js')).body.toString()).toBe('vendor new')
    await put('static/js/new.js', 'static new')
    expect((await request(port, '/js/new.js')).body.toString()).toBe('static new')
    await unlink(join(base, 'static/js/new.js'))
    expect((await request(port, '/js/new.js')).body.toString()).toBe('vendor new')
    await unlink(join(base, 'vendor/static/js/new.js'))
    const gone = await request(port, '/js/new.js')
    expect([gone.status, gone.body.toString()]).toEqual([404, 'fallback'])
  })
})

describe('serveStatic({ sources }): hostile paths', () => {
  // The collected-output fixture, served as one source: the same traps (secrets next to it, a sibling folder named
  // like it, dotfiles, links out) and the same table as the production tests.
  const shared = sharedFixture()
  const ports = new Map<boolean, number>()
  const fallback = (res: ServerResponse): void => {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('fallback')
  }
  beforeAll(async () => {
    for (const fallthrough of [true, false]) {
      const server = await shared.listenWhenReady(serveStatic({ sources: [shared.fixture.root], fallthrough }), fallback)
      ports.set(fallthrough, server.port)
    }
  })

  it.each(HOSTILE.flatMap((path) => [true, false].map((fallthrough) => [path, fallthrough] as const)))('%s (fallthrough %s)', async (path, fallthrough) => {
    const reply = await request(ports.get(fallthrough)!, path)
    expectNothingLeaked(path, reply.status, reply.body.toString('latin1'))
  })

  it('still serves the real files through the same server', async () => {
    const reply = await request(ports.get(false)!, `/${shared.fixture.paths.original}`)
    expect(reply.status).toBe(200)
  })
})

describe('serveStatic({ sources }) under Express, with the URLs of createConvoy({ debug: true, baseUrl: "/static/" })', () => {
  it('serves /static/<logical path> and leaves everything else to the app', async () => {
    const assets = serveStatic({ sources })
    middlewares.push(assets)
    const app = express()
    app.use('/static', assets)
    app.get('/', (_req, res) => {
      res.send('page')
    })
    app.use((_req, res) => {
      res.status(404).send('express 404')
    })
    const server = await listen(app)
    servers.push(server)
    // What `convoy.url('css/shared.css')` and `convoy.url('img/my logo.svg')` return in debug mode.
    for (const [url, status] of [
      ['/static/css/shared.css', 200],
      ['/static/img/my%20logo.svg', 200],
      ['/static/js/lib.js', 200],
      ['/static/nope.css', 404],
      ['/static/../secret.txt', 404],
      ['/', 200],
    ] as const) {
      const reply = await request(server.port, url)
      expect([url, reply.status]).toEqual([url, status])
      expect(reply.body.toString()).not.toContain(SECRETS[0])
    }
    expect((await request(server.port, '/static/css/shared.css')).headers['cache-control']).toBe('no-cache')
  })
})

describe('serveStatic({ sources }): options and errors', () => {
  it.each([
    [{ sources: [] }, 'non-empty'],
    [{ sources: [''] }, 'non-empty'],
    [{ sources: ['static'], root: 'public' }, 'exactly one'],
    [{ sources: ['static'], maxAge: 60 }, '`maxAge`'],
    [{ sources: ['static'], manifest: false, watch: true }, '`manifest`, `watch`'],
  ])('refuses %j', (options, message) => {
    const caught = thrownBy(() => serveStatic(options as ServeStaticOptions))
    expect(isConvoyError(caught) && caught.code).toBe('ERR_CONVOY_CONFIG')
    expect((caught as Error).message).toContain(message)
  })

  it('reports a missing source through ready and to requests, until reload() finds it', async () => {
    const missing = join(base, 'not-yet')
    const serve = serveStatic({ sources: [missing] })
    middlewares.push(serve)
    await expect(serve.ready).rejects.toMatchObject({ code: 'ERR_CONVOY_SOURCE', message: expect.stringContaining(missing) as string })
    const server = await listen((req, res) =>
      serve(req, res, (error) => {
        res.writeHead(error === undefined ? 404 : 500)
        res.end(isConvoyError(error) ? error.code : 'fallback')
      }),
    )
    servers.push(server)
    expect((await request(server.port, '/a.css')).body.toString()).toBe('ERR_CONVOY_SOURCE')
    await put('not-yet/a.css', 'found')
    await serve.reload()
    expect((await request(server.port, '/a.css')).body.toString()).toBe('found')
  })

  it('answers 404 and 400 itself without next, and strips a prefix for plain node:http', async () => {
    const serve = serveStatic({ sources, prefix: '/static/' })
    middlewares.push(serve)
    const server = await listen(serve)
    servers.push(server)
    expect((await request(server.port, '/static/css/site.css')).status).toBe(200)
    expect((await request(server.port, '/css/site.css')).status).toBe(404)
    expect((await request(server.port, '/static/nope.css')).status).toBe(404)
    expect((await request(server.port, '/static/%E0%A4%A')).status).toBe(400)
  })

  it('lets the headers hook see the logical path and change headers, on 200 and 304', async () => {
    const seen: string[] = []
    const port = await start({
      headers: (path, res) => {
        seen.push(path)
        res.setHeader('Access-Control-Allow-Origin', '*')
      },
    })
    const first = await request(port, '/css/site.css')
    const again = await request(port, '/css/site.css', { headers: { 'if-none-match': first.headers.etag! } })
    expect([first.headers['access-control-allow-origin'], again.status, again.headers['access-control-allow-origin']]).toEqual(['*', 304, '*'])
    expect(seen).toEqual(['css/site.css', 'css/site.css'])
  })

  it('passes an error thrown by the headers hook to next(error)', async () => {
    const port = await start({
      headers: () => {
        throw new Error('hook failed')
      },
    })
    const reply = await request(port, '/css/site.css')
    expect([reply.status, reply.body.toString()]).toEqual([500, 'unknown error'])
  })
})
