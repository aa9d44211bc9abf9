import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createConvoy } from '@convoy/core'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDocBlocks, runBlock, type DocBlock } from './doc-blocks.js'

// docs/template-engines.md's EJS, Eta and Pug recipes, exactly as the page shows them: `convoy collect` (@convoy/core's
// built CLI) runs with the page's `bundles` config on a small site, then an Express app made of the page's blocks
// renders the page's views against the manifest it wrote. And the page's config for several engines, collected with a
// template of each.

const require = createRequire(import.meta.url)
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`))
const CORE = packageDir('@convoy/core')
const CLI = join(CORE, 'dist/cli.js')
const blocks = readDocBlocks()

function block(id: string): DocBlock {
  const found = blocks.get(id)
  if (found === undefined) throw new Error(`docs/template-engines.md has no block ("${id}") for these tests`)
  return found
}

const ENGINES = [
  { name: 'EJS', extension: 'ejs', modules: async () => ({ ejs: await import('ejs') }) },
  { name: 'Eta', extension: 'eta', modules: async () => ({ eta: await import('eta'), 'node:path': await import('node:path') }) },
  { name: 'Pug', extension: 'pug', modules: async () => ({ pug: await import('pug') }) },
] as const

// Big enough for their gzip variants to be kept (at most 95% of the original), so `.gz` links can be checked.
const SITE: Record<string, string | Buffer> = {
  'static/css/reset.css': `/* reset */\n${'html,body{margin:0;padding:0}\n'.repeat(20)}`,
  'static/css/base.css': `/* base */\n${'body{font-family:system-ui,sans-serif;color:#222}\n'.repeat(20)}`,
  'static/css/print.css': `/* print */\n${'@media print{nav{display:none}}\n'.repeat(20)}`,
  'static/js/vendor/jquery.js': `/* vendor */\n${'window.$ = function (selector) { return document.querySelectorAll(selector) }\n'.repeat(20)}`,
  'static/js/app.js': `/* app */\n${'document.title = "Convoy " + document.title\n'.repeat(20)}`,
  // A PNG signature and an empty IHDR-sized body: a binary file, never compressed.
  'static/img/logo.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]),
}

interface Manifest {
  readonly files: Record<string, { readonly served: string; readonly encodings?: Record<string, unknown> }>
  readonly carpools: Record<string, { readonly kind: string; readonly members: string[]; readonly served: string; readonly encodings?: Record<string, { readonly path: string }> }>
}

/** The temporary projects of this file, removed at the end. */
const directories: string[] = []
let dir: string
let manifest: Manifest

beforeAll(async () => {
  dir = await project({
    ...SITE,
    'convoy.config.mjs': block('bundles-config').code,
    ...Object.fromEntries(ENGINES.map(({ extension }) => [`views/home.${extension}`, block(`${extension}-view`).code])),
  })
  manifest = await collect(dir)
}, 60_000)

afterAll(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })))
})

/** A temporary project holding `files`. */
async function project(files: Record<string, string | Buffer>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'convoy-recipes-'))
  directories.push(directory)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(directory, path)), { recursive: true })
    await writeFile(join(directory, path), content)
  }
  // The configs import @convoy/core and the engine packages, installed in the project as for a user.
  await mkdir(join(directory, 'node_modules/@convoy'), { recursive: true })
  for (const name of ['core', 'nunjucks', 'liquid', 'handlebars']) {
    await symlink(packageDir(`@convoy/${name}`), join(directory, `node_modules/@convoy/${name}`), 'dir')
  }
  return directory
}

/** `convoy collect` in `directory` with its convoy.config.mjs, as users run it; the manifest it wrote to public/static. */
async function collect(directory: string): Promise<Manifest> {
  // No NODE_PATH (pnpm sets one for scripts): everything is found from the project, as for a user.
  const run = spawnSync(process.execPath, [CLI, 'collect', '--quiet'], { cwd: directory, env: { ...process.env, NODE_PATH: '' }, encoding: 'utf8' })
  expect(run.status, run.stderr).toBe(0)
  return JSON.parse(await readFile(join(directory, 'public/static/convoy-manifest.json'), 'utf8')) as Manifest
}

describe('the page', () => {
  it('hands every EJS, Eta and Pug block to these tests, each once', () => {
    expect([...blocks.keys()].sort()).toEqual(['bundles-config', 'ejs-engine', 'ejs-view', 'eta-engine', 'eta-view', 'locals', 'pug-engine', 'pug-view', 'several-engines'])
    expect(Object.fromEntries([...blocks.values()].map(({ id, lang }) => [id, lang]))).toMatchObject({ 'ejs-view': 'ejs', 'eta-view': 'eta', 'pug-view': 'pug', locals: 'js' })
  })

  it("declares bundles that collect builds, with their compressed siblings", async () => {
    expect(manifest.carpools['site-css']).toMatchObject({ kind: 'css', members: ['css/reset.css', 'css/base.css'], served: expect.stringMatching(/^CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/) as string })
    expect(manifest.carpools['site-js']).toMatchObject({ kind: 'js', members: ['js/vendor/jquery.js', 'js/app.js'], served: expect.stringMatching(/^CARPOOL\/js\/[0-9a-f]{12}\.cmin\.js$/) as string })
    const gzip = manifest.carpools['site-css']!.encodings?.gzip?.path
    expect(gzip).toBe(`${manifest.carpools['site-css']!.served}.gz`)
    await expect(readFile(join(dir, 'public/static', gzip!))).resolves.toBeInstanceOf(Buffer)
  })
})

describe('the config for several engines', () => {
  it("builds the carpool blocks of a Nunjucks, a Liquid and a Handlebars template, each read by its engine's scanner", async () => {
    const directory = await project({
      ...SITE,
      'convoy.config.mjs': block('several-engines').code,
      'views/page.njk': '{# {% carpool js %}js/app.js{% endcarpool %} #}\n{% carpool css %}\ncss/reset.css\n{% endcarpool %}',
      'views/shop/page.liquid': '{% raw %}{% carpool css %}css/base.css{% endcarpool %}{% endraw %}\n{% carpool js %}\njs/app.js\n{% endcarpool %}',
      'views/mail.hbs': '{{!-- {{#carpool "js"}}js/app.js{{/carpool}} --}}\n{{#carpool "css"}}\ncss/base.css\ncss/print.css\n{{/carpool}}',
    })
    const { carpools } = await collect(directory)
    expect(Object.fromEntries(Object.entries(carpools).map(([name, { kind, members }]) => [name, { kind, members }]))).toEqual({
      'views/page.njk:2': { kind: 'css', members: ['css/reset.css'] },
      'views/shop/page.liquid:2': { kind: 'js', members: ['js/app.js'] },
      'views/mail.hbs:2': { kind: 'css', members: ['css/base.css', 'css/print.css'] },
    })
  }, 60_000)
})

describe.each(ENGINES)('$name', ({ extension, modules }) => {
  /** A server on 127.0.0.1 made of the page's blocks, over a runtime on the collected manifest; `wrap` may stand in for it. */
  async function start(wrap: (convoy: Awaited<ReturnType<typeof createConvoy>>) => object = (convoy) => convoy): Promise<{ origin: string; close: () => Promise<void> }> {
    const convoy = await createConvoy({ manifest: join(dir, 'public/static/convoy-manifest.json'), baseUrl: '/static/', gzipInTemplate: true })
    const app = express()
    app.set('views', join(dir, 'views'))
    runBlock(block('locals'), {}, { app, convoy: wrap(convoy) })
    runBlock(block(`${extension}-engine`), await modules(), { app })
    app.get('/', (_req, res) => res.render('home'))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
    return {
      origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  }

  let site: Awaited<ReturnType<typeof start>>
  beforeAll(async () => {
    site = await start()
  })
  afterAll(async () => {
    await site.close()
  })

  const get = async (acceptEncoding: string, origin = site.origin): Promise<{ status: number; vary: string | null; html: string }> => {
    const response = await fetch(`${origin}/`, { headers: { 'accept-encoding': acceptEncoding } })
    return { status: response.status, vary: response.headers.get('vary'), html: await response.text() }
  }

  it('links the bundles collect built, and the served files, with the carpool HTML unescaped', async () => {
    const { status, vary, html } = await get('identity')
    expect(status, html).toBe(200)
    expect(html).toContain(`<link rel="stylesheet" href="/static/${manifest.carpools['site-css']!.served}">`)
    expect(html).toContain(`<script src="/static/${manifest.carpools['site-js']!.served}"></script>`)
    expect(html).toContain(`href="/static/${manifest.files['css/print.css']!.served}"`)
    expect(html).toContain(`src="/static/${manifest.files['img/logo.png']!.served}"`)
    expect(html).not.toContain('&lt;')
    expect(html).not.toContain('.gz')
    expect(vary).toMatch(/accept-encoding/i)
  })

  it('links the .gz files for a request that accepts gzip (gzipInTemplate), and none for one that refuses it', async () => {
    const { html } = await get('gzip, br')
    expect(html).toContain(`href="/static/${manifest.carpools['site-css']!.served}.gz"`)
    expect(html).toContain(`src="/static/${manifest.carpools['site-js']!.served}.gz"`)
    expect(html).toContain(`href="/static/${manifest.files['css/print.css']!.served}.gz"`)
    // Images are never compressed: no .gz to link.
    expect(html).toContain(`src="/static/${manifest.files['img/logo.png']!.served}"`)
    expect((await get('gzip;q=0, br')).html).not.toContain('.gz')
  })

  it('escapes URLs, in attributes', async () => {
    const tricky = await start((convoy) => ({ url: (path: string, options?: object) => `${convoy.url(path, options)}?v=1&t="x"`, carpool: convoy.carpool.bind(convoy) }))
    try {
      const { status, html } = await get('identity', tricky.origin)
      expect(status, html).toBe(200)
      expect(html).toContain(`href="/static/${manifest.files['css/print.css']!.served}?v=1&amp;t=`)
      expect(html).not.toContain('&t="x"')
    } finally {
      await tricky.close()
    }
  })
})

describe('EJS', () => {
  it('fails on acceptEncoding in a view rendered without the middleware, as the page says', async () => {
    const ejs = await import('ejs')
    const convoy = await createConvoy({ manifest: join(dir, 'public/static/convoy-manifest.json'), baseUrl: '/static/' })
    expect(() => ejs.render(block('ejs-view').code, { convoy })).toThrow(/acceptEncoding is not defined/)
    expect(ejs.render(block('ejs-view').code, { convoy, acceptEncoding: undefined })).toContain(manifest.carpools['site-css']!.served)
  })
})
