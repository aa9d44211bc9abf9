// The index of a manifest of 100,000 entries: built without looking at a single file, each file found once, at its
// first request, with its siblings (behaviour only; the time is measured by bench/index-scale-bench.mjs, never here).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createManifest, MANIFEST_FILE, serializeManifest, type ManifestEntry } from '@convoy/manifest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaticFiles, type FileAnswer, type StaticAnswer, type StaticFiles } from './static-files.js'
import { countingStats, createMemoryStorage } from './test-helpers.js'

const COUNT = 100_000
const INTEGRITY = `sha384-${'D'.repeat(64)}`
const YEAR = 'public, max-age=31536000, immutable'

const logicalPathOf = (i: number): string => `g${String(i % 1000).padStart(3, '0')}/file-${i}.css`
const servedOf = (i: number): string => `g${String(i % 1000).padStart(3, '0')}/file-${i}.${String(i).padStart(12, '0')}.cmin.css`

function entryOf(i: number): ManifestEntry {
  const served = servedOf(i)
  return {
    served,
    size: 20,
    integrity: INTEGRITY,
    fingerprinted: served.replace('.cmin', ''),
    sourceHash: 'abc',
    contentType: 'text/css; charset=utf-8',
    encodings: { gzip: { path: `${served}.gz`, size: 10 }, br: { path: `${served}.br`, size: 8 } },
  }
}

const files: Record<string, ManifestEntry> = {}
for (let i = 0; i < COUNT; i++) files[logicalPathOf(i)] = entryOf(i)
const manifest = createManifest({
  files,
  baseUrl: '/static/',
  hash: { algorithm: 'md5', length: 12 },
  history: [{ supersededAt: '2025-01-01T00:00:00.000Z', id: 'old', dropped: ['g000/file-0.aaaaaaaaaaaa.cmin.css'] }],
})
const text = serializeManifest(manifest)

/** The entries whose files are stored: a few spread over the whole manifest. */
const STORED = [0, 1, 4_999, 50_000, 77_777, 99_999]
const bytesOf = (path: string): Buffer => Buffer.from(`/* ${path} */`)
function storedFiles(): Map<string, Buffer> {
  const stored = new Map<string, Buffer>([[MANIFEST_FILE, Buffer.from(text)]])
  for (const i of STORED) {
    const entry = entryOf(i)
    for (const path of [logicalPathOf(i), entry.served, entry.fingerprinted, entry.encodings!.gzip!.path, entry.encodings!.br!.path]) stored.set(path, bytesOf(path))
  }
  stored.set('g000/file-0.aaaaaaaaaaaa.cmin.css', bytesOf('old'))
  return stored
}

/** The stored files, in a storage that records every `stat`. */
const counted = () => countingStats(createMemoryStorage(storedFiles()))

const header = (answer: StaticAnswer, name: string): string | undefined => {
  if (answer.kind !== 'file' && answer.kind !== 'reply') return undefined
  const at = answer.headers.findIndex((value, i) => i % 2 === 0 && value.toLowerCase() === name)
  return at < 0 ? undefined : answer.headers[at + 1]
}
const get = (files: StaticFiles, path: string, acceptEncoding?: string): StaticAnswer | Promise<StaticAnswer> =>
  files.answer({ method: 'GET', url: `/${path}`, header: (name) => (name === 'accept-encoding' ? acceptEncoding : undefined) })

