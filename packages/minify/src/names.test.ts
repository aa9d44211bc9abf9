import { describe, expect, it } from 'vitest'
import { isMinifiedName, minifiedSibling } from './index.js'

describe('isMinifiedName', () => {
  it('is true for shipped minified files', () => {
    expect(isMinifiedName('jquery.min.js')).toBe(true)
    expect(isMinifiedName('vendor/a.min.css')).toBe(true)
    expect(isMinifiedName('vendor/bootstrap.bundle.min.js')).toBe(true)
    expect(isMinifiedName('vendor/jquery.min.js.map')).toBe(true)
    expect(isMinifiedName('vendor/X.MIN.JS')).toBe(true)
  })

  it('is false for everything else, including .min in a folder name', () => {
    expect(isMinifiedName('app.js')).toBe(false)
    expect(isMinifiedName('admin.js')).toBe(false)
    expect(isMinifiedName('jquery-min.js')).toBe(false)
    expect(isMinifiedName('js.min.d/app.js')).toBe(false)
    expect(isMinifiedName('lib\\x.min.d\\app.js')).toBe(false)
  })
})

describe('minifiedSibling', () => {
  it('puts .min before the last extension', () => {
    expect(minifiedSibling('foo.css')).toBe('foo.min.css')
    expect(minifiedSibling('css/foo.css')).toBe('css/foo.min.css')
    expect(minifiedSibling('js/app.bundle.js')).toBe('js/app.bundle.min.js')
    expect(minifiedSibling('dir.v2/Makefile')).toBe('dir.v2/Makefile.min')
  })

  it('returns a .min name unchanged', () => {
    expect(minifiedSibling('foo.min.css')).toBe('foo.min.css')
  })
})
