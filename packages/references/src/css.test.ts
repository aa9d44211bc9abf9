import { describe, expect, it } from 'vitest'
import { findCssReferences, type Reference } from './index.js'
import { catchError } from './test-helpers.js'

/** The references of `css`, each with the exact source text it would replace. */
function find(css: string): Array<Pick<Reference, 'type' | 'url' | 'quote'> & { raw: string }> {
  return findCssReferences(css).map(({ type, url, quote, start, end }) => ({ type, url, quote, raw: css.slice(start, end) }))
}

function urlsOf(css: string): string[] {
  return findCssReferences(css).map((reference) => reference.url)
}

describe('findCssReferences: url() forms', () => {
  it.each([
    ['url(img/a.png)', 'img/a.png', 'img/a.png', ''],
    ["url('img/a.png')", 'img/a.png', 'img/a.png', "'"],
    ['url("img/a.png")', 'img/a.png', 'img/a.png', '"'],
    ['url(   img/a.png\t )', 'img/a.png', 'img/a.png', ''],
    ['url(  "img/a.png"  )', 'img/a.png', 'img/a.png', '"'],
    ['URL(img/a.png)', 'img/a.png', 'img/a.png', ''],
    ["Url( 'img/a.png' )", 'img/a.png', 'img/a.png', "'"],
    ['url(my\\ file\\(1\\).png)', 'my file(1).png', 'my\\ file\\(1\\).png', ''],
    ['url(\\69 mg/a.png)', 'img/a.png', '\\69 mg/a.png', ''],
    ['url(img/\\41 )', 'img/A', 'img/\\41 ', ''],
    ['URL(../img/a.png?v=1#x)', '../img/a.png?v=1#x', '../img/a.png?v=1#x', ''],
    ['url(caf\\e9.png)', 'café.png', 'caf\\e9.png', ''],
    ['url("it\\"s.png")', 'it"s.png', 'it\\"s.png', '"'],
    ["url('it\\'s.png')", "it's.png", "it\\'s.png", "'"],
    ['url("caf\\0000e9 .png")', 'café.png', 'caf\\0000e9 .png', '"'],
    ['url("img/\\\na.png")', 'img/a.png', 'img/\\\na.png', '"'],
    ['url("a b.png")', 'a b.png', 'a b.png', '"'],
    ['u\\72l(a.png)', 'a.png', 'a.png', ''],
    ['url(data:image/svg+xml;charset=utf8,%3Csvg%3E)', 'data:image/svg+xml;charset=utf8,%3Csvg%3E', 'data:image/svg+xml;charset=utf8,%3Csvg%3E', ''],
  ])('%s', (value, url, raw, quote) => {
    expect(find(`a { background: ${value} no-repeat }`)).toEqual([{ type: 'url', url, raw, quote }])
  })

  it('reports an empty url() and url("") with an empty URL, so callers see and skip them', () => {
    const css = 'a { b: url(); c: url(""); d: url( ) }'
    const references = findCssReferences(css)
    expect(references.map((r) => [r.url, r.quote])).toEqual([['', ''], ['', '"'], ['', '']])
    expect(references.map((r) => [css.slice(r.start - 5, r.start), r.end - r.start, css.slice(r.end, r.end + 2)])).toEqual([
      [' url(', 0, ');'],
      ['url("', 0, '")'],
      ['url( ', 0, ') '],
    ])
  })

  it('finds every url of one declaration, as in an @font-face src list', () => {
    const css = `@font-face {
  src: url(a.eot?#iefix) format('embedded-opentype'), url(a.woff2) format('woff2'),url("a.woff")format("woff");
}`
    expect(find(css)).toEqual([
      { type: 'url', url: 'a.eot?#iefix', raw: 'a.eot?#iefix', quote: '' },
      { type: 'url', url: 'a.woff2', raw: 'a.woff2', quote: '' },
      { type: 'url', url: 'a.woff', raw: 'a.woff', quote: '"' },
    ])
  })

  it('finds urls nested in other functions', () => {
    expect(urlsOf('a { b: var(--x, url(z.png)); c: cross-fade(url(a.png) 20%, url(b.png)); d: linear-gradient(red, blue), url(c.png) }')).toEqual([
      'z.png',
      'a.png',
      'b.png',
      'c.png',
    ])
  })

  it('finds plain strings and url()s in image-set() and -webkit-image-set(), not the type() string', () => {
    const css = `a {
  background-image: image-set("a.png" 1x, url(b.png) 2x, 'c.avif' type("image/avif"));
  background-image: -webkit-image-set(url(d.png) 1x, "e.png" 2x);
  background-image: IMAGE-SET("f.png" 1x);
}`
    expect(find(css).map((r) => [r.url, r.quote])).toEqual([
      ['a.png', '"'],
      ['b.png', ''],
      ['c.avif', "'"],
      ['d.png', ''],
      ['e.png', '"'],
      ['f.png', '"'],
    ])
  })

  it('finds urls in custom properties, also after a comment', () => {
    expect(urlsOf(':root { --x: url(a.png); --y:/*k*/url(b.png); --z: {a: url(c.png)} }')).toEqual(['a.png', 'b.png', 'c.png'])
  })

  it('finds urls after IE hacks, before !important and between comments', () => {
    const css = 'a { *background: url(a.png); _background: url(b.png); c: /* x */ url(c.png) /* y */ !important; d: url(d.png)!important }'
    expect(find(css).map((r) => [r.url, r.raw])).toEqual([
      ['a.png', 'a.png'],
      ['b.png', 'b.png'],
      ['c.png', 'c.png'],
      ['d.png', 'd.png'],
    ])
  })

  it('finds urls in nested rules and in at-rule blocks', () => {
    expect(urlsOf('@media print { a { b: url(a.png) } } @supports (display: grid) { .x { & .y { c: url(b.png) } } } @page { background: url(c.png) }')).toEqual([
      'a.png',
      'b.png',
      'c.png',
    ])
  })

  it('gives offsets, lines and columns of the url itself', () => {
    const css = 'a {\n  color: red;\n  background: url( "img/a.png" );\n}\n'
    const [reference] = findCssReferences(css)
    expect(reference).toEqual({ type: 'url', url: 'img/a.png', start: 38, end: 47, line: 3, column: 21, quote: '"' })
    expect(css.slice(reference!.start, reference!.end)).toBe('img/a.png')
  })

  it('counts lines with CRLF and keeps offsets after a byte-order mark', () => {
    const css = '\uFEFFa {\r\n  b: url(x.png);\r\n}\r\n@import "y.css";'
    const references = findCssReferences(css)
    expect(references.map((r) => [css.slice(r.start, r.end), r.line, r.column])).toEqual([
      ['x.png', 2, 10],
      ['y.css', 4, 10],
    ])
  })
})

