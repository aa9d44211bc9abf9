import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createManifest, MANIFEST_FILE, serializeManifest } from '@convoy/manifest'
import { describe, expect, it } from 'vitest'
import { createConvoy } from './create-convoy.js'
import { cleanedFixtures, rejection, thrown, waitFor } from './test-fixture.js'

const fixture = cleanedFixtures()

describe('createConvoy: the manifest', () => {
  it('reads it from an object, a file, its folder, a file: URL or a Storage, with the same answers', async () => {
    const { manifest, manifestFile, root, storage, served } = await fixture()
    for (const input of [manifest, manifestFile, root, pathToFileURL(manifestFile), storage]) {
      const convoy = await createConvoy({ manifest: input })
      expect(convoy.url('css/x/a.css')).toBe(`/static/${served['css/x/a.css']}`)
      expect(convoy.integrity('js/a.js')).toBe(manifest.files['js/a.js']!.integrity)
      expect(convoy.manifest?.id).toBe(manifest.id)
    }
  })

  it('takes baseUrl from the option, else the manifest, and percent-encodes paths', async () => {
    const { manifest, served } = await fixture()
    const convoy = await createConvoy({ manifest, baseUrl: 'https://cdn.example.com/assets' })
    expect(convoy.baseUrl).toBe('https://cdn.example.com/assets/')
    expect(convoy.url('js/b.js')).toBe(`https://cdn.example.com/assets/${served['js/b.js']}`)
    expect(convoy.url(`css/we"ird<>&'.css`)).toBe(`https://cdn.example.com/assets/css/we%22ird%3C%3E%26'.${served[`css/we"ird<>&'.css`]!.split('.').slice(1).join('.')}`)
    const other = await createConvoy({ manifest: createManifest({ files: manifest.files, baseUrl: '/assets/', hash: manifest.hash }) })
    expect(other.url('js/b.js')).toBe(`/assets/${served['js/b.js']}`)
  })

  it('throws ERR_CONVOY_MISSING_ASSET naming the path and the manifest', async () => {
    const { manifestFile, storage, manifest } = await fixture()
    const fromFile = await createConvoy({ manifest: manifestFile })
    const error = thrown(() => fromFile.url('css/nope.css'))
    expect(error.code).toBe('ERR_CONVOY_MISSING_ASSET')
    expect(error.message).toContain('"css/nope.css"')
    expect(error.message).toContain(manifestFile)
    expect(thrown(() => fromFile.integrity('css/nope.css')).code).toBe('ERR_CONVOY_MISSING_ASSET')
    expect(thrown(() => fromFile.url('constructor')).code).toBe('ERR_CONVOY_MISSING_ASSET')
    const fromStorage = await createConvoy({ manifest: storage })
    expect(thrown(() => fromStorage.url('x.css')).message).toContain(`${storage.name}/${MANIFEST_FILE}`)
    const fromObject = await createConvoy({ manifest })
    expect(thrown(() => fromObject.carpool('css', ['css/b.css', 'x.css'])).message).toContain('"x.css" is not in the manifest <manifest object>')
  })

  it('fails clearly on a missing or invalid manifest, or none at all', async () => {
    const { root } = await fixture()
    const missing = await rejection(createConvoy({ manifest: join(root, 'nope.json') }))
    expect(missing.code).toBe('ERR_CONVOY_MANIFEST')
    expect(missing.message).toContain('nope.json')
    await writeFile(join(root, 'bad.json'), '{"version": 99}')
    expect((await rejection(createConvoy({ manifest: join(root, 'bad.json') }))).code).toBe('ERR_CONVOY_MANIFEST')
    expect((await rejection(createConvoy({}))).code).toBe('ERR_CONVOY_CONFIG')
    expect((await rejection(createConvoy({ manifest: new URL('https://example.com/m.json') }))).code).toBe('ERR_CONVOY_CONFIG')
  })

  it('reload() switches to the new manifest at once, and keeps the old one when the new one is broken', async () => {
    const { manifestFile, manifest, served } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile })
    const files = { ...manifest.files, 'js/a.js': { ...manifest.files['js/a.js']!, served: 'js/a.000000000000.cmin.js' } }
    await writeFile(manifestFile, serializeManifest(createManifest({ files, baseUrl: '/static/', hash: manifest.hash })))
    expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
    await convoy.reload()
    expect(convoy.url('js/a.js')).toBe('/static/js/a.000000000000.cmin.js')
    await writeFile(manifestFile, 'not json')
    expect((await rejection(convoy.reload())).code).toBe('ERR_CONVOY_MANIFEST')
    expect(convoy.url('js/a.js')).toBe('/static/js/a.000000000000.cmin.js')
  })

  it('gives an import map of the ES modules', async () => {
    const { manifest, served } = await fixture()
    const map = (await createConvoy({ manifest })).importMap()
    expect(map.imports['/static/js/a.js']).toBe(`/static/${served['js/a.js']}`)
    expect(map.integrity[`/static/${served['js/a.js']}`]).toBe(manifest.files['js/a.js']!.integrity)
    expect(Object.isFrozen(map.imports)).toBe(true)
  })
})

