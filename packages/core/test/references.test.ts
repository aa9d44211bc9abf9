import { cp, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, posix } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Manifest } from '@convoy/manifest'
import { findCssReferences, resolveReference } from '@convoy/references'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

const require = createRequire(import.meta.url)
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`))

async function collectJson(dir: string, extra: string[] = []): Promise<{ code: number | null; report: { warnings: { message: string; file?: string; line?: number }[] }; stderr: string }> {
  const run = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json', ...extra], { cwd: dir })
  const report = (run.code === 0 ? JSON.parse(run.stdout) : { warnings: [] }) as { warnings: { message: string; file?: string; line?: number }[] }
  return { code: run.code, report, stderr: run.stderr }
}

async function manifestOf(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'out', 'convoy-manifest.json'), 'utf8')) as Manifest
}

async function servedText(dir: string, manifest: Manifest, logicalPath: string): Promise<string> {
  return readFile(join(dir, 'out', manifest.files[logicalPath]!.served), 'utf8')
}

describe('reference rewriting on real third-party CSS', () => {
  it('collects Bootstrap, Font Awesome, Leaflet and a jQuery UI theme with no missing reference; every url() resolves', async () => {
    const dir = await temporaryDirectory()
    await cp(join(packageDir('bootstrap'), 'dist'), join(dir, 'static/bootstrap'), { recursive: true })
    for (const folder of ['css', 'fonts']) await cp(join(packageDir('font-awesome'), folder), join(dir, 'static/font-awesome', folder), { recursive: true })
    await cp(join(packageDir('leaflet'), 'dist'), join(dir, 'static/leaflet'), { recursive: true })
    await cp(join(packageDir('jquery-ui'), 'themes/base'), join(dir, 'static/jquery-ui'), { recursive: true })

    const { code, report, stderr } = await collectJson(dir)
    expect(code, stderr).toBe(0)
    expect(report.warnings.filter((w) => w.message.includes('reference'))).toEqual([])

    const manifest = await manifestOf(dir)
    const outputs = new Set([...Object.values(manifest.files)].flatMap((entry) => [entry.served, entry.fingerprinted]))
    let checked = 0
    for (const [logicalPath, entry] of Object.entries(manifest.files)) {
      if (!logicalPath.endsWith('.css')) continue
      for (const file of [entry.served, entry.fingerprinted]) {
        const css = await readFile(join(dir, 'out', file), 'utf8')
        for (const reference of findCssReferences(css)) {
          const resolved = resolveReference(file, reference.url, { baseUrl: '/static/' })
          if (resolved.kind === 'skip') continue
          expect(resolved.kind === 'local' && outputs.has(resolved.path), `${file}: ${reference.url}`).toBe(true)
          checked += 1
        }
      }
    }
    expect(checked).toBeGreaterThan(100)
    // The font references keep their query and fragment (the IE `?#iefix` hack).
    const fontAwesome = await servedText(dir, manifest, 'font-awesome/css/font-awesome.css')
    expect(/url\('\.\.\/fonts\/fontawesome-webfont\.[0-9a-f]{12}\.eot\?#iefix&v=4\.7\.0'\)/.test(fontAwesome)).toBe(true)
  }, 120_000)
})

