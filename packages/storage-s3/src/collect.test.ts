// convoy collect into S3, end to end: core's collect() (from its built dist) writing through this storage to a real
// S3-compatible server. @convoy/core is only a dev dependency of this package (for these tests), imported at run time.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3'
import type * as Core from '@convoy/core'
import type * as Pipeline from '@convoy/core/collect'
import { isConvoyError } from '@convoy/errors'
import { storagePathsOf, type Manifest as FullManifest } from '@convoy/manifest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Storage } from './index.js'
import { BUCKET, createTestClient, startS3Server, type TestS3Server, uniquePrefix } from './test/s3-server.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'
const SHORT = 'public, max-age=60'
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

interface ManifestFile {
  readonly served: string
  readonly fingerprinted: string
  readonly map?: string
  readonly encodings?: { readonly gzip?: { readonly path: string }; readonly br?: { readonly path: string } }
  readonly deltas?: Readonly<Record<string, Readonly<Record<string, { readonly path: string }>>>>
}
interface Manifest {
  readonly id: string
  readonly files: Readonly<Record<string, ManifestFile>>
}

let core: typeof Core
let pipeline: typeof Pipeline
let server: TestS3Server
let work: string

beforeAll(async () => {
  core = await import('@convoy/core')
  pipeline = await import('@convoy/core/collect')
  server = await startS3Server()
  work = await mkdtemp(join(tmpdir(), 'convoy-s3-collect-'))
})

afterAll(async () => {
  await server?.dispose()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

async function writeTree(root: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), body)
  }
}

/** A small site: CSS that references an image, a script; text long enough for .gz and .br to be kept. */
function site(): Record<string, string | Uint8Array> {
  const rules = Array.from({ length: 60 }, (_, index) => `.item-${index} { color: #${(index * 4099).toString(16).padStart(6, '0').slice(0, 6)}; margin: ${index}px; }`)
  const functions = Array.from({ length: 40 }, (_, index) => `export function handler${index}(event) {\n  const value = event.detail * ${index}\n  return value + ${index}\n}`)
  return {
    'css/site.css': `body { background: url("../img/logo.png") no-repeat; }\n${rules.join('\n')}\n`,
    'img/logo.png': PNG,
    'js/app.js': `${functions.join('\n\n')}\n`,
  }
}

function processing(): Omit<Pipeline.CollectOptions, 'sources' | 'storage'> {
  return {
    minify: true,
    compress: true,
    useExistingMin: true,
    rewriteJsModules: false,
    baseUrl: '/static/',
    runner: pipeline.createInlineRunner(),
    cache: pipeline.NO_CACHE,
  }
}

async function readManifest(storage: Core.Storage): Promise<Manifest> {
  const bytes = await storage.read('convoy-manifest.json')
  expect(bytes, 'the manifest exists').not.toBeNull()
  return JSON.parse(Buffer.from(bytes!).toString('utf8')) as Manifest
}

/** Every object a manifest names, besides the originals. */
function namedBy(manifest: Manifest): string[] {
  return Object.entries(manifest.files).flatMap(([logicalPath, entry]) =>
    [logicalPath, entry.served, entry.fingerprinted, entry.map, entry.encodings?.gzip?.path, entry.encodings?.br?.path].filter((path): path is string => path !== undefined),
  )
}