describe('createConvoy: gzipInTemplate', () => {
  it.each([
    ['gzip, deflate, br', true],
    ['GZIP', true],
    ['*', true],
    ['br;q=1, gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['br', false],
    ['*;q=0', false],
    ['', false],
    [undefined, false],
  ])('Accept-Encoding %j → .gz %s', async (acceptEncoding, gzip) => {
    const { manifest, served } = await fixture()
    const convoy = await createConvoy({ manifest, gzipInTemplate: true })
    const plain = `/static/${served['css/b.css']}`
    expect(convoy.url('css/b.css', { acceptEncoding })).toBe(gzip ? `${plain}.gz` : plain)
  })

  it('links the plain file when there is no .gz sibling, or when gzipInTemplate is off', async () => {
    const { manifest, served } = await fixture()
    expect(manifest.files['js/a.js']!.encodings).toBeUndefined()
    const on = await createConvoy({ manifest, gzipInTemplate: true })
    expect(on.url('js/a.js', { acceptEncoding: 'gzip' })).toBe(`/static/${served['js/a.js']}`)
    const off = await createConvoy({ manifest })
    expect(off.url('css/b.css', { acceptEncoding: 'gzip' })).toBe(`/static/${served['css/b.css']}`)
  })

  it('with conservativeMsieGzip (legacy), never links .gz for Internet Explorer 6 and older', async () => {
    const { manifest, served } = await fixture()
    const plain = `/static/${served['css/b.css']}`
    const ie6 = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)'
    const conservative = await createConvoy({ manifest, gzipInTemplate: true, conservativeMsieGzip: true })
    expect(conservative.url('css/b.css', { acceptEncoding: 'gzip', userAgent: ie6 })).toBe(plain)
    expect(conservative.url('css/b.css', { acceptEncoding: 'gzip', userAgent: 'Mozilla/5.0 Chrome/120.0' })).toBe(`${plain}.gz`)
    const legacyOff = await createConvoy({ manifest, gzipInTemplate: true })
    expect(legacyOff.url('css/b.css', { acceptEncoding: 'gzip', userAgent: ie6 })).toBe(`${plain}.gz`)
  })
})

describe('createConvoy: debug modes', () => {
  it('debug links the originals with no manifest at all', async () => {
    const convoy = await createConvoy({ debug: true })
    expect(convoy.url('css/base.css')).toBe('/static/css/base.css')
    expect(convoy.url('css/my file.css', { acceptEncoding: 'gzip' })).toBe('/static/css/my%20file.css')
    expect(convoy.integrity('css/base.css')).toBe('')
    expect(convoy.carpool('js', ['js/a.js', 'js/b.js'])).toBe(
      '<!-- carpool js: 2 files -->\n<script src="/static/js/a.js"></script>\n<script src="/static/js/b.js"></script>\n<!-- /carpool -->',
    )
    expect(convoy.importMap()).toEqual({ imports: {}, integrity: {} })
    expect(convoy.manifest).toBeUndefined()
    expect((await rejection(convoy.prepareCarpool('js', ['js/a.js', 'js/b.js']))).code).toBe('ERR_CONVOY_CARPOOL')
  })

  it('debug never reads a given manifest, which may not exist yet', async () => {
    const convoy = await createConvoy({ debug: true, manifest: '/nonexistent/convoy-manifest.json', baseUrl: '/assets' })
    expect(convoy.url('a.css')).toBe('/assets/a.css')
  })

  it('debug with duringDebug links the processed files, and carpools as members unless combineDuringDebug', async () => {
    const { manifestFile, served } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, debug: true, duringDebug: true })
    expect(convoy.url('css/b.css')).toBe(`/static/${served['css/b.css']}`)
    await convoy.prepareCarpool('js', ['js/a.js', 'js/b.js'])
    expect(convoy.carpool('js', ['js/a.js', 'js/b.js'])).toContain(`<script src="/static/${served['js/a.js']}"></script>`)
    const combining = await createConvoy({ manifest: manifestFile, debug: true, duringDebug: true, combineDuringDebug: true })
    // A new process knows nothing yet: members first, then the bundle it finds in the storage.
    expect(combining.carpool('js', ['js/a.js', 'js/b.js'])).not.toContain('/static/CARPOOL/js/')
    await waitFor(() => combining.carpool('js', ['js/a.js', 'js/b.js']).includes('/static/CARPOOL/js/'))
  })

  it('refuses combineDuringDebug without duringDebug', async () => {
    const error = await rejection(createConvoy({ debug: true, combineDuringDebug: true }))
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error.message).toContain('duringDebug')
  })
})
