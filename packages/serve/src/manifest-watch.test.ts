import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { createManifest, MANIFEST_FILE, supersede, writeManifestFile, type Manifest, type ManifestEntry } from '@convoy/manifest'
import { MANIFEST_DEBOUNCE_MS, watchManifest } from './manifest-watch.js'
import { serveStatic, type ServeStaticMiddleware, type ServeStaticOptions } from './serve-static.js'
import { listen, request, type Listening } from './test-helpers.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'convoy-serve-watch-'))
  cleanups.push(() => rm(root, { recursive: true, force: true }))
  return root
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it holds, for at most `timeoutMs`; returns whether it did. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(20)
  }
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex').slice(0, 12)
const sri = (text: string): string => `sha384-${createHash('sha384').update(text).digest('base64')}`

/**
 * What `convoy collect` leaves in `root` for `files` (logical path → text): the originals, the fingerprinted files
 * with `.gz` siblings, then, last and atomically, the manifest succeeding `previous`. Returns the manifest.
 */
async function collectInto(root: string, files: Readonly<Record<string, string>>, previous: Manifest | null): Promise<Manifest> {
  const entries: Record<string, ManifestEntry> = {}
  for (const [logicalPath, text] of Object.entries(files)) {
    const dot = logicalPath.lastIndexOf('.')
    const served = `${logicalPath.slice(0, dot)}.${md5(text)}${logicalPath.slice(dot)}`
    const gzip = gzipSync(text.repeat(20))
    for (const [path, bytes] of [
      [logicalPath, text],
      [served, text],
      [`${served}.gz`, gzip],
    ] as const) {
      const file = join(root, ...path.split('/'))
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, bytes)
    }
    entries[logicalPath] = {
      served,
      size: Buffer.byteLength(text),
      integrity: sri(text),
      fingerprinted: served,
      sourceHash: md5(text),
      contentType: 'text/css; charset=utf-8',
      encodings: { gzip: { path: `${served}.gz`, size: gzip.length } },
    }
  }
  const manifest = supersede(previous, createManifest({ files: entries, baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } }))
  await writeManifestFile(join(root, MANIFEST_FILE), manifest)
  return manifest
}

async function start(options: ServeStaticOptions): Promise<{ serve: ServeStaticMiddleware; server: Listening }> {
  const serve = serveStatic(options)
  cleanups.push(() => serve.close())
  await serve.ready
  const server = await listen((req, res) =>
    serve(req, res, () => {
      res.writeHead(404)
      res.end('fallback')
    }),
  )
  cleanups.push(() => server.close())
  return { serve, server }
}