function head(client: S3Client, prefix: string, path: string): Promise<HeadObjectCommandOutput> {
  return client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${path}` }))
}

function headers(output: HeadObjectCommandOutput): Record<string, string | undefined> {
  return { ContentType: output.ContentType, ContentEncoding: output.ContentEncoding, CacheControl: output.CacheControl }
}

describe('collect() into S3', () => {
  it('stores every output with its Content-Type, Content-Encoding and Cache-Control', async () => {
    const prefix = uniquePrefix('site')
    const source = join(work, prefix)
    await writeTree(source, site())
    const { client } = createTestClient(server)
    const storage = createS3Storage({ bucket: BUCKET, prefix, client })
    await pipeline.collect({ sources: [source], storage, ...processing() })

    const manifest = await readManifest(storage)
    const css = manifest.files['css/site.css']!
    const png = manifest.files['img/logo.png']!
    const js = manifest.files['js/app.js']!
    expect(css.served).toMatch(/^css\/site\.[0-9a-f]{12}\.cmin\.css$/)
    expect(headers(await head(client, prefix, css.served))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: undefined, CacheControl: IMMUTABLE })
    expect(headers(await head(client, prefix, css.fingerprinted))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: undefined, CacheControl: IMMUTABLE })
    expect(css.encodings?.gzip?.path).toBe(`${css.served}.gz`)
    expect(css.encodings?.br?.path).toBe(`${css.served}.br`)
    expect(headers(await head(client, prefix, `${css.served}.gz`))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'gzip', CacheControl: IMMUTABLE })
    expect(headers(await head(client, prefix, `${css.served}.br`))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: 'br', CacheControl: IMMUTABLE })
    expect(headers(await head(client, prefix, js.served))).toEqual({ ContentType: 'text/javascript; charset=utf-8', ContentEncoding: undefined, CacheControl: IMMUTABLE })
    expect(png.served).toMatch(/^img\/logo\.[0-9a-f]{12}\.png$/)
    expect(png.encodings).toBeUndefined()
    expect(headers(await head(client, prefix, png.served))).toEqual({ ContentType: 'image/png', ContentEncoding: undefined, CacheControl: IMMUTABLE })
    expect(headers(await head(client, prefix, 'css/site.css'))).toEqual({ ContentType: 'text/css; charset=utf-8', ContentEncoding: undefined, CacheControl: SHORT })
    const manifestHeaders = headers(await head(client, prefix, 'convoy-manifest.json'))
    expect(manifestHeaders).toEqual({ ContentType: 'application/json; charset=utf-8', ContentEncoding: undefined, CacheControl: 'no-cache' })
    // The served CSS points at the fingerprinted image, by the name S3 holds it under.
    const servedCss = Buffer.from((await storage.read(css.served))!).toString('utf8')
    expect(servedCss).toContain(png.served.slice('img/'.length))
  })

  it('createConvoy() loads the manifest from the S3 storage', async () => {
    const prefix = uniquePrefix('runtime')
    const source = join(work, prefix)
    await writeTree(source, site())
    const storage = createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(server).client })
    await pipeline.collect({ sources: [source], storage, ...processing() })
    const manifest = await readManifest(storage)
    const convoy = await core.createConvoy({ manifest: storage, baseUrl: 'https://cdn.example.com/static/', gzipInTemplate: true })
    expect(convoy.url('css/site.css')).toBe(`https://cdn.example.com/static/${manifest.files['css/site.css']!.served}`)
    expect(convoy.url('css/site.css', { acceptEncoding: 'gzip' })).toBe(`https://cdn.example.com/static/${manifest.files['css/site.css']!.served}.gz`)
    expect(convoy.url('img/logo.png')).toBe(`https://cdn.example.com/static/${manifest.files['img/logo.png']!.served}`)
  })

  it('a second collect of an unchanged tree lists once, reads the manifest, and uploads nothing', async () => {
    const prefix = uniquePrefix('again')
    const source = join(work, prefix)
    await writeTree(source, site())
    const first = createTestClient(server)
    const cold = await pipeline.collect({ sources: [source], storage: createS3Storage({ bucket: BUCKET, prefix, client: first.client }), ...processing() })
    expect(first.counts.get('PutObjectCommand')).toBe(cold.written)

    const second = createTestClient(server)
    const warm = await pipeline.collect({ sources: [source], storage: createS3Storage({ bucket: BUCKET, prefix, client: second.client }), ...processing() })
    expect(Object.fromEntries(second.counts)).toEqual({ ListObjectsV2Command: 1, GetObjectCommand: 1 })
    expect(warm.written).toBe(0)
    expect(warm.manifest.written).toBe(false)

    // One changed file: only its new outputs and the manifest go up.
    await writeFile(join(source, 'js/app.js'), `${site()['js/app.js'] as string}export const changed = true\n`)
    const third = createTestClient(server)
    const changed = await pipeline.collect({ sources: [source], storage: createS3Storage({ bucket: BUCKET, prefix, client: third.client }), ...processing() })
    const puts = third.counts.get('PutObjectCommand')
    expect(puts).toBe(changed.written)
    // js/app.js (the original), its fingerprinted and minified copies, a source map, .gz, .br, the manifest, and its
    // deltas against the version before (where this Node builds them).
    const entry = (await readManifest(createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(server).client }))).files['js/app.js']!
    const deltas = Object.values(entry.deltas ?? {}).flatMap((variants) => Object.values(variants)).length
    expect(puts).toBeLessThanOrEqual(7 + deltas)
    expect(third.counts.get('ListObjectsV2Command')).toBe(1)
  })

  it('an unchanged tree of many files (more than one listing page) publishes with one paginated listing, one manifest read and no upload', async () => {
    const prefix = uniquePrefix('many')
    const source = join(work, prefix)
    // 1,500 files, each an original and a fingerprinted copy: 3,000 objects and the manifest, four pages of 1,000.
    await writeTree(source, Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`d${i % 15}/note-${i}.txt`, `note ${i}\n`])))
    const options = { sources: [source], ...processing(), statIndex: { file: join(work, `${prefix}.stat-index.json`), racyWindowMs: 0 } }
    const cold = await pipeline.collect({ ...options, storage: createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(server).client }) })
    expect(cold.written).toBe(3001) // with the manifest

    const listings: (string | undefined)[] = []
    const warm = createTestClient(server)
    warm.client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ListObjectsV2Command') listings.push((args.input as { ContinuationToken?: string }).ContinuationToken)
        return next(args)
      },
      { step: 'initialize', name: 'convoyTestListings' },
    )
    const again = await pipeline.collect({ ...options, storage: createS3Storage({ bucket: BUCKET, prefix, client: warm.client }) })
    expect(Object.fromEntries(warm.counts)).toEqual({ ListObjectsV2Command: 4, GetObjectCommand: 1 })
    // One walk: the first page without a token, each later one continuing the one before.
    expect(listings[0]).toBeUndefined()
    expect(listings.slice(1).every((token) => typeof token === 'string' && token !== '')).toBe(true)
    expect(new Set(listings).size).toBe(4)
    expect(again.written).toBe(0)
    expect(again.reused).toBe(1500)
    expect(again.manifest.written).toBe(false)
  }, 120_000)

  it('a server that stops midway: collect fails naming the storage; the old manifest and its files stay; a later run completes', async () => {
    const faulty = await startS3Server()
    try {
      const prefix = uniquePrefix('fault')
      const source = join(work, prefix)
      await writeTree(source, site())
      const storageWith = (client: S3Client): Core.Storage => createS3Storage({ bucket: BUCKET, prefix, client })
      await pipeline.collect({ sources: [source], storage: storageWith(createTestClient(faulty).client), ...processing() })
      const before = createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(faulty).client })
      const published = Buffer.from((await before.read('convoy-manifest.json'))!)
      const oldManifest = JSON.parse(published.toString('utf8')) as Manifest

      // A few hundred new objects; the server goes away after 40 uploads.
      const more: Record<string, string> = {}
      for (let index = 0; index < 150; index++) more[`data/part-${String(index).padStart(3, '0')}.txt`] = `part ${index}\n`
      await writeTree(source, more)
      const { client, counts } = createTestClient(faulty, (name, seen) => {
        if (name === 'PutObjectCommand' && seen.get(name) === 40) void faulty.stop()
      })
      const error: unknown = await pipeline.collect({ sources: [source], storage: storageWith(client), ...processing() }).then(
        () => new Error('expected collect to fail'),
        (reason: unknown) => reason,
      )
      expect(isConvoyError(error), String(error)).toBe(true)
      const failure = error as Core.ConvoyError
      expect(failure.code).toBe('ERR_CONVOY_STORAGE')
      expect(failure.message).toContain('nothing was published (the previous manifest is still in force)')
      expect(failure.message).toMatch(new RegExp(`@convoy/storage-s3: cannot write \\S+ to s3://${BUCKET}/${prefix}: `))
      expect(counts.get('PutObjectCommand')).toBeGreaterThanOrEqual(40)

      await faulty.restart()
      const after = createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(faulty).client })
      expect(Buffer.from((await after.read('convoy-manifest.json'))!).equals(published), 'the previous manifest is untouched').toBe(true)
      for (const path of namedBy(oldManifest)) expect(await after.exists(path), path).toBe(true)
      const leftBehind = new Set<string>()
      for await (const entry of after.list()) if (!namedBy(oldManifest).includes(entry.path) && entry.path !== 'convoy-manifest.json') leftBehind.add(entry.path)
      expect(leftBehind.size, 'some uploads of the failed run landed').toBeGreaterThan(0)

      const resumed = createTestClient(faulty)
      const uploaded: string[] = []
      resumed.client.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === 'PutObjectCommand') uploaded.push((args.input as { Key: string }).Key.slice(prefix.length + 1))
          return next(args)
        },
        { step: 'initialize', name: 'keys' },
      )
      const report = await pipeline.collect({ sources: [source], storage: storageWith(resumed.client), ...processing() })
      expect(uploaded).toHaveLength(report.written)
      // Content-addressed objects the failed run stored are not uploaded again (originals of new files are, by design).
      const fingerprinted = /\.[0-9a-f]{12}\./
      expect(uploaded.filter((path) => fingerprinted.test(path) && leftBehind.has(path))).toEqual([])
      expect([...leftBehind].filter((path) => fingerprinted.test(path)).length).toBeGreaterThan(0)
      const manifest = await readManifest(after)
      expect(Object.keys(manifest.files)).toHaveLength(153)
      expect(manifest.id).not.toBe(oldManifest.id)
      const present = new Set<string>()
      for await (const entry of after.list()) present.add(entry.path)
      expect(namedBy(manifest).filter((path) => !present.has(path)), 'objects the manifest names but S3 lacks').toEqual([])
    } finally {
      await faulty.dispose()
    }
  })
})

