import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { gunzipSync } from 'node:zlib'
import { carpoolName } from '@convoy/carpool'
import { buildCarpool } from '@convoy/carpool/build'
import { isConvoyError } from '@convoy/errors'
import { integrity } from '@convoy/hash'
import { describe, expect, it } from 'vitest'
import { createConvoy } from './create-convoy.js'
import { cleanedFixtures, countingWrites, waitFor } from './test-fixture.js'

const fixture = cleanedFixtures()

const CSS = ['css/x/a.css', 'css/b.css'] as const
const JS = ['js/a.js', 'js/b.js'] as const

describe('convoy.carpool', () => {
  it('renders the members first, then the bundle once the background build is done', async () => {
    const { manifestFile, served, root } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile })
    const bundle = carpoolName('css', [served['css/x/a.css']!, served['css/b.css']!])

    expect(convoy.carpool('css', CSS)).toBe(
      '<!-- carpool css: 2 files -->\n' +
        `<link rel="stylesheet" href="/static/${served['css/x/a.css']}">\n` +
        `<link rel="stylesheet" href="/static/${served['css/b.css']}">\n` +
        '<!-- /carpool -->',
    )
    await waitFor(() => convoy.carpool('css', CSS).includes('CARPOOL'))
    expect(convoy.carpool('css', CSS)).toBe(`<!-- carpool css: 2 files -->\n<link rel="stylesheet" href="/static/${bundle}">\n<!-- /carpool -->`)

    // The bundle sits in the manifest's folder, its image URL still reaching the served image.
    const css = await readFile(join(root, bundle), 'utf8')
    const imageUrl = /url\(([^)]*)\)/.exec(css)![1]!
    expect(new URL(imageUrl, `https://example.com/static/${bundle}`).pathname).toBe(`/static/${served['css/img/a.png']}`)
    expect(gunzipSync(await readFile(join(root, `${bundle}.gz`))).toString()).toBe(css)
  })

  it('builds once for 200 concurrent first renders, none of which waits', async () => {
    const { manifestFile, served, storage: disk } = await fixture()
    const { storage, writes } = countingWrites(disk)
    const convoy = await createConvoy({ manifest: manifestFile, storage })
    const bundle = carpoolName('js', [served['js/a.js']!, served['js/b.js']!])
    const renders = await Promise.all(
      Array.from({ length: 200 }, async () => {
        await Promise.resolve()
        return convoy.carpool('js', JS)
      }),
    )
    for (const html of renders) expect(html).toContain(`<script src="/static/${served['js/a.js']}"></script>`)
    expect(writes.size).toBe(0)
    await waitFor(() => convoy.carpool('js', JS).includes(bundle))
    expect(writes.get(bundle)).toBe(1)
    for (let i = 0; i < 200; i++) convoy.carpool('js', JS)
    expect(writes.get(bundle)).toBe(1)
  })

  it('bundles JS so that a first member without a semicolon still runs', async () => {
    const { manifestFile, served, root } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile })
    const url = await convoy.prepareCarpool('js', JS)
    expect(url).toBe(`/static/${carpoolName('js', [served['js/a.js']!, served['js/b.js']!])}`)
    const context: Record<string, unknown> = {}
    runInNewContext(await readFile(join(root, url.slice('/static/'.length)), 'utf8'), context)
    expect(context.a).toBe(2)
  })

  it('links bundles built by collect at once, without touching the storage', async () => {
    const first = await fixture()
    const members = [first.served['js/a.js']!, first.served['js/b.js']!]
    const bytes = buildCarpool('js', await Promise.all(members.map(async (path) => ({ path, content: (await first.storage.read(path))! }))))
    const served = carpoolName('js', members)
    const { storage, writes } = countingWrites(first.storage)
    const manifest = {
      ...first.manifest,
      carpools: { site: { kind: 'js' as const, members: [...JS], served, size: bytes.byteLength, integrity: integrity(bytes), contentType: 'text/javascript; charset=utf-8' } },
    }
    const convoy = await createConvoy({ manifest, storage, carpool: { integrity: true, startComment: false, endComment: false } })
    expect(convoy.carpool('js', JS)).toBe(`<script src="/static/${served}" integrity="${integrity(bytes)}" crossorigin="anonymous"></script>`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(writes.size).toBe(0)
  })

  it('with combineDuringRequest off, builds nothing until prepareCarpool()', async () => {
    const { manifestFile, served, storage: disk } = await fixture()
    const { storage, writes } = countingWrites(disk)
    const convoy = await createConvoy({ manifest: manifestFile, storage, combineDuringRequest: false })
    expect(convoy.carpool('css', CSS)).toContain(served['css/b.css'])
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(convoy.carpool('css', CSS)).toContain(served['css/b.css'])
    expect(writes.size).toBe(0)
    const url = await convoy.prepareCarpool('css', CSS)
    expect(convoy.carpool('css', CSS)).toContain(`href="${url}"`)
  })

  it('links .gz siblings of members and bundles when gzip is acceptable, never for gzip;q=0', async () => {
    const { manifestFile, served } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, gzipInTemplate: true })
    expect(convoy.carpool('css', CSS, { acceptEncoding: 'gzip' })).toContain(`href="/static/${served['css/b.css']}.gz"`)
    expect(convoy.carpool('css', CSS, { acceptEncoding: 'gzip;q=0' })).not.toContain('.gz')
    const url = await convoy.prepareCarpool('css', CSS)
    expect(convoy.carpool('css', CSS, { acceptEncoding: 'gzip, br' })).toContain(`href="${url}.gz"`)
    expect(convoy.carpool('css', CSS, { acceptEncoding: 'gzip;q=0, br' })).toContain(`href="${url}"`)
    expect(convoy.carpool('css', CSS)).toContain(`href="${url}"`)
  })

  it('adds integrity to member and bundle tags when asked', async () => {
    const { manifestFile, manifest, root } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, carpool: { integrity: true } })
    expect(convoy.carpool('js', JS)).toContain(`integrity="${manifest.files['js/a.js']!.integrity}" crossorigin="anonymous"`)
    const url = await convoy.prepareCarpool('js', JS)
    const bytes = await readFile(join(root, url.slice('/static/'.length)))
    expect(convoy.carpool('js', JS)).toContain(`<script src="${url}" integrity="${integrity(bytes)}" crossorigin="anonymous"></script>`)
    // Another process finds the bundle and still knows its integrity.
    const other = await createConvoy({ manifest: manifestFile, carpool: { integrity: true } })
    expect(await other.prepareCarpool('js', JS)).toBe(url)
    expect(other.carpool('js', JS)).toContain(`integrity="${integrity(bytes)}"`)
  })

  it('escapes every interpolated value', async () => {
    const { manifestFile } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, combineDuringRequest: false, carpool: { startComment: '<!-- {paths} -->' } })
    const html = convoy.carpool('css', [`css/we"ird<>&'.css`, 'css/b.css'])
    expect(html.split('\n')[0]).toBe('<!-- css/we&quot;ird&lt;&gt;&amp;&#39;.css, css/b.css -->')
    expect(html).toContain('href="/static/css/we%22ird%3C%3E%26&#39;.')
  })

  it('falls back to the members with one warning naming the cause', async () => {
    const { manifestFile, served, root } = await fixture()
    const warnings: string[] = []
    // The bundle of the originals of a CSS file and a JS file is not valid CSS.
    const convoy = await createConvoy({ manifest: manifestFile, combineOriginals: true, onWarning: (message) => warnings.push(message) })
    const broken = ['css/b.css', 'js/b.js']
    convoy.carpool('css', broken)
    const error = await convoy.prepareCarpool('css', broken).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CARPOOL')
    for (let i = 0; i < 20; i++) expect(convoy.carpool('css', broken)).toContain(served['js/b.js'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('js/b.js')
    expect(warnings[0]).toContain('cannot be parsed')
    // A combineOriginals bundle of good members works, under another name than the served one.
    const url = await convoy.prepareCarpool('css', CSS)
    expect(url).not.toBe(`/static/${carpoolName('css', [served['css/x/a.css']!, served['css/b.css']!])}`)
    expect(await readFile(join(root, url.slice('/static/'.length)), 'utf8')).toContain('url(../../css/img/a.png)')
  })

  it('without a storage, renders the members and warns once', async () => {
    const { manifest } = await fixture()
    const warnings: string[] = []
    const convoy = await createConvoy({ manifest, onWarning: (message) => warnings.push(message) })
    convoy.carpool('css', CSS)
    convoy.carpool('js', JS)
    expect(warnings).toEqual([expect.stringContaining('without a storage')])
    await expect(convoy.prepareCarpool('js', JS)).rejects.toMatchObject({ code: 'ERR_CONVOY_CARPOOL' })
  })

  it('links a single member directly, and throws for an unknown member', async () => {
    const { manifestFile, served } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, carpool: { startComment: null, endComment: '' } })
    expect(convoy.carpool('js', ['js/a.js'])).toBe(`<script src="/static/${served['js/a.js']}"></script>`)
    expect(await convoy.prepareCarpool('js', ['js/a.js'])).toBe(`/static/${served['js/a.js']}`)
    expect(() => convoy.carpool('js', ['js/a.js', 'js/nope.js'])).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_MISSING_ASSET' }))
  })
})
