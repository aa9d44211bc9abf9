import { describe, expect, it } from 'vitest'
import { fingerprintedName, splitExtension } from './index.js'

describe('fingerprintedName', () => {
  it.each([
    ['css/base.css', 'css/base.abc123.css'],
    ['jquery.min.js', 'jquery.min.abc123.js'],
    ['main.css.map', 'main.css.abc123.map'],
    ['Makefile', 'Makefile.abc123'],
    ['dir.v2/LICENSE', 'dir.v2/LICENSE.abc123'],
    ['.htaccess', '.htaccess.abc123'],
    ['img/a b ü.png', 'img/a b ü.abc123.png'],
  ])('%s → %s', (input, expected) => {
    expect(fingerprintedName(input, 'abc123')).toBe(expected)
  })

  it('places a marker after the hash', () => {
    expect(fingerprintedName('css/base.css', 'abc123', { marker: 'cmin' })).toBe('css/base.abc123.cmin.css')
  })

  it('refuses a hash that is not a plain token', () => {
    expect(() => fingerprintedName('a.css', '../x')).toThrow(/fingerprint must be/)
  })
})

describe('splitExtension', () => {
  it('splits at the last dot of the file name only', () => {
    expect(splitExtension('a.b/c')).toEqual({ stem: 'a.b/c', extension: '' })
    expect(splitExtension('a/b.tar.gz')).toEqual({ stem: 'a/b.tar', extension: '.gz' })
  })
})
