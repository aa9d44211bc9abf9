import { describe, expect, it } from 'vitest'
import { findJsReferences, type FindJsReferencesOptions, type Reference } from './index.js'
import { catchError } from './test-helpers.js'

function find(js: string, options?: FindJsReferencesOptions): Array<Pick<Reference, 'type' | 'url' | 'quote'> & { raw: string }> {
  return findJsReferences(js, options).map(({ type, url, quote, start, end }) => ({ type, url, quote, raw: js.slice(start, end) }))
}

function sourceMapOf(js: string): string | undefined {
  const references = findJsReferences(js)
  expect(references.length).toBeLessThanOrEqual(1)
  return references[0]?.url
}

describe('findJsReferences: sourceMappingURL', () => {
  it.each([
    ['a line comment at the end', 'console.log(1)\n//# sourceMappingURL=app.js.map', 'app.js.map'],
    ['followed by newlines and spaces', 'console.log(1)\n//# sourceMappingURL=app.js.map  \n\n  \n', 'app.js.map'],
    ['the old //@ form', 'console.log(1)\n//@ sourceMappingURL=app.js.map\n', 'app.js.map'],
    ['a block comment', 'console.log(1)\n/*# sourceMappingURL=app.js.map */\n', 'app.js.map'],
    ['after code on the same line', 'console.log(1);//# sourceMappingURL=app.js.map', 'app.js.map'],
    ['followed by other comments', 'f()\n//# sourceMappingURL=app.js.map\n// built by tsup\n/* end */\n', 'app.js.map'],
    ['with CRLF line ends', 'f()\r\n//# sourceMappingURL=app.js.map\r\n', 'app.js.map'],
    ['a relative path with a query', 'f()\n//# sourceMappingURL=../maps/app.js.map?v=2\n', '../maps/app.js.map?v=2'],
  ])('finds %s', (_name, js, url) => {
    const references = findJsReferences(js)
    expect(references).toHaveLength(1)
    expect(references[0]).toMatchObject({ type: 'sourcemap', url, quote: '' })
    expect(js.slice(references[0]!.start, references[0]!.end)).toBe(url)
  })

  it('takes the last of several', () => {
    expect(sourceMapOf('f()\n//# sourceMappingURL=a.js.map\n//# sourceMappingURL=b.js.map\n')).toBe('b.js.map')
  })

  it('gives the line and column of the url', () => {
    expect(findJsReferences('a()\nb()\n  //# sourceMappingURL=app.js.map\n')[0]).toMatchObject({ line: 3, column: 24 })
  })

  it.each([
    ['code after the comment', '//# sourceMappingURL=app.js.map\nconsole.log(1)\n'],
    ['a string on the last line', 'const s = "//# sourceMappingURL=evil.js.map"'],
    ['a string, then more code', 'const s = "//# sourceMappingURL=evil.js.map";\n'],
    ['a template literal ending on the look-alike line', 'const s = `\n//# sourceMappingURL=evil.js.map`'],
    ['a template literal, then a semicolon', 'export default `\n//# sourceMappingURL=evil.js.map`;\n'],
    ['a string continued over a line', 'const s = "a\\\n//# sourceMappingURL=evil.js.map"\n'],
    ['a block comment around it', '/*\n//# sourceMappingURL=evil.js.map\n*/\n'],
    ['a block comment closing on its line', 'f()\n/*\n//# sourceMappingURL=evil.js.map*/\n'],
    ['a regular expression', 'const re = /\\/\\/# sourceMappingURL=(.*)/\n'],
    ['a comment that only mentions it', 'f()\n// see # sourceMappingURL=app.js.map\n'],
    ['no comment at all', 'f()\n'],
  ])('finds nothing in %s', (_name, js) => {
    expect(findJsReferences(js)).toEqual([])
  })

  it('keeps the real comment after a look-alike in a template literal', () => {
    const js = 'const s = `\n//# sourceMappingURL=evil.js.map`\n//# sourceMappingURL=real.js.map\n'
    expect(sourceMapOf(js)).toBe('real.js.map')
  })

  it('falls back to the spec algorithm when the lexer cannot read the script at all', () => {
    // Unbalanced on purpose: without modules, a script the lexer rejects is not an error.
    expect(sourceMapOf('if (a) {\n//# sourceMappingURL=app.js.map\n')).toBe('app.js.map')
  })
})