describe('findCssReferences: @import', () => {
  it.each([
    ['@import "x.css";', 'x.css', '"'],
    ["@import 'x.css' screen and (min-width: 10px);", 'x.css', "'"],
    ['@import url(x.css) print;', 'x.css', ''],
    ['@import url("x.css") layer(base) supports(display: grid);', 'x.css', '"'],
    ["@import URL( 'x.css' ) layer;", 'x.css', "'"],
    ['@IMPORT "x.css";', 'x.css', '"'],
    ['@import URL(../css/x.css) print;', '../css/x.css', ''],
    ['@import/*c*/"x.css"/*d*/;', 'x.css', '"'],
    ['@import "x\\2e css"', 'x.css', '"'],
  ])('%s', (css, url, quote) => {
    const references = find(css)
    expect(references).toHaveLength(1)
    expect(references[0]).toMatchObject({ type: 'import', url, quote })
  })

  it('does not take a url() from the supports() condition or the media query', () => {
    expect(urlsOf('@import url(a.css) supports(background: url(no.png)) screen;')).toEqual(['a.css'])
    expect(urlsOf('@import "a.css" url(no.png);')).toEqual(['a.css'])
  })
})

describe('findCssReferences: sourceMappingURL', () => {
  it.each([
    ['/*# sourceMappingURL=main.css.map */', 'main.css.map'],
    ['/*@ sourceMappingURL=main.css.map */', 'main.css.map'],
    ['/*# sourceMappingURL=main.css.map*/', 'main.css.map'],
    ['/*#sourceMappingURL=../maps/main.css.map   */', '../maps/main.css.map'],
  ])('%s', (comment, url) => {
    const css = `a { b: c }\n${comment}\n`
    const references = findCssReferences(css)
    expect(references).toHaveLength(1)
    expect(references[0]).toMatchObject({ type: 'sourcemap', url, quote: '', line: 2 })
    expect(css.slice(references[0]!.start, references[0]!.end)).toBe(url)
  })

  it('never reads or decodes the map: a broken inline map or a missing map file is just a reference', () => {
    const inline = 'data:application/json;base64,bm90IGEgc291cmNlIG1hcA=='
    expect(findCssReferences(`a{}\n/*# sourceMappingURL=${inline} */`, { file: 'css/a.css' })[0]!.url).toBe(inline)
    expect(findCssReferences('a{}\n/*# sourceMappingURL=data:application/json,{oops */')[0]!.url).toBe('data:application/json,{oops')
    expect(findCssReferences('a{}\n/*# sourceMappingURL=../../../../etc/missing.map */', { file: 'css/a.css' })).toHaveLength(1)
  })

  it('keeps only the last sourceMappingURL comment', () => {
    const css = 'a{}\n/*# sourceMappingURL=a.css.map */\nb{}\n/*# sourceMappingURL=b.css.map */\n'
    expect(find(css)).toEqual([{ type: 'sourcemap', url: 'b.css.map', raw: 'b.css.map', quote: '' }])
  })

  it('ignores comments that only mention it, and look-alikes in strings', () => {
    expect(find('/* see # sourceMappingURL=x.map */ a { content: "/*# sourceMappingURL=y.map */" }')).toEqual([])
  })
})

