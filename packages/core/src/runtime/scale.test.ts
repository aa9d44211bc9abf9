// A manifest of 100,000 entries, as collect writes it for a large tree: the runtime loads it from its file and
// answers every path (behaviour only; the time is measured by bench/manifest-scale-bench.mjs, never here).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { carpoolName } from '@convoy/carpool'
import { createManifest, MANIFEST_FILE, serializeManifest, type ManifestCarpool, type ManifestEntry } from '@convoy/manifest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConvoy } from './create-convoy.js'
import { thrown } from './test-fixture.js'

const COUNT = 100_000
const INTEGRITY = `sha384-${'B'.repeat(64)}`

const logicalPathOf = (i: number): string => `g${String(i % 1000).padStart(3, '0')}/${i % 3 === 0 ? 'my file' : 'file'}-${i}.${i % 2 === 0 ? 'css' : 'png'}`

/** A CSS entry has a minified served file with .gz/.br siblings; a PNG entry is served fingerprinted, as it is. */
function entryOf(i: number, version = 'a'): ManifestEntry {
  const logicalPath = logicalPathOf(i)
  const dot = logicalPath.lastIndexOf('.')
  const fingerprinted = `${logicalPath.slice(0, dot)}.${version}${String(i).padStart(11, '0')}${logicalPath.slice(dot)}`
  const css = logicalPath.endsWith('.css')
  const served = css ? fingerprinted.replace(/\.css$/, '.cmin.css') : fingerprinted
  return {
    served,
    size: 100 + (i % 5000),
    integrity: INTEGRITY,
    fingerprinted,
    sourceHash: String(i).padStart(32, '0'),
    contentType: css ? 'text/css; charset=utf-8' : 'image/png',
    ...(css ? { encodings: { gzip: { path: `${served}.gz`, size: 40 }, br: { path: `${served}.br`, size: 30 } } } : {}),
  }
}

let root: string
let file: string
const files: Record<string, ManifestEntry> = {}
for (let i = 0; i < COUNT; i++) files[logicalPathOf(i)] = entryOf(i)
const HASH = { algorithm: 'md5', length: 12 }
const members = [logicalPathOf(0), logicalPathOf(2)]
const bundle = carpoolName('css', members.map((path) => files[path]!.served), HASH)
const carpools: Record<string, ManifestCarpool> = {
  site: { kind: 'css', members, served: bundle, size: 10, integrity: INTEGRITY, contentType: 'text/css; charset=utf-8' },
}
const history = [{ supersededAt: '2025-01-01T00:00:00.000Z', id: 'previous', dropped: Array.from({ length: 2000 }, (_, i) => entryOf(i * 50, 'z').served).sort() }]
const manifest = createManifest({ files, carpools, baseUrl: '/static/', hash: HASH, history })

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convoy-runtime-scale-'))
  file = join(root, MANIFEST_FILE)
  await writeFile(file, serializeManifest(manifest))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('createConvoy with a manifest of 100,000 entries', () => {
  it('answers url() and integrity() for every entry, percent-encoding where needed', async () => {
    const convoy = await createConvoy({ manifest: file, gzipInTemplate: true })
    expect(Object.keys(convoy.manifest!.files)).toHaveLength(COUNT)
    for (let i = 0; i < COUNT; i++) {
      const entry = entryOf(i)
      const url = `/static/${entry.served.replace(/ /g, '%20')}`
      if (convoy.url(logicalPathOf(i)) !== url) expect(convoy.url(logicalPathOf(i))).toBe(url)
      if (entry.encodings !== undefined && convoy.url(logicalPathOf(i), { acceptEncoding: 'gzip' }) !== `${url}.gz`) {
        expect(convoy.url(logicalPathOf(i), { acceptEncoding: 'gzip' })).toBe(`${url}.gz`)
      }
    }
    expect(convoy.url(logicalPathOf(99_999))).toBe('/static/g999/my%20file-99999.a00000099999.png')
    expect(convoy.integrity(logicalPathOf(54_321))).toBe(INTEGRITY)
    // The same answers again, now from the lookups of the first pass.
    expect(convoy.url(logicalPathOf(3))).toBe(`/static/${entryOf(3).served.replace(/ /g, '%20')}`)
  })

  it('still refuses what the manifest does not name, and renders its carpools', async () => {
    const convoy = await createConvoy({ manifest: file })
    expect(thrown(() => convoy.url('g000/file-100000.css')).code).toBe('ERR_CONVOY_MISSING_ASSET')
    expect(thrown(() => convoy.url(history[0]!.dropped[0]!)).code).toBe('ERR_CONVOY_MISSING_ASSET')
    expect(thrown(() => convoy.integrity('hasOwnProperty')).code).toBe('ERR_CONVOY_MISSING_ASSET')
    expect(convoy.carpool('css', members)).toContain(`/static/${bundle}`)
  })

  it('checks each entry at its first lookup: a bad one fails its lookups, naming the file, and the others answer', async () => {
    const bad = join(root, 'bad.json')
    const text = serializeManifest(manifest)
    await writeFile(bad, text.replace(`"sourceHash": "${String(77_777).padStart(32, '0')}"`, '"sourceHash": ""'))
    const convoy = await createConvoy({ manifest: bad })
    const expected = `@convoy/manifest: ${bad}: files["${logicalPathOf(77_777)}"].sourceHash: expected a non-empty string, got ""`
    for (let i = 0; i < 2; i++) {
      const error = thrown(() => convoy.url(logicalPathOf(77_777)))
      expect(error.code).toBe('ERR_CONVOY_MANIFEST')
      expect(error.message).toBe(expected)
    }
    expect(convoy.url(logicalPathOf(3))).toBe(`/static/${entryOf(3).served.replace(/ /g, '%20')}`)
    expect(thrown(() => convoy.manifest).message).toBe(expected)
  })

  it('reload() swaps every answer to the new version at once', async () => {
    const convoy = await createConvoy({ manifest: file })
    const before = convoy.url(logicalPathOf(12_345))
    const next: Record<string, ManifestEntry> = { ...files, [logicalPathOf(12_345)]: entryOf(12_345, 'b') }
    await writeFile(file, serializeManifest(createManifest({ files: next, baseUrl: '/cdn/', hash: manifest.hash })))
    await convoy.reload()
    const encoded = (path: string): string => path.replace(/ /g, '%20')
    expect(before).toBe(`/static/${encoded(entryOf(12_345).served)}`)
    expect(convoy.url(logicalPathOf(12_345))).toBe(`/cdn/${encoded(entryOf(12_345, 'b').served)}`)
    expect(convoy.url(logicalPathOf(1))).toBe(`/cdn/${entryOf(1).served}`)
    await writeFile(file, serializeManifest(manifest))
  })
})
