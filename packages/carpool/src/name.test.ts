import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { carpoolFiles, carpoolName, carpoolRecordPath, isCarpoolKind, isCarpoolPath, parseCarpoolPath, parseCarpoolRecordPath } from './name.js'

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

describe('parseCarpoolPath / isCarpoolPath', () => {
  it('takes apart every name carpoolName makes, and its .gz and .br siblings', () => {
    for (const [kind, hashOptions] of [['css', undefined], ['js', undefined], ['css', { length: 6 }], ['js', { algorithm: 'sha256', length: 64 }]] as const) {
      const bundle = carpoolName(kind, [a, b], hashOptions)
      const hash = bundle.split('/')[2]!.split('.')[0]!
      expect(parseCarpoolPath(bundle)).toEqual({ kind, hash, bundle })
      expect(parseCarpoolPath(`${bundle}.gz`)).toEqual({ kind, hash, encoding: 'gzip', bundle })
      expect(parseCarpoolPath(`${bundle}.br`)).toEqual({ kind, hash, encoding: 'br', bundle })
      expect(isCarpoolPath(`${bundle}.br`)).toBe(true)
    }
  })

  it.each([
    ['another kind in the extension', 'CARPOOL/css/abcdef.cmin.js'],
    ['another kind in the folder', 'CARPOOL/img/abcdef.cmin.img'],
    ['a hash shorter than 6', 'CARPOOL/css/abcde.cmin.css'],
    ['a hash longer than 64', `CARPOOL/css/${'a'.repeat(65)}.cmin.css`],
    ['upper-case hex', 'CARPOOL/css/ABCDEF.cmin.css'],
    ['not hex', 'CARPOOL/css/abcdeg.cmin.css'],
    ['another sibling', 'CARPOOL/css/abcdef.cmin.css.map'],
    ['the members record', 'CARPOOL/css/abcdef.cmin.css.json'],
    ['two encodings', 'CARPOOL/css/abcdef.cmin.css.gz.gz'],
    ['a trailing slash', 'CARPOOL/css/abcdef.cmin.css/'],
    ['a subfolder', 'CARPOOL/css/sub/abcdef.cmin.css'],
    ['a lower-case folder', 'carpool/css/abcdef.cmin.css'],
    ['a leading slash', '/CARPOOL/css/abcdef.cmin.css'],
    ['a prefix', 'x/CARPOOL/css/abcdef.cmin.css'],
    ['backslashes', 'CARPOOL\\css\\abcdef.cmin.css'],
    ['an encoded slash', 'CARPOOL/css/..%2f..%2fsecret.cmin.css'],
    ['dot segments', 'CARPOOL/css/x/../../secret.cmin.css'],
    ['a NUL', 'CARPOOL/css/abcdef%00.cmin.css'],
    ['a line break', 'CARPOOL/css/abcdef.cmin.css\n'],
    ['no .cmin', 'CARPOOL/css/abcdef.css'],
    ['the empty string', ''],
  ])('refuses %s', (_, path) => {
    expect(parseCarpoolPath(path)).toBeUndefined()
    expect(isCarpoolPath(path)).toBe(false)
  })

  it('returns undefined for a value that is not a string', () => {
    expect(parseCarpoolPath(undefined as unknown as string)).toBeUndefined()
  })
})

describe('members records and all the files of a bundle', () => {
  const bundle = carpoolName('js', [a])

  it('names the record beside the bundle, and finds the bundle from it', () => {
    expect(carpoolRecordPath(bundle)).toBe(`${bundle}.json`)
    expect(parseCarpoolRecordPath(`${bundle}.json`)).toBe(bundle)
    for (const path of [bundle, `${bundle}.gz.json`, `${bundle}.gz`, 'CARPOOL/js/x.cmin.js.json', 'css/a.json']) expect(parseCarpoolRecordPath(path)).toBeUndefined()
  })

  it('lists the bundle, a sibling per encoding and the record', () => {
    expect(carpoolFiles(bundle)).toEqual([bundle, `${bundle}.gz`, `${bundle}.br`, `${bundle}.zst`, `${bundle}.json`])
    expect(carpoolFiles(bundle).every((path) => path === bundle || parseCarpoolPath(path)?.bundle === bundle || parseCarpoolRecordPath(path) === bundle)).toBe(true)
  })

  it('refuses a path that is not a bundle itself', () => {
    expect(codeOf(() => carpoolFiles(`${bundle}.gz`))).toBe('ERR_CONVOY_CARPOOL')
    expect(codeOf(() => carpoolRecordPath('css/a.css'))).toBe('ERR_CONVOY_CARPOOL')
  })
})
