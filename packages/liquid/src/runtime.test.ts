import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import type { Storage, StorageEntry } from '@convoy/core'
import { Liquid } from 'liquidjs'
import { describe, expect, it } from 'vitest'
import { addConvoyTags, type ConvoyRenderer } from './tags.js'

// Against the real runtime: `createConvoy()` from @convoy/core (a peer dependency, linked in this
// workspace, imported from its build).
const { createConvoy } = await import('@convoy/core')

const served = {
  'css/a.css': { path: 'css/a.0123456789ab.cmin.css', text: `.a{color:red;margin:0 auto}`.repeat(20) },
  'css/b.css': { path: 'css/b.123456789abc.cmin.css', text: `.b{color:blue;margin:0 auto}`.repeat(20) },
  'js/app.js': { path: 'js/app.23456789abcd.cmin.js', text: 'console.log("app");'.repeat(20) },
}

const sri = (text: string): string => `sha384-${createHash('sha384').update(text).digest('base64')}`
const md5 = (text: string): string => createHash('md5').update(text).digest('hex')

/** A manifest object as `convoy collect` writes it (see @convoy/manifest's README), every file with a `.gz` sibling. */
const manifest = {
  version: 1 as const,
  id: '0123456789abcdef',
  baseUrl: '/static/',
  hash: { algorithm: 'md5', length: 12 },
  files: Object.fromEntries(
    Object.entries(served).map(([logicalPath, { path, text }]) => [
      logicalPath,
      {
        served: path,
        size: text.length,
        integrity: sri(text),
        fingerprinted: path,
        sourceHash: md5(text),
        contentType: logicalPath.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
        encodings: { gzip: { path: `${path}.gz`, size: gzipSync(text).byteLength } },
      },
    ]),
  ),
  carpools: {},
  history: [],
}

/** TEST-ONLY in-memory `Storage` holding the served files, where the runtime writes the bundles it builds. */
function createMemoryStorage(): Storage & { readonly files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>(Object.values(served).map(({ path, text }) => [path, Buffer.from(text)]))
  const entry = (path: string): StorageEntry | null => {
    const bytes = files.get(path)
    return bytes === undefined ? null : { path, size: bytes.byteLength }
  }
  return {
    name: 'memory',
    capabilities: { atomicWrites: true },
    files,
    read: (path) => Promise.resolve(files.get(path) ?? null),
    readStream: (path) => Promise.resolve(files.has(path) ? Readable.from([files.get(path)!]) : null),
    async write(path, body) {
      if (body instanceof Readable) {
        const chunks: Buffer[] = []
        for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array))
        files.set(path, Buffer.concat(chunks))
      } else {
        files.set(path, typeof body === 'string' ? Buffer.from(body) : body)
      }
    },
    exists: (path) => Promise.resolve(files.has(path)),
    stat: (path) => Promise.resolve(entry(path)),
    delete: (path) => Promise.resolve(void files.delete(path)),
    async *list(prefix = '') {
      for (const path of files.keys()) if (path.startsWith(prefix)) yield entry(path)!
      await Promise.resolve()
    },
    url: (path) => `/static/${path}`,
  }
}

const template = [
  `<link rel="stylesheet" href="{% convoy 'css/a.css' %}">`,
  `{% convoy 'js/app.js' as app %}<script src="{{ app }}"></script>`,
  '{% carpool css %}',
  '  css/a.css',
  '',
  '  css/b.css',
  '{% endcarpool %}',
].join('\n')

function renderer(convoy: ConvoyRenderer): (scope?: object) => string {
  const liquid = addConvoyTags(new Liquid({ outputEscape: 'escape' }), convoy)
  const parsed = liquid.parse(template)
  return (scope = {}) => liquid.renderSync(parsed, scope) as string
}

const request = (acceptEncoding: string) => ({ req: { headers: { 'accept-encoding': acceptEncoding } } })

