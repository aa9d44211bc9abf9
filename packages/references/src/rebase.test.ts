import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { findCssReferences, rebaseCssUrls, resolveReference } from './index.js'

const bundle = 'CARPOOL/css/1a2b3c4d5e6f.cmin.css'

describe('rebaseCssUrls', () => {
  it('rewrites relative url()s, @imports and the source map comment; leaves the rest byte for byte', () => {
    const css = [
      '@import "parts/b.css" screen;',
      '.a { background: url(  ../img/a.png  ) no-repeat; }',
      ".b { background: url('fonts/f.woff2?v=1#x') }",
      '.c { background: url(/static/img/root.png), url(data:image/png;base64,AAAA), url(https://cdn.example.com/x.png) }',
      '.d { filter: url(#blur); mask: url(//cdn.example.com/m.svg) }',
      '/* url(../img/comment.png) */',
      '/*# sourceMappingURL=main.css.map */',
    ].join('\n')
    expect(rebaseCssUrls(css, 'css/site/main.css', bundle)).toBe(
      [
        '@import "../../css/site/parts/b.css" screen;',
        '.a { background: url(  ../../css/img/a.png  ) no-repeat; }',
        ".b { background: url('../../css/site/fonts/f.woff2?v=1#x') }",
        '.c { background: url(/static/img/root.png), url(data:image/png;base64,AAAA), url(https://cdn.example.com/x.png) }',
        '.d { filter: url(#blur); mask: url(//cdn.example.com/m.svg) }',
        '/* url(../img/comment.png) */',
        '/*# sourceMappingURL=../../css/site/main.css.map */',
      ].join('\n'),
    )
  })

  it('keeps pointing at the same files, wherever the text moves', () => {
    const css = 'a { b: url(x.png), url(../y.png), url(./z/w.png?q#f), url(%2e%2e/p%20q.png), url(img\\/s.png) }'
    const fromPath = 'css/site/main.css'
    const expected = findCssReferences(css).map((r) => resolveReference(fromPath, r.url, { baseUrl: '/static/' }))
    for (const toPath of [bundle, 'main.css', 'css/other.css', 'css/site/deeper/still/x.css', 'a/b/c/d/e.css']) {
      const moved = rebaseCssUrls(css, fromPath, toPath)
      const actual = findCssReferences(moved).map((r) => resolveReference(toPath, r.url, { baseUrl: '/static/' }))
      expect(actual).toEqual(expected)
    }
  })

  it('keeps the original percent-encoding of the URL and encodes the directories it adds', () => {
    expect(rebaseCssUrls('a { b: url(my%20img.png) }', 'my css/a.css', 'CARPOOL/css/h.css')).toBe(
      'a { b: url(../../my%20css/my%20img.png) }',
    )
  })

  it('shortens paths when the text moves closer to the target', () => {
    expect(rebaseCssUrls('a { b: url(../../img/a.png) }', 'css/site/main.css', 'c.css')).toBe('a { b: url(img/a.png) }')
    expect(rebaseCssUrls('a { b: url(../../css/x.png) }', 'css/site/main.css', 'css/c.css')).toBe('a { b: url(x.png) }')
  })

  it('keeps a climb above the root of the tree', () => {
    expect(rebaseCssUrls('a { b: url(../x.png) }', 'a.css', bundle)).toBe('a { b: url(../../../x.png) }')
  })

  it('leaves the text untouched within one directory, except an empty path that named the old file', () => {
    const css = 'a { b: url(./x.png); c: url(../y.png); d: url(?v=1) }'
    expect(rebaseCssUrls(css, 'css/a.css', 'css/b.css')).toBe('a { b: url(./x.png); c: url(../y.png); d: url(a.css?v=1) }')
  })

  it('rebases realistic @font-face blocks', () => {
    const css = `@font-face {
  font-family: 'FontAwesome';
  src: url('../fonts/fontawesome-webfont.eot?v=4.7.0');
  src: url('../fonts/fontawesome-webfont.eot?#iefix&v=4.7.0') format('embedded-opentype'), url('../fonts/fontawesome-webfont.woff2?v=4.7.0') format('woff2');
}`
    expect(rebaseCssUrls(css, 'vendor/font-awesome/css/font-awesome.css', bundle)).toBe(`@font-face {
  font-family: 'FontAwesome';
  src: url('../../vendor/font-awesome/fonts/fontawesome-webfont.eot?v=4.7.0');
  src: url('../../vendor/font-awesome/fonts/fontawesome-webfont.eot?#iefix&v=4.7.0') format('embedded-opentype'), url('../../vendor/font-awesome/fonts/fontawesome-webfont.woff2?v=4.7.0') format('woff2');
}`)
  })

  it('throws ERR_CONVOY_STEP naming the stylesheet when it cannot be parsed', () => {
    let caught: unknown
    try {
      rebaseCssUrls('a { b: url(x.png)', 'css/broken.css', bundle)
    } catch (error) {
      caught = error
    }
    expect(isConvoyError(caught)).toBe(true)
    expect(caught).toMatchObject({ code: 'ERR_CONVOY_STEP', file: 'css/broken.css', line: 1, column: 1 })
  })
})
