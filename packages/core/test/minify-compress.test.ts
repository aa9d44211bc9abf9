import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import vm from 'node:vm'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Manifest } from '@convoy/manifest'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

const require = createRequire(import.meta.url)
const lodashSource = await readFile(require.resolve('lodash/lodash.js'), 'utf8')
const dayjsSource = await readFile(require.resolve('dayjs/dayjs.min.js'), 'utf8')

/** Runs a UMD library in a fresh context and returns what it exported. */
function runUmd<T>(code: string): T {
  const sandbox: { module: { exports: unknown }; exports?: unknown } = { module: { exports: {} } }
  sandbox.exports = sandbox.module.exports
  vm.runInNewContext(code, sandbox)
  return sandbox.module.exports as T
}

async function readManifest(out: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(out, 'convoy-manifest.json'), 'utf8')) as Manifest
}

describe('collect minifies and precompresses real libraries', () => {
  let dir: string
  let manifest: Manifest
  let firstRun: { written: number; cacheHits: number; warnings: { message: string; file?: string; line?: number; column?: number }[] }

  beforeAll(async () => {
    dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), {
      'vendor/lodash.js': lodashSource,
      'vendor/dayjs.js': dayjsSource.replace(/\/\/# sourceMappingURL=.*$/m, ''),
      'css/site.css': '/*! keep me */\nbody {\n  color : red ;\n  background: url("../img/a.png");\n}\n',
      'img/a.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]),
      'js/broken.js': 'function (\n  oops {\n',
      'css/garbage.css': 'body { color: red;\n  }}} @@@ { ',
      'js/binary.js': Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 7]),
      'js/empty.js': '',
      'css/empty.css': '',
      'data/big.json': JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` })) }),
    })
    const run = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    firstRun = JSON.parse(run.stdout) as typeof firstRun
    manifest = await readManifest(join(dir, 'out'))
  }, 120_000)

  it('serves minified lodash and dayjs that behave exactly like the originals', async () => {
    const lodashEntry = manifest.files['vendor/lodash.js']!
    expect(lodashEntry.served).toMatch(/^vendor\/lodash\.[0-9a-f]{12}\.cmin\.js$/)
    const minified = await readFile(join(dir, 'out', lodashEntry.served), 'utf8')
    expect(minified.length).toBeLessThan(lodashSource.length / 3)
    type Lodash = { chunk(a: unknown[], n: number): unknown[]; template(s: string): (d: object) => string; sortBy(a: object[], k: string): object[]; VERSION: string }
    const original = runUmd<Lodash>(lodashSource)
    const ours = runUmd<Lodash>(minified)
    expect(ours.VERSION).toBe(original.VERSION)
    expect(ours.chunk([1, 2, 3, 4, 5], 2)).toEqual(original.chunk([1, 2, 3, 4, 5], 2))
    expect(ours.template('hi <%= name %>!')({ name: 'convoy' })).toBe('hi convoy!')
    expect(ours.sortBy([{ a: 3 }, { a: 1 }], 'a')).toEqual(original.sortBy([{ a: 3 }, { a: 1 }], 'a'))

    const dayjsEntry = manifest.files['vendor/dayjs.js']!
    type Dayjs = (d: string) => { format(f: string): string; add(n: number, u: string): { format(f: string): string } }
    const dayjs = runUmd<Dayjs>(await readFile(join(dir, 'out', dayjsEntry.served), 'utf8'))
    const reference = runUmd<Dayjs>(dayjsSource)
    expect(dayjs('2024-02-28T10:00:00Z').add(2, 'day').format('YYYY-MM-DD')).toBe(reference('2024-02-28T10:00:00Z').add(2, 'day').format('YYYY-MM-DD'))
  })

  it('writes a source map that points at the fingerprinted original', async () => {
    const entry = manifest.files['vendor/lodash.js']!
    expect(entry.map).toBe(`${entry.served}.map`)
    const served = await readFile(join(dir, 'out', entry.served), 'utf8')
    expect(served.trimEnd().endsWith(`//# sourceMappingURL=${entry.served.split('/').pop()!}.map`)).toBe(true)
    const map = JSON.parse(await readFile(join(dir, 'out', entry.map!), 'utf8')) as { sources: string[]; file: string }
    expect(map.sources).toEqual([entry.fingerprinted.split('/').pop()])
    expect(map.file).toBe(entry.served.split('/').pop())
    await expect(readFile(join(dir, 'out', entry.fingerprinted))).resolves.toBeInstanceOf(Buffer)
  })

  it('minifies CSS after rewriting its references, keeping license comments', async () => {
    const css = await readFile(join(dir, 'out', manifest.files['css/site.css']!.served), 'utf8')
    expect(css).toBe(`/*! keep me */body{color:red;background:url("../${manifest.files['img/a.png']!.served.replace('img/', 'img/')}")}`)
  })

  it('writes .gz and .br that decompress to exactly the served file, only for compressible types', async () => {
    let checked = 0
    for (const [logicalPath, entry] of Object.entries(manifest.files)) {
      const served = await readFile(join(dir, 'out', entry.served))
      if (entry.encodings?.gzip !== undefined) {
        expect(gunzipSync(await readFile(join(dir, 'out', entry.encodings.gzip.path))).equals(served), logicalPath).toBe(true)
        checked += 1
      }
      if (entry.encodings?.br !== undefined) {
        expect(brotliDecompressSync(await readFile(join(dir, 'out', entry.encodings.br.path))).equals(served), logicalPath).toBe(true)
        expect(entry.encodings.br.size).toBeLessThanOrEqual(served.byteLength * 0.95)
      }
    }
    expect(checked).toBe(3) // lodash, dayjs, big.json; the tiny CSS does not shrink below 95%
    expect(manifest.files['img/a.png']!.encodings).toBeUndefined()
    expect(manifest.files['data/big.json']!.encodings?.br?.path).toMatch(/^data\/big\.[0-9a-f]{12}\.json\.br$/)
  })

  it('survives bad input: warns with file:line:col, serves it unminified, keeps every other output', () => {
    const broken = firstRun.warnings.find((w) => w.file?.endsWith('js/broken.js') === true && /not minified/.test(w.message))
    expect(broken).toMatchObject({ line: expect.any(Number) as number, column: expect.any(Number) as number })
    expect(manifest.files['js/broken.js']!.served).toBe(manifest.files['js/broken.js']!.fingerprinted)
    expect(firstRun.warnings.some((w) => w.file?.endsWith('css/garbage.css') === true)).toBe(true)
    expect(manifest.files['css/garbage.css']!.served).toBe(manifest.files['css/garbage.css']!.fingerprinted)
    expect(firstRun.warnings.some((w) => w.file?.endsWith('js/binary.js') === true)).toBe(true)
    expect(manifest.files['js/empty.js']!.size).toBe(0)
    expect(Object.keys(manifest.files)).toHaveLength(10)
  })

  it('does no minify, compress or storage work the second time (persistent cache)', async () => {
    const again = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json'], { cwd: dir })
    expect(again.code).toBe(0)
    const report = JSON.parse(again.stdout) as { written: number; cacheHits: number }
    expect(report.written).toBe(0)
    expect(report.cacheHits).toBeGreaterThanOrEqual(firstRun.written > 0 ? 8 : 0)
    // A fresh output directory: every output comes from the cache, with identical bytes.
    const fresh = await runConvoy(['collect', '--source', 'static', '--out', 'out2', '--json'], { cwd: dir })
    expect(await readManifest(join(dir, 'out2'))).toEqual(manifest)
    expect((JSON.parse(fresh.stdout) as { cacheHits: number }).cacheHits).toBeGreaterThan(0)
  }, 60_000)

  it('fails with --strict on a minify error, leaving the published manifest alone', async () => {
    const before = await readFile(join(dir, 'out', 'convoy-manifest.json'))
    const strict = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--strict'], { cwd: dir })
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/js\/broken\.js:\d+:\d+.*\(--strict\)|broken\.js/)
    expect(await readFile(join(dir, 'out', 'convoy-manifest.json'))).toEqual(before)
  })
})

