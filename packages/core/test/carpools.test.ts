import type * as FsPromises from 'node:fs/promises'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import type { TemplateScanner } from '@convoy/carpool'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { createFsStorage } from '@convoy/storage-fs'
import type { Manifest } from '@convoy/manifest'
import { findTemplateCarpools, isTemplateSource, resolveTemplateSources } from '../src/carpool-templates.js'
import { createConvoy } from '../src/index.js'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

// One template that cannot be read, to check the read error; every other read goes through.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>()
  const read = actual.readFile as (...args: unknown[]) => Promise<unknown>
  const readFile = ((path: unknown, ...rest: unknown[]) =>
    typeof path === 'string' && path.endsWith('unreadable.html')
      ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))
      : read(path, ...rest)) as typeof actual.readFile
  return { ...actual, readFile, default: { ...actual, readFile } }
})

const SOURCES = {
  'static/css/a.css': '.a { background: url(../img/x.png) }\n',
  'static/css/sub/b.css': '.b { background: url(../../img/x.png) }\n',
  'static/img/x.png': 'png',
  'static/js/one.js': 'var one = 1\n',
  'static/js/two.js': '(function () { window.two = one + 1 })()\n',
}

/**
 * A toy template engine for core's own tests (the real engines live in their packages, e.g. @convoy/nunjucks): a
 * block is one line `<!-- carpool css: a.css b.css -->`. Self-contained, so its source can go into a config file.
 */
function toyScan(text: string): { kind: 'css' | 'js'; members: string[]; line: number }[] {
  return text.split('\n').flatMap((source, index) => {
    const match = /<!-- carpool (css|js): (.*?) -->/.exec(source)
    return match === null ? [] : [{ kind: match[1] as 'css' | 'js', members: match[2]!.split(' ').filter((path) => path !== ''), line: index + 1 }]
  })
}
const toy: TemplateScanner = { name: 'toy', scan: toyScan }
/** The toy scanner as JavaScript source, for a config file or a stand-in package. */
const TOY_SOURCE = `{ name: 'toy', scan: ${toyScan.toString()} }`

const PAGE = '<head>\n<!-- carpool js: js/one.js js/two.js -->\n<!-- carpool css: css/sub/b.css -->\n</head>\n'

/** A stand-in for an installed @convoy/nunjucks whose nunjucksScanner is the toy one (or `exports` as given). */
function fakeNunjucksPackage(exports = `export const nunjucksScanner = ${TOY_SOURCE}\n`): Record<string, string> {
  return {
    'node_modules/@convoy/nunjucks/package.json': JSON.stringify({ name: '@convoy/nunjucks', type: 'module', exports: './index.js' }),
    'node_modules/@convoy/nunjucks/index.js': exports,
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<ConvoyError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason)
  if (!isConvoyError(error)) throw new Error(`expected a ConvoyError, got ${String(error)}`)
  return error
}

describe('carpools built by collect', () => {
  it('builds bundles declared in the config and found in templates, recorded in the manifest and linked from the first render', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      ...SOURCES,
      'convoy.config.mjs': `export default {
        sources: ['static'],
        out: 'out',
        bundles: { site: { kind: 'css', members: ['css/a.css', 'css/sub/b.css'] } },
        templates: [{ files: ['views/**/*.html'], scanner: ${TOY_SOURCE} }],
      }\n`,
      'views/page.html': PAGE,
      'views/none.html': '<p>no carpool here</p>',
    })
    const run = await runConvoy(['collect', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(join(dir, 'out/convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.carpools).sort()).toEqual(['site', 'views/page.html:2', 'views/page.html:3'])
    const site = manifest.carpools.site!
    expect(manifest.carpools['views/page.html:3']).toMatchObject({ kind: 'css', members: ['css/sub/b.css'] })
    expect(site).toMatchObject({ kind: 'css', members: ['css/a.css', 'css/sub/b.css'], served: expect.stringMatching(/^CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/) as string })
    // Both members' url()s still point at the image from the bundle's folder.
    const image = manifest.files['img/x.png']!.served
    const css = await readFile(join(dir, 'out', site.served), 'utf8')
    expect(css.match(new RegExp(`url\\(\\.\\./\\.\\./${image.replace(/\./g, '\\.')}\\)`, 'g'))).toHaveLength(2)
    expect(await readFile(join(dir, 'out', `${site.served}.json`), 'utf8')).toContain(manifest.files['css/a.css']!.served)

    // The runtime links the prebuilt bundle from the very first render, and names it exactly as it would itself.
    const convoy = await createConvoy({ manifest: join(dir, 'out/convoy-manifest.json'), combineDuringRequest: false })
    expect(convoy.carpool('css', ['css/a.css', 'css/sub/b.css'])).toContain(`/static/${site.served}`)
    expect(convoy.carpool('js', ['js/one.js', 'js/two.js'])).toContain(`/static/${manifest.carpools['views/page.html:2']!.served}`)

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

describe('the templates shorthand (globs of Nunjucks templates) through the CLI', () => {
  it('scans them with nunjucksScanner of the @convoy/nunjucks installed in the project', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      ...SOURCES,
      ...fakeNunjucksPackage(),
      'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out', templates: ['views/*.html'] }),
      'views/page.html': PAGE,
    })
    const run = await runConvoy(['collect', '--quiet'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(join(dir, 'out/convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.carpools).sort()).toEqual(['views/page.html:2', 'views/page.html:3'])
  }, 60_000)

  it('fails with exit code 2, saying what to install, when @convoy/nunjucks is not there', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { ...SOURCES, 'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out', templates: ['views/*.html'] }), 'views/page.html': PAGE })
    // No NODE_PATH, which pnpm sets for scripts and which would find this workspace's @convoy/nunjucks.
    const run = await runConvoy(['collect'], { cwd: dir, env: { NODE_PATH: '' } })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('templates as a list of globs needs @convoy/nunjucks (npm i @convoy/nunjucks nunjucks), or give { files, scanner }')
  })
})