describe('with the real createConvoy()', () => {
  it('production mode with gzipInTemplate: processed URLs, .gz only when gzip is acceptable', async () => {
    const warnings: string[] = []
    const render = renderer(await createConvoy({ manifest, gzipInTemplate: true, onWarning: (message) => warnings.push(message) }))
    const members = (gz: string) =>
      [
        `<link rel="stylesheet" href="/static/css/a.0123456789ab.cmin.css${gz}">`,
        `<script src="/static/js/app.23456789abcd.cmin.js${gz}"></script>`,
        '<!-- carpool css: 2 files -->',
        `<link rel="stylesheet" href="/static/css/a.0123456789ab.cmin.css${gz}">`,
        `<link rel="stylesheet" href="/static/css/b.123456789abc.cmin.css${gz}">`,
        '<!-- /carpool -->',
      ].join('\n')

    expect(render(request('gzip, deflate, br'))).toBe(members('.gz'))
    expect(render(request('gzip;q=0, br'))).toBe(members(''))
    expect(render(request('br, *;q=0'))).toBe(members(''))
    expect(render()).toBe(members(''))
    expect(render({ acceptEncoding: 'GZIP;q=0.5' })).toBe(members('.gz'))
    // Without a storage the runtime cannot build the bundle at request time and says so once.
    expect(warnings).toHaveLength(1)
  })

  it('production mode renders the bundle once it exists, .gz only when gzip is acceptable', async () => {
    const storage = createMemoryStorage()
    const convoy = await createConvoy({ manifest, storage, gzipInTemplate: true, onWarning: () => undefined })
    const bundleUrl = await convoy.prepareCarpool('css', ['css/a.css', 'css/b.css'])
    expect(bundleUrl).toMatch(/^\/static\/CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/)
    expect(storage.files.has(`${bundleUrl.slice('/static/'.length)}.gz`)).toBe(true)

    const render = renderer(convoy)
    const bundle = (gz: string) => `<!-- carpool css: 2 files -->\n<link rel="stylesheet" href="${bundleUrl}${gz}">\n<!-- /carpool -->`
    expect(render(request('gzip'))).toContain(bundle('.gz'))
    expect(render(request('gzip;q=0'))).toContain(bundle(''))
    expect(render(request('gzip;q=0'))).not.toContain('.gz')
  })

  it('builds a missing bundle in the background at the first render, and links it from then on', async () => {
    const storage = createMemoryStorage()
    const convoy = await createConvoy({ manifest, storage, onWarning: () => undefined })
    const render = renderer(convoy)
    expect(render()).toContain('<link rel="stylesheet" href="/static/css/b.123456789abc.cmin.css">')
    // No prepareCarpool(): the first render started the build; wait (bounded) until a render links the bundle.
    let html = render()
    for (let attempt = 0; attempt < 500 && !html.includes('CARPOOL/'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      html = render()
    }
    expect(html).toMatch(/<!-- carpool css: 2 files -->\n<link rel="stylesheet" href="\/static\/CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css">\n<!-- \/carpool -->/)
    expect([...storage.files.keys()].filter((path) => path.startsWith('CARPOOL/css/'))).not.toHaveLength(0)
  })

  it('picks up convoy.reload() without parsing the template again', async () => {
    const source = structuredClone(manifest)
    const storage = createMemoryStorage()
    await storage.write('convoy-manifest.json', JSON.stringify(source))
    const convoy = await createConvoy({ manifest: storage, onWarning: () => undefined })
    const liquid = addConvoyTags(new Liquid(), convoy)
    const page = liquid.parse("{% convoy 'css/a.css' %}")
    expect(liquid.renderSync(page)).toBe('/static/css/a.0123456789ab.cmin.css')

    source.files['css/a.css']!.served = 'css/a.fedcba987654.cmin.css'
    await storage.write('convoy-manifest.json', JSON.stringify(source))
    await convoy.reload()
    expect(liquid.renderSync(page)).toBe('/static/css/a.fedcba987654.cmin.css')
  })

  it('debug mode: the originals, one tag per carpool member, no .gz', async () => {
    const render = renderer(await createConvoy({ debug: true, baseUrl: '/static/', gzipInTemplate: true }))
    expect(render(request('gzip'))).toBe(
      [
        '<link rel="stylesheet" href="/static/css/a.css">',
        '<script src="/static/js/app.js"></script>',
        '<!-- carpool css: 2 files -->',
        '<link rel="stylesheet" href="/static/css/a.css">',
        '<link rel="stylesheet" href="/static/css/b.css">',
        '<!-- /carpool -->',
      ].join('\n'),
    )
  })

  it("fails the render with the runtime's missing-asset error, naming the path and the template line", async () => {
    const convoy = await createConvoy({ manifest })
    const liquid = addConvoyTags(new Liquid({ templates: { 'page.liquid': "<p>\n  {% convoy 'css/nope.css' %}" } }), convoy)
    let failure: (Error & { originalError?: unknown }) | undefined
    try {
      liquid.renderFileSync('page.liquid')
    } catch (error) {
      failure = error as Error
    }
    expect(failure?.message).toContain('"css/nope.css" is not in the manifest')
    expect(failure?.message).toMatch(/, file:page\.liquid, line:2, col:3$/)
    expect((failure?.originalError as { code?: string } | undefined)?.code).toBe('ERR_CONVOY_MISSING_ASSET')
  })
})
