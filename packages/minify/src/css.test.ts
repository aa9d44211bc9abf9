import { describe, expect, it } from 'vitest'
import { createLightningCssEngine } from './engines/lightningcss.js'
import { DEFAULT_CSS_TARGETS, minifyCss, type CssEngineName } from './index.js'
import { rejection } from './test-helpers.js'

const engines: CssEngineName[] = ['clean-css', 'lightningcss']

const stylesheet = `/*! top license */
@import url("base.3f2a9c1d4b5e.css") screen;
@import 'print.css' print;
/*! second license */
@font-face {
  font-family: Icons;
  src: url('fonts/icons.eot?#iefix') format('embedded-opentype'), url(fonts/icons.woff2) format("woff2");
}
/* an ordinary comment */
.logo {
  background: url( "../img/logo image.png" ) no-repeat;
  color: #ff0000;
}
.hero { background-image: url(data:image/png;base64,iVBORw0KGgo=), url(//cdn.example.com/x.png), url(/static/y.png); }
b { content: "/*! not a comment */" }
`

describe.each(engines)('minifyCss with %s', (engine) => {
  it('minifies and leaves every reference exactly as written', async () => {
    const { code, warnings } = await minifyCss(stylesheet, { filename: 'css/site.css', engine })
    expect(warnings).toEqual([])
    expect(code.length).toBeLessThan(stylesheet.length * 0.9)
    expect(code).not.toContain('ordinary')
    expect(code).toMatch(/\.logo\{/)
    expect(code).toMatch(/color:red/)
    for (const reference of [
      'base.3f2a9c1d4b5e.css',
      'print.css',
      'fonts/icons.eot?#iefix',
      'url(fonts/icons.woff2)',
      '"../img/logo image.png"',
      'url(data:image/png;base64,iVBORw0KGgo=)',
      'url(//cdn.example.com/x.png)',
      'url(/static/y.png)',
    ]) {
      expect(code).toContain(reference)
    }
    // @import stays an @import, before every rule.
    expect(code.indexOf('@import')).toBeLessThan(code.indexOf('@font-face'))
    expect(code.match(/@import/g)).toHaveLength(2)
    expect(code).toContain('content:"/*! not a comment */"')
  })

  it('keeps /*! */ license comments, wherever they are', async () => {
    const { code } = await minifyCss(stylesheet, { filename: 'css/site.css', engine })
    expect(code.startsWith('/*! top license */')).toBe(true)
    expect(code).toContain('/*! second license */')
    expect(code.indexOf('/*! second license */')).toBeLessThan(code.indexOf('.logo'))
  })

  it('keeps media queries readable by older browsers', async () => {
    const { code } = await minifyCss('@media (min-width: 40em) { .a { color: blue } }', { filename: 'a.css', engine })
    expect(code).toMatch(/^@media \(min-width:40em\)\{\.a\{color:(blue|#00f)\}\}$/)
  })

  it('reports a syntax error with file:line:col', async () => {
    const error = await rejection(minifyCss('a { color: red }\nb { color: blue }}\nc { color: green }', { filename: 'css/app.css', engine }))
    expect(error.code).toBe('ERR_CONVOY_STEP')
    expect(error).toMatchObject({ file: 'css/app.css', line: 2 })
    expect(error.message).toMatch(/^@convoy\/minify: css\/app\.css:2:\d+: \S/)
  })

  it('refuses a binary file named .css', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex').toString('latin1')
    const error = await rejection(minifyCss(png, { filename: 'css/oops.css', engine }))
    expect(error.code).toBe('ERR_CONVOY_STEP')
    expect(error.message).toBe('@convoy/minify: css/oops.css:2:1: not a stylesheet: control character U+001A (a binary file named .css?)')
    // 89 'PNG' CR LF, then the 0x1A that gives it away.
    expect(error).toMatchObject({ line: 2, column: 1 })
  })

  it('minifies an empty stylesheet to nothing', async () => {
    expect(await minifyCss('', { filename: 'empty.css', engine })).toEqual({ code: '', warnings: [] })
  })
})

describe('minifyCss with clean-css', () => {
  it('fails instead of dropping what it cannot parse (CSS nesting)', async () => {
    const source = '.card {\n  color: red;\n  & .title { color: blue }\n}\n.next { color: green }'
    const error = await rejection(minifyCss(source, { filename: 'css/nested.css' }))
    expect(error.code).toBe('ERR_CONVOY_STEP')
    // the earliest of clean-css' problems: where the nested rule starts
    expect(error.message).toBe("@convoy/minify: css/nested.css:3:3: clean-css: Invalid property name '& .title { color' (and 2 more problems)")
    expect(error).toMatchObject({ line: 3, column: 3 })
  })

  it('points at the exact character, 1-based', async () => {
    const error = await rejection(minifyCss('a{color:red}\n  b{color:blue}}', { filename: 'x.css' }))
    expect(error).toMatchObject({ line: 2, column: 16 })
    expect(error.message).toBe("@convoy/minify: x.css:2:16: clean-css: Unexpected '}' (and 1 more problem)")
  })

  it('merges rules only at level 2', async () => {
    const source = '.a { color: red } .b { margin: 0 } .a { padding: 0 }'
    const one = await minifyCss(source, { filename: 'a.css' })
    const two = await minifyCss(source, { filename: 'a.css', level: 2 })
    expect(one.code).toBe('.a{color:red}.b{margin:0}.a{padding:0}')
    expect(two.code.length).toBeLessThan(one.code.length)
    expect(two.code.match(/\.a\{/g)).toHaveLength(1)
  })

  it('rejects an impossible level as a configuration error', async () => {
    const error = await rejection(minifyCss('a{}', { filename: 'a.css', level: 3 as 1 }))
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
  })
})

describe('minifyCss with lightningcss', () => {
  it('keeps fallback declarations the default targets need', async () => {
    const source = '.hero { background: url(a.png); background: image-set(url(a.png) 1x, url(b.png) 2x) }'
    const { code } = await minifyCss(source, { filename: 'a.css', engine: 'lightningcss' })
    expect(code).toContain('background:url(a.png)')
    expect(code).toContain('image-set(')
  })

  it('honours explicit targets', async () => {
    const source = '@media (min-width: 40em) { .a { color: blue } }'
    const modern = { chrome: 120 << 16, safari: 17 << 16, firefox: 120 << 16 }
    const { code } = await minifyCss(source, { filename: 'a.css', engine: 'lightningcss', targets: modern })
    expect(code).toBe('@media (width>=40em){.a{color:#00f}}')
    expect(DEFAULT_CSS_TARGETS.ie).toBe(11 << 16)
  })

  it('neither modernizes old syntax nor lowers modern syntax by default', async () => {
    const source = [
      '.a { color: rgba(0, 0, 0, .5); -webkit-transition: color 1s; transition: color 1s }',
      '.b { margin-inline-start: 1rem; color: oklch(70% 0.1 200) }',
      '.c:is(.d, .e) { width: 100px; width: calc(100% - 1rem) }',
    ].join('\n')
    const { code } = await minifyCss(source, { filename: 'a.css', engine: 'lightningcss' })
    expect(code).toBe(
      '.a{color:rgba(0,0,0,.5);-webkit-transition:color 1s;transition:color 1s}' +
        '.b{color:oklch(70% .1 200);margin-inline-start:1rem}' +
        '.c:is(.d,.e){width:100px;width:calc(100% - 1rem)}',
    )
  })

  it('returns warnings for what it keeps but does not know', async () => {
    const { code, warnings } = await minifyCss('@custom-thing foo { bar: baz }\na { color: red }', {
      filename: 'css/x.css',
      engine: 'lightningcss',
    })
    expect(code).toContain('@custom-thing foo')
    expect(warnings).toEqual(['css/x.css:1:14: Unknown at rule: @custom-thing'])
  })

  it('explains how to install it when it is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'lightningcss'"), { code: 'ERR_MODULE_NOT_FOUND' })
    const engine = createLightningCssEngine(() => Promise.reject(missing))
    const error = await rejection(engine.minify('a{}', { filename: 'a.css', level: 1, targets: DEFAULT_CSS_TARGETS }))
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error.message).toBe("@convoy/minify: the 'lightningcss' CSS engine needs lightningcss: npm install -D lightningcss")
  })
})

it('rejects an unknown CSS engine as a configuration error', async () => {
  const error = await rejection(minifyCss('a{}', { filename: 'a.css', engine: 'csso' as CssEngineName }))
  expect(error.code).toBe('ERR_CONVOY_CONFIG')
  expect(error.message).toBe("@convoy/minify: unknown CSS engine 'csso': use 'clean-css' or 'lightningcss'")
})