describe('findTemplateCarpools', () => {
  it('asks each source\'s scanner about its templates, in path order, naming each block <template>:<line>', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      'views/b.html': PAGE,
      'views/a.html': '\n\n<!-- carpool css: css/a.css -->\n<!-- carpool js: -->\n',
      'emails/x.txt': 'x\n<!-- carpool js: js/one.js -->',
      'views/ignored.txt': PAGE,
    })
    const other: TemplateScanner = { name: 'other', scan: (text, file) => (file.endsWith('x.txt') ? toyScan(text).map((block) => ({ ...block, members: [...block.members, 'js/two.js'] })) : []) }
    const found = await findTemplateCarpools([{ files: ['views/*.html', 'views/a.*'], scanner: toy }, { files: ['emails/**'], scanner: other }], dir)
    expect(found).toEqual([
      // A block that lists no member is left out.
      { name: 'views/a.html:3', kind: 'css', members: ['css/a.css'] },
      { name: 'views/b.html:2', kind: 'js', members: ['js/one.js', 'js/two.js'] },
      { name: 'views/b.html:3', kind: 'css', members: ['css/sub/b.css'] },
      { name: 'emails/x.txt:2', kind: 'js', members: ['js/one.js', 'js/two.js'] },
    ])
  })

  it('gives each scanner the template text and its path relative to cwd', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'views/deep/page.html': PAGE })
    const seen: [string, string][] = []
    await findTemplateCarpools([{ files: ['views/**/*.html'], scanner: { name: 'spy', scan: (text, file) => (seen.push([text, file]), []) } }], dir)
    expect(seen).toEqual([[PAGE, 'views/deep/page.html']])
  })

  it('keeps the scanner\'s ConvoyError, and names the scanner and template for anything else it throws', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'views/page.html': PAGE })
    const malformed = new ConvoyError('ERR_CONVOY_TEMPLATE', 'toy: views/page.html:2: bad block', { file: 'views/page.html', line: 2 })
    const thrown = await rejectionOf(findTemplateCarpools([{ files: ['views/*'], scanner: { name: 'toy', scan: () => { throw malformed } } }], dir))
    expect(thrown).toBe(malformed)

    const failure = new TypeError('boom')
    const wrapped = await rejectionOf(findTemplateCarpools([{ files: ['views/*'], scanner: { name: 'broken', scan: () => { throw failure } } }], dir))
    expect([wrapped.code, wrapped.message, wrapped.file, wrapped.cause]).toEqual(['ERR_CONVOY_TEMPLATE', '@convoy/core: template scanner broken failed on views/page.html: boom', 'views/page.html', failure])
  })

  it('refuses what a scanner returns when it is not carpool blocks', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'views/page.html': PAGE })
    for (const result of [undefined, [{ kind: 'scss', members: ['a'], line: 1 }], [{ kind: 'css', members: ['a'], line: 0 }], [{ kind: 'css', members: [''], line: 1 }]]) {
      const scanner = { name: 'odd', scan: () => result } as unknown as TemplateScanner
      const error = await rejectionOf(findTemplateCarpools([{ files: ['views/*'], scanner }], dir))
      expect([error.code, error.message]).toEqual(['ERR_CONVOY_TEMPLATE', expect.stringContaining('template scanner odd returned something other than carpool blocks')])
    }
  })

  it('refuses two scanners finding a block on the same template line', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'views/page.html': PAGE })
    const error = await rejectionOf(findTemplateCarpools([{ files: ['views/*'], scanner: toy }, { files: ['views/page.html'], scanner: { ...toy, name: 'copy' } }], dir))
    expect([error.code, error.message]).toEqual(['ERR_CONVOY_CONFIG', expect.stringContaining('template scanners toy and copy both found a carpool at views/page.html:2')])
  })

  it('fails with ERR_CONVOY_READ naming the template when one cannot be read', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'views/unreadable.html': PAGE })
    const error = await rejectionOf(findTemplateCarpools([{ files: ['views/*'], scanner: toy }], dir))
    expect([error.code, error.message, error.file]).toEqual([
      'ERR_CONVOY_READ',
      `@convoy/core: cannot read template ${join(dir, 'views/unreadable.html')}: EACCES: permission denied`,
      join(dir, 'views/unreadable.html'),
    ])
  })
})

