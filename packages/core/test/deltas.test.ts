import { createHash } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELTA_ENCODERS } from '@convoy/gzip'
import { entryStoragePaths, type Manifest, type ManifestEntry } from '@convoy/manifest'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

/** What this Node can build: found by the same round trip collect makes, so the test expects what collect must do. */
const canDcb = DELTA_ENCODERS.dcb.unavailable() === undefined
const canDcz = DELTA_ENCODERS.dcz.unavailable() === undefined

/** A script of about 20 kB whose `version` line is the only thing that changes between deploys. */
function script(version: string): string {
  const functions = Array.from({ length: 160 }, (_, i) => `export function handler${i}(event, state) {\n  const next = { ...state, count: state.count + ${i}, label: 'step ${i} of the flow' }\n  if (event.type === 'reset-${i}') return { ...next, count: 0 }\n  return next\n}\n`)
  return `export const version = '${version}'\n${functions.join('\n')}`
}

/** A stylesheet of about 6 kB whose first rule changes between deploys. */
function stylesheet(color: string): string {
  const rules = Array.from({ length: 120 }, (_, i) => `.card-${i} { margin: ${i % 7}px; padding: ${i % 5}px ${i % 3}px; border: 1px solid #${(i * 4099).toString(16).padStart(6, '0').slice(0, 6)}; }`)
  return `body { color: ${color}; }\n${rules.join('\n')}\n`
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64')

async function collect(dir: string, args: readonly string[] = []): Promise<{ code: number | null; stderr: string; report: { written: number; notices: string[] } }> {
  const run = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json', ...args], { cwd: dir })
  expect(run.code, run.stderr).toBe(0)
  return { code: run.code, stderr: run.stderr, report: JSON.parse(run.stdout) as { written: number; notices: string[] } }
}

const manifestOf = async (dir: string): Promise<Manifest> => JSON.parse(await readFile(join(dir, 'out', 'convoy-manifest.json'), 'utf8')) as Manifest

/** Decodes a delta as a browser does: check the magic and the dictionary's hash, then decompress with it. */
function decodeAsBrowser(delta: Uint8Array, dictionary: Uint8Array, encoding: 'dcb' | 'dcz'): Buffer {
  const magic = encoding === 'dcb' ? [0xff, 0x44, 0x43, 0x42] : [0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00]
  expect([...delta.subarray(0, magic.length)]).toEqual(magic)
  expect(Buffer.from(delta.subarray(magic.length, magic.length + 32)).toString('base64')).toBe(sha256(dictionary))
  const body = delta.subarray(magic.length + 32)
  if (encoding === 'dcb') return zlib.brotliDecompressSync(body, { dictionary } as zlib.BrotliOptions)
  const z = zlib as unknown as { zstdDecompressSync(data: Uint8Array, options: { dictionary: Uint8Array }): Buffer }
  return z.zstdDecompressSync(body, { dictionary })
}

describe('deploy deltas (compress.deltas)', () => {
  let dir: string
  const versions: Manifest[] = []

  beforeAll(async () => {
    dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'js/app.js': script('1.0.0'), 'css/site.css': stylesheet('red'), 'js/tiny.js': 'export const x = 1\n', 'img/a.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>' })
    await collect(dir)
    versions.push(await manifestOf(dir))
    await writeFile(join(dir, 'static/js/app.js'), script('1.0.1'))
    await writeFile(join(dir, 'static/css/site.css'), stylesheet('blue'))
    await collect(dir)
    versions.push(await manifestOf(dir))
  }, 120_000)

  it('records each script and stylesheet as a dictionary for its later versions', async () => {
    const [v1] = versions
    for (const [logicalPath, match] of [['js/app.js', 'js/app.*.cmin.js'], ['css/site.css', 'css/site.*.cmin.css']] as const) {
      const entry = v1!.files[logicalPath]!
      if (!canDcb && !canDcz) {
        expect(entry.dictionary).toBeUndefined()
        continue
      }
      expect(entry.dictionary).toEqual({ hash: sha256(await readFile(join(dir, 'out', entry.served))), match })
      expect(entry.deltas).toBeUndefined()
    }
    // Too small to be worth a delta (below minBytes, 1 KiB), and not a script or stylesheet.
    expect(v1!.files['js/tiny.js']!.dictionary).toBeUndefined()
    expect(v1!.files['img/a.svg']!.dictionary).toBeUndefined()
  })

  it('sends a returning visitor a delta far smaller than brotli, which decodes to the new file', async () => {
    const [v1, v2] = versions
    for (const logicalPath of ['js/app.js', 'css/site.css']) {
      const before = v1!.files[logicalPath]!
      const after = v2!.files[logicalPath]!
      const deltas = after.deltas
      if (!canDcb && !canDcz) {
        expect(deltas).toBeUndefined()
        continue
      }
      const dictionary = await readFile(join(dir, 'out', before.served))
      expect(Object.keys(deltas ?? {})).toEqual([before.dictionary!.hash])
      const variants = deltas![before.dictionary!.hash]!
      expect(Object.keys(variants).sort()).toEqual([...(canDcb ? ['dcb'] : []), ...(canDcz ? ['dcz'] : [])])
      const served = await readFile(join(dir, 'out', after.served))
      for (const [encoding, variant] of Object.entries(variants) as ['dcb' | 'dcz', { path: string; size: number }][]) {
        expect(variant.path).toMatch(new RegExp(`^${after.served.replaceAll('.', '\\.')}\\.[0-9a-f]{16}\\.${encoding}$`))
        const bytes = await readFile(join(dir, 'out', variant.path))
        expect(bytes.length).toBe(variant.size)
        expect(decodeAsBrowser(bytes, dictionary, encoding).equals(served)).toBe(true)
        // One changed line: the delta is a small fraction of the brotli sibling.
        expect(variant.size).toBeLessThan(after.encodings!.br!.size * 0.1)
      }
    }
  })

  it('says once which deltas this Node cannot build, and builds the rest', async () => {
    const again = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })
    expect(again.code, again.stderr).toBe(0)
    const notes = again.stdout.split('\n').filter((line) => line.startsWith('  note: '))
    const missing = [...(canDcb ? [] : ['dcb']), ...(canDcz ? [] : ['dcz'])]
    if (missing.length === 0) expect(notes).toEqual([])
    else {
      expect(notes).toHaveLength(1)
      expect([...notes[0]!.matchAll(/(\w+) deltas: /g)].map((found) => found[1])).toEqual(missing)
      expect(notes[0]).toMatch(/^ {2}note: not built on this Node\.js: /)
    }
    expect(again.stderr).toBe('')
  })

  it('gives a declared carpool bundle a dictionary and a delta against its previous version', async () => {
    const pooled = await temporaryDirectory()
    const config = "export default { bundles: { site: { kind: 'css', members: ['css/a.css', 'css/b.css'] } } }\n"
    await writeTree(pooled, { 'static/css/a.css': stylesheet('red'), 'static/css/b.css': stylesheet('green').replace('body', 'main'), 'convoy.config.mjs': config })
    await collect(pooled)
    const before = (await manifestOf(pooled)).carpools.site!
    await writeFile(join(pooled, 'static/css/a.css'), stylesheet('blue'))
    await collect(pooled)
    const after = (await manifestOf(pooled)).carpools.site!
    expect(after.served).not.toBe(before.served)
    if (!canDcb && !canDcz) {
      expect(after.dictionary).toBeUndefined()
      expect(after.deltas).toBeUndefined()
      return
    }
    expect(before.dictionary).toEqual({ hash: sha256(await readFile(join(pooled, 'out', before.served))), match: 'CARPOOL/css/*.cmin.css' })
    const variants = after.deltas?.[before.dictionary!.hash]
    expect(variants).toBeDefined()
    const dictionary = await readFile(join(pooled, 'out', before.served))
    const served = await readFile(join(pooled, 'out', after.served))
    for (const [encoding, variant] of Object.entries(variants!) as ['dcb' | 'dcz', { path: string; size: number }][]) {
      expect(decodeAsBrowser(await readFile(join(pooled, 'out', variant.path)), dictionary, encoding).equals(served)).toBe(true)
      expect(variant.size).toBeLessThan(after.encodings!.br!.size * 0.1)
    }
    // Nothing changed: the bundle's record, deltas included, is kept, and nothing is written.
    const again = await collect(pooled)
    expect(again.report.written).toBe(0)
    expect((await manifestOf(pooled)).carpools.site).toEqual(after)
  })

  it('costs nothing on a deploy that changes nothing, and keeps the deltas', async () => {
    const { report } = await collect(dir)
    expect(report.written).toBe(0)
    expect(await manifestOf(dir)).toEqual(versions[1])
  })

  it('builds deltas against the newest earlier versions still stored, at most `versions` of them', async () => {
    await writeFile(join(dir, 'convoy.config.mjs'), 'export default { compress: { deltas: { versions: 2 } } }\n')
    try {
      for (const version of ['1.0.2', '1.0.3']) {
        await writeFile(join(dir, 'static/js/app.js'), script(version))
        await collect(dir)
        versions.push(await manifestOf(dir))
      }
      const newest = versions.at(-1)!.files['js/app.js']!
      if (!canDcb && !canDcz) {
        expect(newest.deltas).toBeUndefined()
        return
      }
      const hashes = (manifest: Manifest): string => manifest.files['js/app.js']!.dictionary!.hash
      expect(Object.keys(newest.deltas!).sort()).toEqual([hashes(versions.at(-2)!), hashes(versions.at(-3)!)].sort())
    } finally {
      await writeFile(join(dir, 'convoy.config.mjs'), 'export default {}\n')
    }
  })

  it('removes deltas with their target on clean, and never leaves a manifest naming a missing one', async () => {
    const run = await runConvoy(['clean', '--out', 'out', '--keep', '1', '--age', '0'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const manifest = await manifestOf(dir)
    for (const [logicalPath, entry] of Object.entries<ManifestEntry>(manifest.files)) {
      for (const path of entryStoragePaths(logicalPath, entry)) await expect(stat(join(dir, 'out', path)), path).resolves.toBeDefined()
    }
    // The deltas of superseded versions went with them.
    for (const old of versions.slice(0, -1)) {
      for (const variants of Object.values(old.files['js/app.js']!.deltas ?? {})) {
        for (const variant of Object.values(variants)) {
          if (entryStoragePaths('js/app.js', manifest.files['js/app.js']!).has(variant.path)) continue
          await expect(stat(join(dir, 'out', variant.path))).rejects.toMatchObject({ code: 'ENOENT' })
        }
      }
    }
  })

  it('turns off with compress.deltas: false, or with --no-deltas', async () => {
    const off = await temporaryDirectory()
    await writeTree(off, { 'static/js/app.js': script('1.0.0'), 'convoy.config.mjs': 'export default { compress: { deltas: false } }\n' })
    const { report } = await collect(off)
    expect(report.notices).toEqual([])
    expect((await manifestOf(off)).files['js/app.js']!.dictionary).toBeUndefined()
    const flagged = await temporaryDirectory()
    await writeTree(flagged, { 'static/js/app.js': script('1.0.0') })
    expect((await collect(flagged, ['--no-deltas'])).report.notices).toEqual([])
    expect((await manifestOf(flagged)).files['js/app.js']!.dictionary).toBeUndefined()
  })
})
