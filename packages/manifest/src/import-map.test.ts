import { describe, expect, it } from 'vitest'
import { createImportMap } from './import-map.js'
import { manifestOf } from './test-helpers.js'

describe('createImportMap', () => {
  const manifest = manifestOf({ 'js/util.mjs': 'v1', 'js/app.js': 'v1', 'css/base.css': 'v1', 'js/data.json': 'v1' })
  const app = manifest.files['js/app.js']!
  const util = manifest.files['js/util.mjs']!

  it('maps unfingerprinted module URLs to served ones under the manifest base URL, with integrity', () => {
    const map = createImportMap(manifest)
    expect(map).toEqual({
      imports: { '/static/js/app.js': `/static/${app.served}`, '/static/js/util.mjs': `/static/${util.served}` },
      integrity: { [`/static/${app.served}`]: app.integrity, [`/static/${util.served}`]: util.integrity },
    })
    expect(Object.keys(map.imports)).toEqual(['/static/js/app.js', '/static/js/util.mjs'])
    expect(app.served).toMatch(/^js\/app\.[0-9a-f]{12}\.cmin\.js$/)
  })

  it('uses a given base URL, adding the missing slash', () => {
    const map = createImportMap(manifest, { baseUrl: 'https://cdn.example.com/assets' })
    expect(map.imports['https://cdn.example.com/assets/js/app.js']).toBe(`https://cdn.example.com/assets/${app.served}`)
  })

  it('includes what the include option selects', () => {
    const map = createImportMap(manifest, { include: (path) => path.endsWith('.json') })
    expect(Object.keys(map.imports)).toEqual(['/static/js/data.json'])
    expect(createImportMap(manifest, { include: () => false })).toEqual({ imports: {}, integrity: {} })
  })
})
