import { runInNewContext } from 'node:vm'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { buildCarpool, type CarpoolMember } from './build.js'
import { carpoolName, type CarpoolKind } from './name.js'

const text = (bytes: Uint8Array): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
const css = (...members: CarpoolMember[]): string => text(buildCarpool('css', members))
const js = (...members: CarpoolMember[]): string => text(buildCarpool('js', members))

function refusal(kind: CarpoolKind, members: CarpoolMember[]): ConvoyError {
  try {
    buildCarpool(kind, members)
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected the bundle to be refused')
}

/** The URLs of `url(...)` in a stylesheet, in order. */
const urlsOf = (stylesheet: string): string[] => [...stylesheet.matchAll(/url\(\s*["']?([^"')]*)["']?\s*\)/g)].map((match) => match[1]!)

describe('buildCarpool: CSS', () => {
  it('rebases relative URLs so they still point at the same files from inside the bundle', () => {
    const member = { path: 'css/x/a.0123456789ab.cmin.css', content: 'a{background:url(../img/a.png)}b{background:url("/abs.png")}' }
    const other = { path: 'css/b.ba9876543210.cmin.css', content: 'c{background:url(img/c.png?v=1#x)}d{background:url(data:image/png;base64,AA==)}' }
    const bundlePath = carpoolName('css', [member.path, other.path])
    const bundle = css(member, other)
    const origin = 'https://example.com/static/'
    const resolved = urlsOf(bundle).map((url) => new URL(url, origin + bundlePath).href)
    const expected = [...urlsOf(member.content).map((url) => new URL(url, origin + member.path).href), ...urlsOf(other.content).map((url) => new URL(url, origin + other.path).href)]
    expect(resolved).toEqual(expected)
    expect(resolved[0]).toBe('https://example.com/static/css/img/a.png')
  })

  it('removes exactly the @charset rule and a sourceMappingURL comment, not the character after them', () => {
    // Bootstrap's minified CSS starts like this: losing the "/" of "/*!" would break its first rule.
    const bundle = css(
      { path: 'a.css', content: '@charset "UTF-8";/*! license */:root{--x:1}/*# sourceMappingURL=a.css.map */b{c:d}' },
      { path: 'b.css', content: '@charset "UTF-8" ;\ne{f:g}' },
    )
    expect(bundle).toBe('@charset "UTF-8";\n/*! license */:root{--x:1}b{c:d}\n\ne{f:g}\n')
  })

  it('keeps one @charset "UTF-8" at the very top and drops byte-order marks', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('@charset "utf-8";\na{content:"é"}')])
    const bundle = css({ path: 'a.css', content: 'b{c:d}' }, { path: 'b.css', content: bom }, { path: 'c.css', content: '@charset "UTF-8";e{f:g}' })
    expect(bundle.startsWith('@charset "UTF-8";\n')).toBe(true)
    expect(bundle.match(/@charset/gi)).toHaveLength(1)
    expect(bundle).not.toContain('\uFEFF')
    expect(bundle).toContain('a{content:"é"}')
  })

  it('refuses a member declaring another charset', () => {
    const error = refusal('css', [{ path: 'a.css', content: 'a{}' }, { path: 'latin.css', content: '@charset "ISO-8859-1";a{}' }])
    expect(error.code).toBe('ERR_CONVOY_CARPOOL')
    expect(error.message).toContain('latin.css')
    expect(error.message).toContain('ISO-8859-1')
  })

  it('keeps @import at the top of the first member, rebased', () => {
    const bundle = css({ path: 'css/site/main.css', content: '@import url(fonts.css);\na{b:c}' }, { path: 'css/other.css', content: 'd{e:f}' })
    expect(bundle).toMatch(/^@import url\(\.\.\/\.\.\/css\/site\/fonts\.css\);/)
  })

  it('refuses an @import in a later member, naming the member and the import', () => {
    const error = refusal('css', [
      { path: 'css/a.css', content: 'a{b:c}' },
      { path: 'css/b.css', content: '/* theme */\n@import "theme.css";\nd{e:f}' },
    ])
    expect(error.code).toBe('ERR_CONVOY_CARPOOL')
    expect(error.message).toContain('css/b.css:2')
    expect(error.message).toContain('@import "theme.css"')
    expect(error.file).toBe('css/b.css')
  })

  it('refuses @namespace, which would apply to every member', () => {
    const error = refusal('css', [{ path: 'svg.css', content: '@namespace svg url(http://www.w3.org/2000/svg);svg|a{b:c}' }, { path: 'b.css', content: 'a{}' }])
    expect(error.message).toContain('@namespace')
  })

  it('refuses CSS that would swallow the next member, and bytes that are not UTF-8', () => {
    expect(refusal('css', [{ path: 'open.css', content: 'a{b:c' }, { path: 'b.css', content: 'd{}' }]).message).toContain('open.css')
    expect(refusal('css', [{ path: 'bin.css', content: new Uint8Array([0x61, 0xff, 0x7b]) }]).message).toContain('not valid UTF-8')
  })

  it('drops the members\' sourceMappingURL comments but no other comment', () => {
    const bundle = css({ path: 'a.css', content: '/*! license */a{b:c}\n/*# sourceMappingURL=a.css.map */' }, { path: 'b.css', content: 'd{e:f}/*# sourceMappingURL=b.css.map */' })
    expect(bundle).not.toContain('sourceMappingURL')
    expect(bundle).toContain('/*! license */')
    expect(bundle).toBe('/*! license */a{b:c}\n\nd{e:f}\n')
  })
})