describe('resolveTemplateSources', () => {
  it('keeps { files, scanner } entries and loads no engine for them', async () => {
    const dir = await temporaryDirectory()
    const source = { files: ['views/*.html'], scanner: toy }
    expect(await resolveTemplateSources([source], dir)).toEqual([source])
    expect(await resolveTemplateSources([], dir)).toEqual([])
  })

  it('turns the globs into one source scanned by nunjucksScanner of the project\'s @convoy/nunjucks, where the first glob stood', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, fakeNunjucksPackage())
    const source = { files: ['emails/*.txt'], scanner: toy }
    const sources = await resolveTemplateSources([source, 'views/*.njk', 'partials/*.njk'], dir)
    expect(sources.map((entry) => [entry.files, entry.scanner.name])).toEqual([[['emails/*.txt'], 'toy'], [['views/*.njk', 'partials/*.njk'], 'toy']])
    expect(sources[0]).toBe(source)
    expect(sources[1]!.scanner).not.toBe(toy)
    expect(sources.every(isTemplateSource)).toBe(true)
  })

  it('says what to install when the project\'s @convoy/nunjucks cannot be loaded, or is too old', async () => {
    // (Not installed at all is the CLI test above: here, under pnpm, NODE_PATH would find this workspace's copy.)
    const message = 'templates as a list of globs needs @convoy/nunjucks (npm i @convoy/nunjucks nunjucks), or give { files, scanner }'
    for (const files of [
      { 'node_modules/@convoy/nunjucks/package.json': JSON.stringify({ name: '@convoy/nunjucks', type: 'module', exports: './missing.js' }) },
      // Its nunjucks peer is not installed (ESM imports do not look at NODE_PATH).
      fakeNunjucksPackage("import 'nunjucks'\n"),
    ]) {
      const dir = await temporaryDirectory()
      await writeTree(dir, files)
      const error = await rejectionOf(resolveTemplateSources(['views/*.njk'], dir))
      expect([error.code, error.message]).toEqual(['ERR_CONVOY_CONFIG', expect.stringContaining(message)])
      expect(error.cause).toBeInstanceOf(Error)
    }

    const old = await temporaryDirectory()
    await writeTree(old, fakeNunjucksPackage('export const addConvoyExtension = () => {}\n'))
    const tooOld = await rejectionOf(resolveTemplateSources(['views/*.njk'], old))
    expect([tooOld.code, tooOld.message]).toEqual(['ERR_CONVOY_CONFIG', expect.stringContaining('has no nunjucksScanner')])
  })
})

describe('isTemplateSource', () => {
  it('accepts { files: [globs], scanner } only', () => {
    expect(isTemplateSource({ files: ['views/*.njk'], scanner: toy })).toBe(true)
    for (const value of ['views/*.njk', null, { files: [], scanner: toy }, { files: [''], scanner: toy }, { files: 'views/*.njk', scanner: toy }, { files: ['views/*.njk'] }, { files: ['views/*.njk'], scanner: { name: 'x' } }]) {
      expect(isTemplateSource(value)).toBe(false)
    }
  })
})
