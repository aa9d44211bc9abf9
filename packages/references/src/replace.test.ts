import { describe, expect, it } from 'vitest'
import { findCssReferences, findJsReferences, replaceReferences, type Reference } from './index.js'

/** Replaces every reference of `css` whose URL is a key of `map`. */
function rewriteCss(css: string, map: Record<string, string>): string {
  return replaceReferences(
    css,
    findCssReferences(css)
      .filter((reference) => map[reference.url] !== undefined)
      .map((reference) => ({ reference, url: map[reference.url]! })),
  )
}

describe('replaceReferences', () => {
  it('keeps quote style, whitespace, comments and everything else byte for byte', () => {
    const css = [
      '@import "base.css" screen;',
      "@import url( 'theme.css' ) layer(theme);",
      '/* url(a.png) stays */',
      '.a { background: url(  a.png  ) no-repeat /* url(a.png) */ !important }',
      ".b { background: URL( 'a.png' ), url(\"b.png\") }",
      '/*# sourceMappingURL=main.css.map */',
    ].join('\n')
    const map = {
      'base.css': 'base.111.css',
      'theme.css': 'theme.222.css',
      'a.png': 'a.333.png',
      'b.png': 'b.444.png',
      'main.css.map': 'main.css.555.map',
    }
    expect(rewriteCss(css, map)).toBe(
      [
        '@import "base.111.css" screen;',
        "@import url( 'theme.222.css' ) layer(theme);",
        '/* url(a.png) stays */',
        '.a { background: url(  a.333.png  ) no-repeat /* url(a.png) */ !important }',
        ".b { background: URL( 'a.333.png' ), url(\"b.444.png\") }",
        '/*# sourceMappingURL=main.css.555.map */',
      ].join('\n'),
    )
  })

  it('applies replacements given in any order', () => {
    const css = 'a { b: url(1.png), url(2.png), url(3.png) }'
    const references = findCssReferences(css)
    const replacements = [2, 0, 1].map((index) => ({ reference: references[index]!, url: `n${index}.png` }))
    expect(replaceReferences(css, replacements)).toBe('a { b: url(n0.png), url(n1.png), url(n2.png) }')
  })

  it('returns the source unchanged without replacements', () => {
    const css = 'a { b: url(x.png) }'
    expect(replaceReferences(css, [])).toBe(css)
  })

  it('fills an empty url()', () => {
    expect(rewriteCss('a { b: url(); c: url("") }', { '': 'x.png' })).toBe('a { b: url(x.png); c: url("x.png") }')
  })

  it('replaces the whole escaped token, not only part of it', () => {
    expect(rewriteCss('a { b: url(my\\ file.png); c: url("caf\\e9.png") }', { 'my file.png': 'f.png', 'café.png': 'c.png' })).toBe(
      'a { b: url(f.png); c: url("c.png") }',
    )
  })

  describe('escaping the new URL for where it goes', () => {
    it.each([
      ['a space', 'my file.png', 'my\\ file.png'],
      ['parentheses', 'a(1).png', 'a\\(1\\).png'],
      ['quotes', `it's "x".png`, `it\\'s\\ \\"x\\".png`],
      ['a backslash', 'a\\b.png', 'a\\\\b.png'],
      ['a tab and a newline', 'a\tb\nc.png', 'a\\\tb\\a c.png'],
    ])('in an unquoted url(): %s', (_name, url, written) => {
      const css = 'a { b: url(x.png) }'
      const out = rewriteCss(css, { 'x.png': url })
      expect(out).toBe(`a { b: url(${written}) }`)
      expect(findCssReferences(out).map((r) => r.url)).toEqual([url])
    })

    it.each([
      ['"', `say "hi".png`, `say \\"hi\\".png`],
      ["'", `it's.png`, `it\\'s.png`],
      ['"', `it's.png`, `it's.png`],
      ['"', 'a\\b\nc.png', 'a\\\\b\\a c.png'],
      ['"', 'café (1).png', 'café (1).png'],
    ] as const)('in a %s string', (quote, url, written) => {
      const css = `a { b: url(${quote}x.png${quote}) }`
      const out = rewriteCss(css, { 'x.png': url })
      expect(out).toBe(`a { b: url(${quote}${written}${quote}) }`)
      expect(findCssReferences(out).map((r) => r.url)).toEqual([url])
    })

    it('in a hex escape followed by a hex digit, keeps the terminating space', () => {
      const out = rewriteCss('a { b: url("x") }', { x: '\u0001a' })
      expect(out).toBe('a { b: url("\\1 a") }')
      expect(findCssReferences(out)[0]!.url).toBe('\u0001a')
    })

    it('in a CSS sourceMappingURL comment: whitespace and */ percent-encoded', () => {
      const css = 'a{}\n/*# sourceMappingURL=x.map */\n'
      const out = rewriteCss(css, { 'x.map': 'my map*/x.map' })
      expect(out).toBe('a{}\n/*# sourceMappingURL=my%20map%2A/x.map */\n')
      expect(findCssReferences(out)[0]!.url).toBe('my%20map%2A/x.map')
    })

    it('in JS strings and comments', () => {
      const js = "import a from './a.js'\nimport b from \"./b.js\"\nimport('./c.js')\n//# sourceMappingURL=m.js.map\n"
      const urls = [`./it's.js`, './say "hi".js', './back\\slash\n.js', './m ap.js.map']
      const references = findJsReferences(js, { modules: true })
      const out = replaceReferences(
        js,
        references.map((reference, index) => ({ reference, url: urls[index]! })),
      )
      expect(out).toBe(
        "import a from './it\\'s.js'\nimport b from \"./say \\\"hi\\\".js\"\nimport('./back\\\\slash\\n.js')\n//# sourceMappingURL=./m%20ap.js.map\n",
      )
      expect(findJsReferences(out, { modules: true }).map((r) => r.url)).toEqual([...urls.slice(0, 3), './m%20ap.js.map'])
    })
  })

  it('never turns a module specifier into a bare package name', () => {
    const js = "import a from './a.js'\nimport b from './b.js'\nimport c from './c.js'\n"
    const references = findJsReferences(js, { modules: true })
    const urls = ['lib/a.1.js', '../b.2.js', 'https://cdn.example.com/c.js']
    expect(replaceReferences(js, references.map((reference, index) => ({ reference, url: urls[index]! })))).toBe(
      "import a from './lib/a.1.js'\nimport b from '../b.2.js'\nimport c from 'https://cdn.example.com/c.js'\n",
    )
  })

  describe('misuse', () => {
    const css = 'a { b: url("x.png"), url(y.png) }'
    const [x, y] = findCssReferences(css) as [Reference, Reference]

    it('refuses overlapping or duplicate replacements', () => {
      expect(() => replaceReferences(css, [{ reference: x, url: '1' }, { reference: x, url: '2' }])).toThrow(RangeError)
      expect(() => replaceReferences(css, [{ reference: x, url: '1' }, { reference: { ...y, start: x.end - 1 }, url: '2' }])).toThrow(
        /overlap/,
      )
    })

    it('refuses a reference outside the source', () => {
      expect(() => replaceReferences('a{}', [{ reference: y, url: 'z' }])).toThrow(/outside the source/)
    })

    it('refuses a quoted reference that does not sit between its quotes in this source', () => {
      expect(() => replaceReferences(css.replace('url("x.png")', 'url(xx.png  )'), [{ reference: x, url: 'z' }])).toThrow(
        /not a quoted value of this source/,
      )
    })
  })
})