describe('buildCarpool: JS', () => {
  const run = (source: string): Record<string, unknown> => {
    const context: Record<string, unknown> = {}
    runInNewContext(source, context)
    return context
  }

  it('runs a first member without a final semicolon followed by an IIFE (the classic ASI bug)', () => {
    const members = [
      { path: 'js/a.js', content: 'var a = 1' },
      { path: 'js/b.js', content: '(function () { a = a + 1 })()' },
    ]
    // Plain concatenation calls `1(...)` and throws; the bundle runs both members.
    expect(() => run(members.map((member) => member.content).join('\n'))).toThrow('1 is not a function')
    expect(run(js(...members)).a).toBe(2)
  })

  it('never lets a final // comment swallow the separator', () => {
    const bundle = js({ path: 'a.js', content: 'var a = 1 // set a' }, { path: 'b.js', content: '[1, 2].forEach(function (n) { a += n })' })
    expect(run(bundle).a).toBe(4)
  })

  it("keeps a member's 'use strict' from making the other members strict", () => {
    const bundle = js({ path: 'strict.js', content: "'use strict'\nvar s = 1" }, { path: 'sloppy.js', content: 'undeclared = 2' })
    expect(run(bundle).undeclared).toBe(2)
  })

  it('drops sourceMappingURL comments of both forms, and nothing that only looks like one', () => {
    const bundle = js(
      { path: 'a.js', content: 'var a = 1;\n//# sourceMappingURL=a.js.map\n' },
      { path: 'b.js', content: 'var b = "//# sourceMappingURL=not-a-comment"\n/*# sourceMappingURL=b.js.map */' },
    )
    expect(bundle).not.toContain('a.js.map')
    expect(bundle).not.toContain('b.js.map')
    expect(bundle).toContain('"//# sourceMappingURL=not-a-comment"')
    expect(run(bundle)).toMatchObject({ a: 1, b: '//# sourceMappingURL=not-a-comment' })
  })

  it('drops byte-order marks and is deterministic', () => {
    const member = { path: 'a.js', content: new Uint8Array([0xef, 0xbb, 0xbf, 0x31]) }
    expect(js(member, member)).toBe(';\n1\n;\n1\n')
    expect(buildCarpool('js', [member])).toEqual(buildCarpool('js', [member]))
  })
})