describe('findJsReferences: ES modules', () => {
  const js = [
    "import a from './a.js'",
    'import * as b from "../lib/b.js"',
    "import { c, d as e } from '/static/c.js'",
    "import './side-effect.js'",
    "export * from './all.js'",
    "export { f } from './f.js'",
    "import data from './data.json' with { type: 'json' }",
    "const lazy = () => import('./lazy.js')",
    'const other = import( "../other.js" )',
    "import 'lodash'",
    "import x from '@scope/pkg/x.js'",
    "import fs from 'node:fs'",
    "import cdn from 'https://cdn.example.com/x.js'",
    "import proto from '//cdn.example.com/x.js'",
    "const dynamic = import('./' + name)",
    'const tpl = import(`./tpl.js`)',
    "const s = \"import './not-in-strings.js'\"",
    "// import './not-in-comments.js'",
    'const meta = import.meta.url',
    '//# sourceMappingURL=main.js.map',
  ].join('\n')

  it('finds relative and root-relative specifiers, and the source map', () => {
    expect(find(js, { modules: true })).toEqual([
      { type: 'module', url: './a.js', raw: './a.js', quote: "'" },
      { type: 'module', url: '../lib/b.js', raw: '../lib/b.js', quote: '"' },
      { type: 'module', url: '/static/c.js', raw: '/static/c.js', quote: "'" },
      { type: 'module', url: './side-effect.js', raw: './side-effect.js', quote: "'" },
      { type: 'module', url: './all.js', raw: './all.js', quote: "'" },
      { type: 'module', url: './f.js', raw: './f.js', quote: "'" },
      { type: 'module', url: './data.json', raw: './data.json', quote: "'" },
      { type: 'dynamic-import', url: './lazy.js', raw: './lazy.js', quote: "'" },
      { type: 'dynamic-import', url: '../other.js', raw: '../other.js', quote: '"' },
      { type: 'sourcemap', url: 'main.js.map', raw: 'main.js.map', quote: '' },
    ])
  })

  it('gives lines and columns', () => {
    const references = findJsReferences(js, { modules: true })
    expect(references.slice(0, 2).map((r) => [r.line, r.column])).toEqual([
      [1, 16],
      [2, 21],
    ])
  })

  it('finds only the source map without modules', () => {
    expect(find(js).map((r) => r.type)).toEqual(['sourcemap'])
  })

  it('decodes escapes in specifiers and reports the raw range', () => {
    expect(find("import './\\u0061.js'", { modules: true })).toEqual([
      { type: 'module', url: './a.js', raw: './\\u0061.js', quote: "'" },
    ])
  })

  it('finds an import right after a byte-order mark', () => {
    const source = "\uFEFFimport a from './a.js'\n"
    const [reference] = findJsReferences(source, { modules: true })
    expect(reference).toMatchObject({ url: './a.js', line: 1, column: 16 })
    expect(source.slice(reference!.start, reference!.end)).toBe('./a.js')
  })

  it('throws ERR_CONVOY_STEP with file, line and column when the lexer rejects the module', () => {
    const error = catchError(() =>
      findJsReferences("import a from './a.js'\nconst s = `unterminated\n", { modules: true, file: 'js/broken.js' }),
    )
    expect(error.code).toBe('ERR_CONVOY_STEP')
    expect(error).toMatchObject({ file: 'js/broken.js', line: 3, column: 1 })
    expect(error.message).toBe('@convoy/references: cannot parse JS at js/broken.js:3:1')
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('reports the line of an unbalanced brace', () => {
    const error = catchError(() => findJsReferences('function f() {\n  return 1\n}\n}\n', { modules: true }))
    expect(error).toMatchObject({ code: 'ERR_CONVOY_STEP', line: 4, column: 1 })
  })
})