describe('convoy clean on S3', () => {
  it('after five deploys keeps the files of the newest two versions, and everything younger than --age', async () => {
    const prefix = uniquePrefix('clean')
    const storage = createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(server).client })
    const source = join(work, prefix)
    const manifests: FullManifest[] = []
    for (let version = 1; version <= 5; version++) {
      await rm(source, { recursive: true, force: true })
      await writeTree(source, {
        'css/site.css': `.v${version} { background: url(../img/bg.png) }\n`,
        'img/bg.png': `image version ${version}`,
        ...(version === 3 ? { 'only-in-3.txt': 'three' } : {}),
        'stable.txt': 'never changes',
      })
      await pipeline.collect({ sources: [source], storage, ...processing() })
      manifests.push(await pipeline.readManifest(storage))
    }
    const objects = async (): Promise<Set<string>> => {
      const paths = new Set<string>()
      for await (const entry of storage.list()) paths.add(entry.path)
      return paths
    }
    const everything = await objects()

    const young = await pipeline.clean({ storage, keep: 2, age: 3600 })
    expect(young.deleted).toEqual([])
    expect(await objects()).toEqual(everything)

    const old = await pipeline.clean({ storage, keep: 2, age: 0 })
    expect(old.deleted.length).toBeGreaterThan(0)
    expect(await objects()).toEqual(new Set([...storagePathsOf(manifests[4]!), ...storagePathsOf(manifests[3]!), 'convoy-manifest.json']))
  }, 120_000)
})
