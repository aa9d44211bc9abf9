import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import {
  CONTENT_ENCODING_NAMES,
  CONTENT_ENCODINGS,
  DELTA_ENCODING_NAMES,
  DELTA_ENCODINGS,
  contentEncodingOfPath,
  deltaOfPath,
  deltaPath,
  encodedSiblingPath,
  withoutEncodingExtension,
  type DeltaEncoding,
} from './index.js'

describe('CONTENT_ENCODINGS', () => {
  it('names gzip, br and zstd with their extensions, frozen', () => {
    expect(CONTENT_ENCODINGS).toEqual({ gzip: { extension: '.gz' }, br: { extension: '.br' }, zstd: { extension: '.zst' } })
    expect(Object.isFrozen(CONTENT_ENCODINGS)).toBe(true)
    expect(Object.isFrozen(CONTENT_ENCODINGS.gzip)).toBe(true)
    expect(Object.isFrozen(CONTENT_ENCODINGS.zstd)).toBe(true)
    expect(CONTENT_ENCODING_NAMES).toEqual(['gzip', 'br', 'zstd'])
  })

  it('has no delta encoding among the siblings', () => {
    for (const name of DELTA_ENCODING_NAMES) expect(CONTENT_ENCODING_NAMES).not.toContain(name)
  })
})

describe('DELTA_ENCODINGS', () => {
  it('names dcb and dcz with their extensions, frozen', () => {
    expect(DELTA_ENCODINGS).toEqual({ dcb: { extension: '.dcb' }, dcz: { extension: '.dcz' } })
    expect(Object.isFrozen(DELTA_ENCODINGS)).toBe(true)
    expect(Object.isFrozen(DELTA_ENCODINGS.dcb)).toBe(true)
    expect(DELTA_ENCODING_NAMES).toEqual(['dcb', 'dcz'])
    expect(Object.isFrozen(DELTA_ENCODING_NAMES)).toBe(true)
  })
})

/** sha256('test') = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 */
const TEST_HASH = createHash('sha256').update('test').digest('base64')

describe('deltaPath', () => {
  it('appends the first 16 hex digits of the dictionary hash and the extension', () => {
    expect(TEST_HASH).toBe('n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=')
    expect(deltaPath('js/app.1a2b3c4d5e6f.cmin.js', TEST_HASH, 'dcz')).toBe('js/app.1a2b3c4d5e6f.cmin.js.9f86d081884c7d65.dcz')
    expect(deltaPath('css/base.25b23dfca187.cmin.css', TEST_HASH, 'dcb')).toBe('css/base.25b23dfca187.cmin.css.9f86d081884c7d65.dcb')
  })

  it('gives every dictionary of a file its own path', () => {
    const other = createHash('sha256').update('other').digest('base64')
    expect(deltaPath('a.js', other, 'dcb')).not.toBe(deltaPath('a.js', TEST_HASH, 'dcb'))
  })

  it.each([
    ['hex instead of base64', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['base64url', TEST_HASH.replaceAll('+', '-').replaceAll('/', '_')],
    ['no padding', TEST_HASH.slice(0, -1)],
    ['a SHA-1', createHash('sha1').update('test').digest('base64')],
    ['a SHA-512', createHash('sha512').update('test').digest('base64')],
    ['the structured-field form', `:${TEST_HASH}:`],
    ['not canonical (low bits set)', `${TEST_HASH.slice(0, 42)}h=`],
    ['empty', ''],
  ])('refuses a hash that is %s with a TypeError', (_what, hash) => {
    expect(() => deltaPath('a.js', hash, 'dcz')).toThrow(TypeError)
    expect(() => deltaPath('a.js', hash, 'dcz')).toThrow(/SHA-256 in standard base64/)
  })

  it('refuses an unknown encoding', () => {
    expect(() => deltaPath('a.js', TEST_HASH, 'br' as DeltaEncoding)).toThrow(/unknown delta encoding "br" \(known: dcb, dcz\)/)
  })
})

describe('deltaOfPath', () => {
  it.each([
    ['js/app.1a2b3c4d5e6f.cmin.js.9f86d081884c7d65.dcz', { target: 'js/app.1a2b3c4d5e6f.cmin.js', encoding: 'dcz' }],
    ['css/base.css.0123456789abcdef.dcb', { target: 'css/base.css', encoding: 'dcb' }],
    ['js/app.js.br', undefined],
    ['js/app.js.zst', undefined],
    ['js/app.js.dcz', undefined],
    ['js/app.js.9f86d081884c7d6.dcz', undefined],
    ['js/app.js.9F86D081884C7D65.dcz', undefined],
    ['js/app.js.9f86d081884c7d65.dcz.gz', undefined],
    ['js/app.js.9f86d081884c7d65.dcx', undefined],
    ['.9f86d081884c7d65.dcz', undefined],
  ])('%s → %j', (path, expected) => {
    expect(deltaOfPath(path)).toEqual(expected)
  })

  it('is the inverse of deltaPath', () => {
    for (const encoding of DELTA_ENCODING_NAMES) {
      expect(deltaOfPath(deltaPath('img/logo.svg', TEST_HASH, encoding))).toEqual({ target: 'img/logo.svg', encoding })
    }
  })

  it('is not a sibling: contentEncodingOfPath and withoutEncodingExtension leave a delta path alone', () => {
    const path = deltaPath('js/app.js', TEST_HASH, 'dcz')
    expect(contentEncodingOfPath(path)).toBeUndefined()
    expect(withoutEncodingExtension(path)).toBe(path)
  })
})

describe('contentEncodingOfPath', () => {
  it.each([
    ['css/a.1b2c3d4e5f6a.css.gz', 'gzip'],
    ['js/app.js.br', 'br'],
    ['js/app.js.zst', 'zstd'],
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
    ['js/app.js.zst', 'js/app.js'],
    ['img/logo.png', 'img/logo.png'],
    ['', ''],
  ])('%s → %s', (path, inner) => {
    expect(withoutEncodingExtension(path)).toBe(inner)
  })
})

describe('encodedSiblingPath', () => {
  it('appends the extension of every sibling encoding', () => {
    expect(CONTENT_ENCODING_NAMES.map((name) => encodedSiblingPath('js/app.js', name))).toEqual(['js/app.js.gz', 'js/app.js.br', 'js/app.js.zst'])
  })
})