describe('findCssReferences: what is left alone', () => {
  it.each([
    ['inside a comment', '/* a { b: url(a.png) } @import "x.css"; */ a { c: d }'],
    ['inside a comment in a value', 'a { background: red /* url(a.png) */ }'],
    ['inside another string', 'a::before { content: "url(a.png)"; quotes: "url(\'b.png\')" }'],
    ['inside a selector', 'a[data-x="url(a.png)"], b[href^=url\\(c\\)] { color: red }'],
    ['in local() of @font-face', '@font-face { src: local("url(a.png)") }'],
    ['in @namespace', '@namespace svg url(http://www.w3.org/2000/svg);'],
    ['in an @supports condition', '@supports (background: url(a.png)) { a { b: c } }'],
    ['in @document', '@-moz-document url-prefix() { a { b: c } } @document url(http://x.test/) { a { b: c } }'],
    ['in a bad url (browsers drop it)', 'a { b: url(a b.png); c: url(a"b.png); d: url(a(b.png); e: url(a\'b); f: URL(a b/c.png) }'],
  ])('%s', (_name, css) => {
    expect(findCssReferences(css)).toEqual([])
  })
})

describe('findCssReferences: broken CSS', () => {
  it.each([
    ['an unclosed block', 'a {\n  color: red;\n', 1, 1, 'Unclosed block'],
    ['an unclosed comment', 'a { b: c }\n/* x', 2, 1, 'Unclosed comment'],
    ['an unclosed string', 'a {\n  b: "x\n}', 2, 6, 'Unclosed string'],
    ['an unclosed url(', 'a {\n  b: url(x.png\n}', 2, 9, 'Unclosed bracket'],
    ['an unknown word', 'a\n{\n  b: c;\n  d e f: g\n}', 4, 5, 'Unknown word'],
    ['a stray }', 'a { b: c } }', 1, 12, 'Unexpected }'],
  ])('throws ERR_CONVOY_STEP on %s, with file, line and column', (_name, css, line, column, reason) => {
    const error = catchError(() => findCssReferences(css, { file: 'css/broken.css' }))
    expect(error.code).toBe('ERR_CONVOY_STEP')
    expect(error).toMatchObject({ file: 'css/broken.css', line, column })
    expect(error.message).toContain(`css/broken.css:${line}:${column}`)
    expect(error.message).toContain(reason)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('names <css> when no file is given', () => {
    expect(catchError(() => findCssReferences('a {')).message).toMatch(/^@convoy\/references: cannot parse CSS at <css>:1:1/)
  })

  it('tolerates what browsers tolerate: empty declarations, stray semicolons and parentheses', () => {
    expect(urlsOf('a { ; b: url(a.png);; ; } c {} d { e: f) ; g: url(b.png) }')).toEqual(['a.png', 'b.png'])
  })
})
