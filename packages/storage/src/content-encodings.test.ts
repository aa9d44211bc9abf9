import { describe, expect, it } from 'vitest'
import { CONTENT_ENCODING_NAMES, CONTENT_ENCODINGS, contentEncodingOfPath, withoutEncodingExtension } from './index.js'

describe('CONTENT_ENCODINGS', () => {
  it('names gzip and br with their extensions, frozen', () => {
    expect(CONTENT_ENCODINGS).toEqual({ gzip: { extension: '.gz' }, br: { extension: '.br' } })
    expect(Object.isFrozen(CONTENT_ENCODINGS)).toBe(true)
    expect(Object.isFrozen(CONTENT_ENCODINGS.gzip)).toBe(true)
    expect(CONTENT_ENCODING_NAMES).toEqual(['gzip', 'br'])
  })
})

describe('contentEncodingOfPath', () => {
  it.each([
    ['css/a.1b2c3d4e5f6a.css.gz', 'gzip'],
    ['js/app.js.br', 'br'],
    ['archive.gz', 'gzip'],
    ['img/logo.png', undefined],
    ['js/app.js.brx', undefined],
    ['gz', undefined],
  ])('%s → %s', (path, encoding) => {
    expect(contentEncodingOfPath(path)).toBe(encoding)
  })
})

describe('withoutEncodingExtension', () => {
  it.each([
    ['css/base.css.gz', 'css/base.css'],
    ['js/app.js.br', 'js/app.js'],
    ['img/logo.png', 'img/logo.png'],
    ['', ''],
  ])('%s → %s', (path, inner) => {
    expect(withoutEncodingExtension(path)).toBe(inner)
  })
})