describe('reference graph', () => {
  it('handles cycles of length 1, 2 and 3 and a diamond, deterministically', async () => {
    const files = {
      'css/self.css': '@import "self.css";\n.self { color: red }\n',
      'css/a.css': '@import "b.css";\n.a { background: url(../img/x.png) }\n',
      'css/b.css': '@import "a.css";\n.b { color: blue }\n',
      'css/p.css': '@import "q.css";\n.p{}\n',
      'css/q.css': '@import "r.css";\n.q{}\n',
      'css/r.css': '@import "p.css";\n.r{}\n',
      'css/top.css': '@import "left.css";\n@import "right.css";\n',
      'css/left.css': '@import "bottom.css";\n.left { float: left }\n',
      'css/right.css': '@import "bottom.css";\n.right { float: right }\n',
      'css/bottom.css': '.bottom { background: url("../img/x.png") }\n',
      'img/x.png': 'png bytes',
    }
    const first = await temporaryDirectory()
    const second = await temporaryDirectory()
    for (const dir of [first, second]) {
      await writeTree(join(dir, 'static'), files)
      const { code, report, stderr } = await collectJson(dir)
      expect(code, stderr).toBe(0)
      expect(report.warnings).toEqual([])
    }
    const manifest = await manifestOf(first)
    expect(await manifestOf(second)).toEqual(manifest)

    const hashOf = (path: string): string => /\.([0-9a-f]{12})\./.exec(manifest.files[path]!.served)![1]!
    // Members of one cycle share one fingerprint; files outside it do not.
    expect(hashOf('css/a.css')).toBe(hashOf('css/b.css'))
    expect(new Set([hashOf('css/p.css'), hashOf('css/q.css'), hashOf('css/r.css')]).size).toBe(1)
    expect(hashOf('css/p.css')).not.toBe(hashOf('css/a.css'))
    expect(hashOf('css/left.css')).not.toBe(hashOf('css/right.css'))

    // Every @import points at the served name of its target, cycles included.
    const name = (path: string): string => posix.basename(manifest.files[path]!.served)
    expect(await servedText(first, manifest, 'css/self.css')).toContain(`@import url(${name('css/self.css')})`)
    expect(await servedText(first, manifest, 'css/a.css')).toContain(`@import url(${name('css/b.css')})`)
    expect(await servedText(first, manifest, 'css/b.css')).toContain(`@import url(${name('css/a.css')})`)
    expect(await servedText(first, manifest, 'css/r.css')).toContain(`@import url(${name('css/p.css')})`)
    const top = await servedText(first, manifest, 'css/top.css')
    expect(top).toContain(name('css/left.css'))
    expect(top).toContain(name('css/right.css'))
    expect(await servedText(first, manifest, 'css/left.css')).toContain(name('css/bottom.css'))
  }, 60_000)

  it('changing one image changes every stylesheet that references it, transitively, and nothing else', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), {
      'img/logo.png': 'logo v1',
      'img/other.png': 'other',
      'css/uses-logo.css': '.logo { background: url(../img/logo.png) }\n',
      'css/imports-user.css': '@import "uses-logo.css";\n',
      'css/imports-importer.css': '@import url("imports-user.css");\n',
      'css/unrelated.css': '.x { background: url(../img/other.png) }\n',
      'js/app.js': 'console.log(1)\n',
    })
    expect((await collectJson(dir)).code).toBe(0)
    const before = await manifestOf(dir)
    await writeFile(join(dir, 'static/img/logo.png'), 'logo v2')
    expect((await collectJson(dir)).code).toBe(0)
    const after = await manifestOf(dir)
    const changed = Object.keys(after.files).filter((path) => after.files[path]!.served !== before.files[path]!.served).sort()
    expect(changed).toEqual(['css/imports-importer.css', 'css/imports-user.css', 'css/uses-logo.css', 'img/logo.png'])
  }, 60_000)

  it('warns about a missing reference with file:line, and fails under --strict keeping the previous manifest', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'css/a.css': '.a { color: red }\n' })
    expect((await collectJson(dir)).code).toBe(0)
    const published = await readFile(join(dir, 'out/convoy-manifest.json'))

    await writeFile(join(dir, 'static/css/a.css'), '.a { color: red }\n\n.b { background: url(../img/missing.png) }\n/* url(commented-out.png) */\n.c { content: "url(in-a-string.png)" }\n')
    const lenient = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })
    expect(lenient.code).toBe(0)
    expect(lenient.stderr).toMatch(/static\/css\/a\.css:3:\d+: reference "\.\.\/img\/missing\.png" points at img\/missing\.png, which is not collected; left unchanged \[references\]/)
    expect(lenient.stderr).not.toMatch(/commented-out|in-a-string/)
    const lenientManifest = await readFile(join(dir, 'out/convoy-manifest.json'))

    await writeFile(join(dir, 'static/css/a.css'), '.a { color: green }\n.b { background: url(../img/missing.png) }\n')
    const strict = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--strict'], { cwd: dir })
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/missing\.png.*\(--strict\)/)
    expect(await readFile(join(dir, 'out/convoy-manifest.json'))).toEqual(lenientManifest)
    expect(lenientManifest).not.toEqual(published)
  }, 60_000)

  it('rewrites root-relative references under the base URL and ES module imports when asked', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out', baseUrl: '/assets/', rewriteJsModules: true, minify: false }),
      'static/css/a.css': '.a { background: url(/assets/img/x.png) } .b { background: url(/elsewhere/y.png) }\n',
      'static/img/x.png': 'x',
      'static/js/main.js': "import { helper } from './lib/helper.js'\nimport('./lazy.js').then(() => helper())\n",
      'static/js/lib/helper.js': 'export function helper() { return 1 }\n',
      'static/js/lazy.js': 'export const lazy = true\n',
    })
    const run = await runConvoy(['collect', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const manifest = await manifestOf(dir)
    const css = await servedText(dir, manifest, 'css/a.css')
    expect(css).toContain(`url(/assets/${manifest.files['img/x.png']!.served})`)
    expect(css).toContain('url(/elsewhere/y.png)')
    const js = await servedText(dir, manifest, 'js/main.js')
    expect(js).toContain(`from './${manifest.files['js/lib/helper.js']!.served.slice('js/'.length)}'`)
    expect(js).toContain(`import('./${posix.basename(manifest.files['js/lazy.js']!.served)}')`)
  }, 60_000)
})