describe('serving a manifest of 100,000 entries from a storage', () => {
  it('builds the index without a single stat, and finds each file once, with its siblings, at its first request', async () => {
    const { storage, stats } = counted()
    const files = createStaticFiles({ storage })
    await files.ready
    expect(stats).toEqual([])

    for (const i of STORED) {
      const entry = entryOf(i)
      const br = (await get(files, entry.served, 'gzip, br')) as FileAnswer
      const length = String(bytesOf(`${entry.served}.br`).length)
      expect([br.status, header(br, 'content-encoding'), header(br, 'content-length'), header(br, 'cache-control'), header(br, 'vary')]).toEqual([200, 'br', length, YEAR, 'Accept-Encoding'])
      const original = (await get(files, logicalPathOf(i))) as FileAnswer
      expect([original.status, header(original, 'cache-control'), Buffer.from(original.body as Uint8Array).toString()]).toEqual([
        200,
        'public, max-age=60',
        bytesOf(logicalPathOf(i)).toString(),
      ])
    }
    const looked = [...stats].sort()
    expect(looked).toEqual(STORED.flatMap((i) => [logicalPathOf(i), servedOf(i), `${servedOf(i)}.br`, `${servedOf(i)}.gz`]).sort())

    // Found now: answered from memory, synchronously, with nothing looked up again.
    const again = get(files, servedOf(77_777), 'gzip')
    expect(again).not.toBeInstanceOf(Promise)
    expect(header(again as FileAnswer, 'content-encoding')).toBe('gzip')
    expect(stats).toHaveLength(looked.length)
  })

  it('answers a sibling asked for first by name, and the file it belongs to negotiates all of them', async () => {
    const { storage, stats } = counted()
    const files = createStaticFiles({ storage })
    const gz = (await get(files, `${servedOf(50_000)}.gz`)) as FileAnswer
    expect([gz.status, header(gz, 'content-type'), header(gz, 'content-encoding')]).toEqual([200, 'text/css; charset=utf-8', 'gzip'])
    const br = (await get(files, servedOf(50_000), 'br')) as FileAnswer
    expect(header(br, 'content-encoding')).toBe('br')
    expect(stats.sort()).toEqual([servedOf(50_000), `${servedOf(50_000)}.br`, `${servedOf(50_000)}.gz`])
  })

  it('shares one lookup between concurrent first requests', async () => {
    const { storage, stats } = counted()
    const files = createStaticFiles({ storage })
    await files.ready
    const answers = await Promise.all(Array.from({ length: 8 }, () => Promise.resolve(get(files, servedOf(4_999), 'gzip'))))
    for (const answer of answers) expect(header(answer, 'content-encoding')).toBe('gzip')
    expect(stats).toHaveLength(3)
  })

  it('passes on a named file that is not stored, looking for it once, and never looks up a name the manifest lacks', async () => {
    const { storage, stats } = counted()
    const files = createStaticFiles({ storage })
    await files.ready
    for (let round = 0; round < 3; round++) expect(await get(files, servedOf(12_345))).toMatchObject({ kind: 'miss', status: 404 })
    expect(stats.sort()).toEqual([servedOf(12_345), `${servedOf(12_345)}.br`, `${servedOf(12_345)}.gz`])
    for (const path of ['g000/file-100000.css', `${logicalPathOf(1)}.gz`, 'g000/file-0.aaaaaaaaaaaa.cmin.css.gz', 'nope.css']) {
      expect(await get(files, path)).toMatchObject({ kind: 'miss', status: 404 })
    }
    expect(stats).toHaveLength(3)
    // A file of an earlier version is served, briefly cached; the manifest itself is never cached without revalidation.
    expect(header(await get(files, 'g000/file-0.aaaaaaaaaaaa.cmin.css'), 'cache-control')).toBe('public, max-age=60')
    expect(header(await get(files, MANIFEST_FILE), 'cache-control')).toBe('no-cache')
  })

  it('looks a file up again in the next index, after reload()', async () => {
    const { storage, stats } = counted()
    const files = createStaticFiles({ storage })
    expect(await get(files, servedOf(12_345))).toMatchObject({ kind: 'miss' })
    await storage.write(servedOf(12_345), 'now it is there')
    expect(await get(files, servedOf(12_345))).toMatchObject({ kind: 'miss' })
    await files.reload()
    expect(await get(files, servedOf(12_345))).toMatchObject({ kind: 'file', status: 200 })
    expect(stats.filter((path) => path === servedOf(12_345))).toHaveLength(2)
  })
})

describe('serving a manifest of 100,000 entries from a directory', () => {
  let base: string
  let root: string
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'convoy-serve-scale-'))
    root = join(base, 'static')
    for (const [path, bytes] of storedFiles()) {
      await mkdir(dirname(join(root, path)), { recursive: true })
      await writeFile(join(root, path), bytes)
    }
    await writeFile(join(base, 'secret.css'), 'secret')
  })
  afterAll(async () => {
    await rm(base, { recursive: true, force: true })
  })

  it('serves what is there, passes on what is not, and finds a named file written after the index was built', async () => {
    const files = createStaticFiles({ root, watch: false })
    await files.ready
    const br = (await get(files, servedOf(99_999), 'br')) as FileAnswer
    expect([br.status, header(br, 'content-encoding'), header(br, 'cache-control')]).toEqual([200, 'br', YEAR])
    expect(await get(files, servedOf(3))).toMatchObject({ kind: 'miss', status: 404 })
    // Named by the manifest, never asked for before, written now: served at its first request.
    await mkdir(dirname(join(root, servedOf(4))), { recursive: true })
    await writeFile(join(root, servedOf(4)), bytesOf(servedOf(4)))
    expect(await get(files, servedOf(4))).toMatchObject({ kind: 'file', status: 200 })
  })

  it('never follows a named path that is a symlink out of the root', async () => {
    await mkdir(dirname(join(root, servedOf(5))), { recursive: true })
    await symlink(join(base, 'secret.css'), join(root, servedOf(5)))
    const files = createStaticFiles({ root, watch: false })
    await files.ready
    expect(await get(files, servedOf(5))).toMatchObject({ kind: 'miss', status: 404 })
    expect(await get(files, logicalPathOf(0))).toMatchObject({ kind: 'file', status: 200 })
  })
})