describe('a running serveStatic picks up a new convoy-manifest.json by itself', () => {
  it('serves the files a newly written manifest names, keeps serving the previous ones, and stops on close()', async () => {
    const root = await tempRoot()
    const warnings: string[] = []
    const first = await collectInto(root, { 'css/site.css': 'a{color:red}' }, null)
    const { serve, server } = await start({ root, onWarning: (message) => warnings.push(message) })
    const oldServed = first.files['css/site.css']!.served
    expect((await request(server.port, `/${oldServed}`)).status).toBe(200)

    const second = await collectInto(root, { 'css/site.css': 'a{color:blue}', 'css/new.css': 'b{color:tan}' }, first)
    const newServed = second.files['css/new.css']!.served
    expect(await until(async () => (await request(server.port, `/${newServed}`)).status === 200)).toBe(true)
    // The whole new index is in place: negotiation, immutable caching, and the edited original's new bytes.
    const gzip = await request(server.port, `/${second.files['css/site.css']!.served}`, { headers: { 'accept-encoding': 'gzip' } })
    expect([gzip.status, gzip.headers['content-encoding'], gzip.headers['cache-control']]).toEqual([200, 'gzip', 'public, max-age=31536000, immutable'])
    expect((await request(server.port, '/css/site.css')).body.toString()).toBe('a{color:blue}')
    // Pages rendered before the deploy still ask for the old name: the manifest's history keeps it servable.
    expect((await request(server.port, `/${oldServed}`)).status).toBe(200)
    expect(warnings).toEqual([])

    serve.close()
    const third = await collectInto(root, { 'css/site.css': 'a{color:green}' }, second)
    await sleep(MANIFEST_DEBOUNCE_MS * 8)
    expect((await request(server.port, `/${third.files['css/site.css']!.served}`)).body.toString()).toBe('fallback')
    // reload() still works after close().
    await serve.reload()
    expect((await request(server.port, `/${third.files['css/site.css']!.served}`)).status).toBe(200)
  })

  it('keeps the index it has when the new manifest is broken, says so, and recovers with the next good one', async () => {
    const root = await tempRoot()
    const warnings: string[] = []
    const first = await collectInto(root, { 'css/site.css': 'a{color:red}' }, null)
    const { server } = await start({ root, onWarning: (message) => warnings.push(message) })
    await writeFile(join(root, MANIFEST_FILE), '{"version": 1, "files": ')
    expect(await until(() => warnings.length > 0)).toBe(true)
    expect(warnings[0]).toContain(join(root, MANIFEST_FILE))
    expect(warnings[0]).toContain('previous index stays in use')
    expect((await request(server.port, `/${first.files['css/site.css']!.served}`)).status).toBe(200)
    const second = await collectInto(root, { 'css/other.css': 'b{}' }, first)
    expect(await until(async () => (await request(server.port, `/${second.files['css/other.css']!.served}`)).status === 200)).toBe(true)
  })

  it('watches an explicit manifest path, and also the root manifest with manifest: false', async () => {
    const root = await tempRoot()
    const elsewhere = await tempRoot()
    const first = await collectInto(root, { 'css/site.css': 'a{color:red}' }, null)
    await writeManifestFile(join(elsewhere, 'release.json'), first)
    const explicit = await start({ root, manifest: join(elsewhere, 'release.json') })
    const walked = await start({ root, manifest: false })
    const second = await collectInto(root, { 'css/new.css': 'b{color:tan}' }, first)
    const newServed = second.files['css/new.css']!.served
    // Without a manifest every file is served: the new one shows once collect's manifest says it is done.
    expect(await until(async () => (await request(walked.server.port, `/${newServed}`)).status === 200)).toBe(true)
    // The explicit manifest has not changed: the new file is not named by it.
    expect((await request(explicit.server.port, `/${newServed}`)).body.toString()).toBe('fallback')
    await writeManifestFile(join(elsewhere, 'release.json'), second)
    expect(await until(async () => (await request(explicit.server.port, `/${newServed}`)).status === 200)).toBe(true)
  })

  it('starts watching with the first index that stands, after a start without the root', async () => {
    const root = join(await tempRoot(), 'out')
    const serve = serveStatic({ root })
    cleanups.push(() => serve.close())
    await expect(serve.ready).rejects.toMatchObject({ code: 'ERR_CONVOY_STORAGE' })
    const first = await collectInto(root, { 'css/site.css': 'a{color:red}' }, null)
    await serve.reload()
    const server = await listen((req, res) =>
      serve(req, res, () => {
        res.writeHead(404)
        res.end('fallback')
      }),
    )
    cleanups.push(() => server.close())
    expect((await request(server.port, `/${first.files['css/site.css']!.served}`)).status).toBe(200)
    const second = await collectInto(root, { 'css/new.css': 'b{}' }, first)
    expect(await until(async () => (await request(server.port, `/${second.files['css/new.css']!.served}`)).status === 200)).toBe(true)
  })

  it('does not watch with watch: false, and refuses watch: true where there is nothing to watch', async () => {
    const root = await tempRoot()
    const first = await collectInto(root, { 'css/site.css': 'a{color:red}' }, null)
    const { server } = await start({ root, watch: false })
    const second = await collectInto(root, { 'css/new.css': 'b{}' }, first)
    await sleep(MANIFEST_DEBOUNCE_MS * 8)
    expect((await request(server.port, `/${second.files['css/new.css']!.served}`)).body.toString()).toBe('fallback')
    expect(() => serveStatic({ root, manifest: first, watch: true })).toThrow(/manifest object cannot be watched/)
  })
})

describe('watchManifest', () => {
  it('rebuilds once per burst of changes of the manifest, ignores other names, and lets misses wait for it', async () => {
    const root = await tempRoot()
    const file = join(root, MANIFEST_FILE)
    let rebuilds = 0
    let release: () => void = () => undefined
    const watch = watchManifest(
      file,
      () => {
        rebuilds++
        return new Promise<void>((resolve) => {
          release = resolve
        })
      },
      (message) => {
        throw new Error(`unexpected warning: ${message}`)
      },
    )
    cleanups.push(() => watch.close())
    await writeFile(join(root, 'other.css'), 'x')
    await sleep(MANIFEST_DEBOUNCE_MS * 4)
    expect([rebuilds, watch.settling()]).toEqual([0, undefined])

    // Written without yielding to the event loop: one burst however slow the machine (awaited writes on a loaded
    // CI runner could spread over more than the debounce window and be two bursts).
    for (let i = 0; i < 5; i++) writeFileSync(file, `{"n": ${i}}`)
    expect(await until(() => watch.settling() !== undefined)).toBe(true)
    const settling = watch.settling()!
    let settled = false
    void settling.then(() => {
      settled = true
    })
    expect(await until(() => rebuilds === 1)).toBe(true)
    // The rebuild is running: a miss still waits for it.
    await sleep(MANIFEST_DEBOUNCE_MS * 2)
    expect([rebuilds, settled, watch.settling() !== undefined]).toEqual([1, false, true])
    release()
    await settling
    expect(watch.settling()).toBeUndefined()
  })
})
