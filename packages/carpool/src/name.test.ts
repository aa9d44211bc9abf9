import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { carpoolName, isCarpoolKind } from './name.js'

const a = 'css/a.0123456789ab.cmin.css'
const b = 'css/b.ba9876543210.cmin.css'

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return isConvoyError(error) ? error.code : 'not a ConvoyError'
  }
  return undefined
}

describe('carpoolName', () => {
  it('is md5 (12 hex) of the format, kind and served paths, the same on every machine', () => {
    // md5('convoy-carpool/2\ncss\ncss/a.0123456789ab.cmin.css\ncss/b.ba9876543210.cmin.css'): a fixed value, so a
    // change to the naming scheme cannot go unnoticed (it would re-name every bundle of every deployed site).
    expect(carpoolName('css', [a, b])).toBe('CARPOOL/css/ddcf06bdc201.cmin.css')
    expect(carpoolName('css', [a, b])).toBe(carpoolName('css', [a, b]))
  })

  it('gives members with the same basenames in different folders different names', () => {
    const one = carpoolName('css', ['admin/site.0123456789ab.cmin.css', 'admin/theme.0123456789ab.cmin.css'])
    const two = carpoolName('css', ['shop/site.0123456789ab.cmin.css', 'shop/theme.0123456789ab.cmin.css'])
    expect(one).not.toBe(two)
  })

  it('puts the kind in the folder, the extension and the hash', () => {
    const css = carpoolName('css', ['x/a.0123456789ab.cmin.css'])
    const js = carpoolName('js', ['x/a.0123456789ab.cmin.css'])
    expect(css).toMatch(/^CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/)
    expect(js).toMatch(/^CARPOOL\/js\/[0-9a-f]{12}\.cmin\.js$/)
    expect(css.split('/')[2]!.slice(0, 12)).not.toBe(js.split('/')[2]!.slice(0, 12))
  })

  it('depends on the order of the members and on every member', () => {
    expect(carpoolName('css', [a, b])).not.toBe(carpoolName('css', [b, a]))
    expect(carpoolName('css', [a, b])).not.toBe(carpoolName('css', [a, 'css/b.000000000000.cmin.css']))
    // Joined paths cannot be confused with one path holding the separator.
    expect(codeOf(() => carpoolName('css', [`${a}\n${b}`]))).toBe('ERR_CONVOY_CARPOOL')
  })

  it('covers the source hash of members whose names are not content-addressed (combineOriginals)', () => {
    const before = carpoolName('js', [{ path: 'js/a.js', sourceHash: '1111' }, { path: 'js/b.js', sourceHash: '2222' }])
    const after = carpoolName('js', [{ path: 'js/a.js', sourceHash: '1111' }, { path: 'js/b.js', sourceHash: '3333' }])
    expect(before).not.toBe(after)
    expect(before).not.toBe(carpoolName('js', ['js/a.js', 'js/b.js']))
  })

  it('follows the hash options', () => {
    expect(carpoolName('js', [a], { length: 20 })).toMatch(/^CARPOOL\/js\/[0-9a-f]{20}\.cmin\.js$/)
    expect(carpoolName('js', [a], { algorithm: 'sha256' })).not.toBe(carpoolName('js', [a]))
  })

  it('refuses an unknown kind or no members', () => {
    expect(codeOf(() => carpoolName('html' as 'css', [a]))).toBe('ERR_CONVOY_CARPOOL')
    expect(codeOf(() => carpoolName('css', []))).toBe('ERR_CONVOY_CARPOOL')
    expect(isCarpoolKind('js')).toBe(true)
    expect(isCarpoolKind('JS')).toBe(false)
  })
})
