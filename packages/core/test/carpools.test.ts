import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFsStorage } from '@convoy/storage-fs'
import type { Manifest } from '@convoy/manifest'
import { createConvoy } from '../src/index.js'
import { runConvoy, temporaryDirectory, writeTree } from './helpers.js'

const SOURCES = {
  'static/css/a.css': '.a { background: url(../img/x.png) }\n',
  'static/css/sub/b.css': '.b { background: url(../../img/x.png) }\n',
  'static/img/x.png': 'png',
  'static/js/one.js': 'var one = 1\n',
  'static/js/two.js': '(function () { window.two = one + 1 })()\n',
}

describe('carpools built by collect', () => {
  it('builds bundles declared in the config and found in templates, recorded in the manifest and linked from the first render', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      ...SOURCES,
      'convoy.config.json': JSON.stringify({
        sources: ['static'],
        out: 'out',
        bundles: { site: { kind: 'css', members: ['css/a.css', 'css/sub/b.css'] } },
        templates: ['views/**/*.njk'],
      }),
      'views/page.njk': '<head>\n{% carpool js %}\n  js/one.js\n  {# the app #}\n  js/two.js\n{% endcarpool %}\n{%- carpool "css" -%}\n css/sub/b.css\n{%- endcarpool %}\n</head>\n',
      'views/dynamic.njk': '{% carpool css %}{{ path }}{% endcarpool %}',
    })
    const run = await runConvoy(['collect', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(join(dir, 'out/convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.carpools).sort()).toEqual(['site', 'views/page.njk:2', 'views/page.njk:7'])
    const site = manifest.carpools.site!
    expect(site).toMatchObject({ kind: 'css', members: ['css/a.css', 'css/sub/b.css'], served: expect.stringMatching(/^CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/) as string })
    // Both members' url()s still point at the image from the bundle's folder.
    const image = manifest.files['img/x.png']!.served
    const css = await readFile(join(dir, 'out', site.served), 'utf8')
    expect(css.match(new RegExp(`url\\(\\.\\./\\.\\./${image.replace(/\./g, '\\.')}\\)`, 'g'))).toHaveLength(2)
    expect(await readFile(join(dir, 'out', `${site.served}.json`), 'utf8')).toContain(manifest.files['css/a.css']!.served)

    // The runtime links the prebuilt bundle from the very first render, and names it exactly as it would itself.
    const convoy = await createConvoy({ manifest: join(dir, 'out/convoy-manifest.json'), combineDuringRequest: false })
    expect(convoy.carpool('css', ['css/a.css', 'css/sub/b.css'])).toContain(`/static/${site.served}`)
    expect(convoy.carpool('js', ['js/one.js', 'js/two.js'])).toContain(`/static/${manifest.carpools['views/page.njk:2']!.served}`)

    // A separate, request-time build of the same bundle in another output gives the same name and bytes.
    const other = await temporaryDirectory()
    await writeTree(other, { ...SOURCES, 'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out' }) })
    expect((await runConvoy(['collect', '--quiet'], { cwd: other })).code).toBe(0)
    const runtime = await createConvoy({ manifest: join(other, 'out/convoy-manifest.json'), storage: createFsStorage({ root: join(other, 'out') }) })
    const url = await runtime.prepareCarpool('css', ['css/a.css', 'css/sub/b.css'])
    expect(url).toBe(`/static/${site.served}`)
    expect(await readFile(join(other, 'out', site.served))).toEqual(await readFile(join(dir, 'out', site.served)))
  }, 60_000)

  it('fails the run, keeping the manifest, when a declared bundle names a file that is not collected', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { ...SOURCES, 'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out', bundles: { broken: { kind: 'css', members: ['css/a.css', 'css/nope.css'] } } }) })
    const run = await runConvoy(['collect'], { cwd: dir })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/carpool broken names css\/nope\.css, which is not collected/)
    await expect(readFile(join(dir, 'out/convoy-manifest.json'))).rejects.toThrow(/ENOENT/)
  })
})
