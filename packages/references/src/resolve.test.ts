import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { relativeUrl, resolveReference } from './index.js'

const base = { baseUrl: '/static/' }
const from = 'css/site/main.css'

describe('resolveReference: local files', () => {
  it.each([
    ['a.png', 'css/site/a.png', ''],
    ['./img/a.png', 'css/site/img/a.png', ''],
    ['../img/a.png', 'css/img/a.png', ''],
    ['../../img/a.png', 'img/a.png', ''],
    ['./../.././img/./a.png', 'img/a.png', ''],
    ['img/../a.png', 'css/site/a.png', ''],
    ['../fonts/font.eot?#iefix', 'css/fonts/font.eot', '?#iefix'],
    ['icons.svg?v=1#home', 'css/site/icons.svg', '?v=1#home'],
    ['a.png#x?y', 'css/site/a.png', '#x?y'],
    ['my%20file.png', 'css/site/my file.png', ''],
    ['caf%C3%A9.png', 'css/site/café.png', ''],
    ['my file.png', 'css/site/my file.png', ''],
    ['100%.png', 'css/site/100%.png', ''],
    ['100%25.png', 'css/site/100%.png', ''],
    ['%2e%2e/a.png', 'css/a.png', ''],
    ['.%2E/%2e/a.png', 'css/a.png', ''],
    ['img\\a.png', 'css/site/img/a.png', ''],
    ['  a.png\t', 'css/site/a.png', ''],
    ['?v=1', 'css/site/main.css', '?v=1'],
    ['/static/img/a.png', 'img/a.png', ''],
    ['/static/img/my%20logo.png?v=2', 'img/my logo.png', '?v=2'],
    ['/static/img/../fonts/a.woff2', 'fonts/a.woff2', ''],
  ])('%s', (url, path, suffix) => {
    expect(resolveReference(from, url, base)).toEqual({ kind: 'local', path, suffix })
  })

  it('accepts a base URL without its trailing slash, or the site root', () => {
    expect(resolveReference(from, '/static/a.png', { baseUrl: '/static' })).toEqual({ kind: 'local', path: 'a.png', suffix: '' })
    expect(resolveReference(from, '/a.png', { baseUrl: '/' })).toEqual({ kind: 'local', path: 'a.png', suffix: '' })
  })

  it('treats URLs under an absolute base URL as local, and root-relative ones under its path', () => {
    const cdn = { baseUrl: 'https://cdn.example.com/assets/' }
    expect(resolveReference(from, 'https://cdn.example.com/assets/img/a.png?v=2#x', cdn)).toEqual({
      kind: 'local',
      path: 'img/a.png',
      suffix: '?v=2#x',
    })
    expect(resolveReference(from, 'HTTPS://CDN.EXAMPLE.COM/assets/img/my%20a.png', cdn)).toEqual({
      kind: 'local',
      path: 'img/my a.png',
      suffix: '',
    })
    expect(resolveReference(from, '/assets/img/a.png', cdn)).toEqual({ kind: 'local', path: 'img/a.png', suffix: '' })
    expect(resolveReference(from, '../img/a.png', cdn)).toEqual({ kind: 'local', path: 'css/img/a.png', suffix: '' })
    expect(resolveReference(from, 'https://cdn.example.com/other/a.png', cdn)).toEqual({ kind: 'skip', reason: 'outside-base' })
    expect(resolveReference(from, 'http://cdn.example.com/assets/a.png', cdn)).toEqual({ kind: 'skip', reason: 'external' })
    expect(resolveReference(from, 'https://evil.example.com/assets/a.png', cdn)).toEqual({ kind: 'skip', reason: 'external' })
  })
})

describe('resolveReference: left alone', () => {
  it.each([
    ['data:image/png;base64,iVBORw0KGgo=', 'external'],
    ['DATA:image/svg+xml,%3Csvg%3E', 'external'],
    ['http://example.com/a.png', 'external'],
    ['HTTPS://example.com/a.png', 'external'],
    ['javascript:alert(1)', 'external'],
    ['blob:https://example.com/1234', 'external'],
    ['mailto:a@example.com', 'external'],
    ['//cdn.example.com/a.png', 'protocol-relative'],
    ['\\\\cdn.example.com\\a.png', 'protocol-relative'],
    ['#frag', 'fragment'],
    ['#', 'fragment'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['/other/a.png', 'outside-base'],
    ['/staticky/a.png', 'outside-base'],
    ['/static/', 'outside-base'],
    ['/static/../a.png', 'outside-base'],
    ['/a.png', 'outside-base'],
  ])('%s', (url, reason) => {
    expect(resolveReference(from, url, base)).toEqual({ kind: 'skip', reason })
  })

  it('reports a path that climbs above the root of the tree', () => {
    expect(resolveReference(from, '../../../a.png', base)).toEqual({ kind: 'outside-root', path: '../a.png' })
    expect(resolveReference('main.css', '../../x/../a.png?v=1', base)).toEqual({ kind: 'outside-root', path: '../../a.png' })
  })

  it('rejects a base URL that is neither root-relative nor absolute', () => {
    for (const baseUrl of ['static/', '//cdn.example.com/', 'data:text/plain,x', '']) {
      let caught: unknown
      try {
        resolveReference(from, 'a.png', { baseUrl })
      } catch (error) {
        caught = error
      }
      expect(isConvoyError(caught) && caught.code === 'ERR_CONVOY_CONFIG').toBe(true)
    }
  })
})

describe('relativeUrl', () => {
  it.each([
    ['css/a.css', 'img/x.png', '../img/x.png'],
    ['css/a.css', 'css/x.png', 'x.png'],
    ['css/a.css', 'css/img/x.png', 'img/x.png'],
    ['css/site/a.css', 'css/img/x.png', '../img/x.png'],
    ['a.css', 'img/x.png', 'img/x.png'],
    ['css/deep/er/a.css', 'x.png', '../../../x.png'],
    ['css/a.css', 'css/a.css', 'a.css'],
    ['css/a.css', 'img/my file #1?.png', '../img/my%20file%20%231%3F.png'],
    ['css/a.css', 'css/100%.png', '100%25.png'],
    ['css/a.css', 'css/café.png', 'caf%C3%A9.png'],
    ['css/a.css', "css/it's (1).png", 'it%27s%20%281%29.png'],
    ['css/a.css', 'css/a:b.png', 'a%3Ab.png'],
    ['my css/a.css', 'my css/img/x.png', 'img/x.png'],
    ['a.css', 'my dir/x.png', 'my%20dir/x.png'],
    ['css/a.css', 'img/logo@2x.png', '../img/logo@2x.png'],
    ['a.css', "x!$&,;=~*-_.y+z.png", "x!$&,;=~*-_.y%2Bz.png"],
  ])('%s → %s', (fromPath, toPath, url) => {
    expect(relativeUrl(fromPath, toPath)).toBe(url)
  })

  it('round-trips through resolveReference', () => {
    const paths = ['x+y@2x!$&,;=.png', 'img/a b.png', 'css/site/é#?%.png', "fonts/it's (1).woff2", 'css/site/main.css', 'a/b/c/d.png']
    for (const fromPath of paths) {
      for (const toPath of paths) {
        expect(resolveReference(fromPath, relativeUrl(fromPath, toPath), base)).toEqual({ kind: 'local', path: toPath, suffix: '' })
      }
    }
  })

  it('rejects paths that are not logical paths', () => {
    expect(() => relativeUrl('/css/a.css', 'img/x.png')).toThrow(RangeError)
    expect(() => relativeUrl('css/a.css', '../x.png')).toThrow(/not a logical path/)
  })
})