describe('collect options for minify and compress', () => {
  it('uses a shipped foo.min.css (references rewritten) for foo.css, and never minifies .min. files again', async () => {
    const dir = await temporaryDirectory()
    const shipped = '.a{background:url(a.png)}\n'
    await writeTree(join(dir, 'static'), { 'lib/foo.css': '.a {\n  background: url(a.png);\n}\n', 'lib/foo.min.css': shipped, 'lib/a.png': 'png' })
    expect((await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })).code).toBe(0)
    const manifest = await readManifest(join(dir, 'out'))
    const image = manifest.files['lib/a.png']!.served.split('/').pop()!
    expect(await readFile(join(dir, 'out', manifest.files['lib/foo.css']!.served), 'utf8')).toBe(`.a{background:url(${image})}\n`)
    expect(manifest.files['lib/foo.min.css']!.served).toBe(manifest.files['lib/foo.min.css']!.fingerprinted)
  })

  it('--no-minify and --no-compress turn the steps off', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'a.js': 'function add(first, second) {\n  return first + second\n}\n'.repeat(20) })
    expect((await runConvoy(['collect', '--source', 'static', '--out', 'out', '--no-minify', '--no-compress'], { cwd: dir })).code).toBe(0)
    const entry = (await readManifest(join(dir, 'out'))).files['a.js']!
    expect(entry.served).toBe(entry.fingerprinted)
    expect(entry.encodings).toBeUndefined()
  })

  it('selects swc and lightningcss from the config', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out', minify: { js: 'swc', css: 'lightningcss' }, cacheDir: false }),
      'static/a.js': 'function add(first, second) {\n  return first + second\n}\nconsole.log(add(1, 2))\n',
      'static/a.css': '.a {\n  color: #ff0000;\n}\n',
    })
    const run = await runConvoy(['collect', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const manifest = await readManifest(join(dir, 'out'))
    const js = await readFile(join(dir, 'out', manifest.files['a.js']!.served), 'utf8')
    expect(js).toMatch(/^function add\(\w,\w\)\{return \w\+\w\}console\.log\(add\(1,2\)\);?\n\/\/# sourceMappingURL=/)
    expect(await readFile(join(dir, 'out', manifest.files['a.css']!.served), 'utf8')).toBe('.a{color:red}')
  })
})
