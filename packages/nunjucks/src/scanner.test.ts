import type { CarpoolKind } from '@convoy/carpool'
import nunjucks from 'nunjucks'
import { describe, expect, it } from 'vitest'
import { addConvoyExtension } from './extension.js'
import { createNunjucksScanner, nunjucksScanner } from './scanner.js'

// What the scanner finds in this package's templates, and where it refuses one, is checked with the tag by the
// template table (conformance.test.ts: TEMPLATES, MALFORMED). Here: its options, and the Nunjucks-only details.

/** The carpool() calls of one render through the real tag, in an environment with `options`. */
function renderedCarpools(text: string, options: nunjucks.ConfigureOptions): { kind: CarpoolKind; members: string[] }[] {
  const calls: { kind: CarpoolKind; members: string[] }[] = []
  const convoy = { url: (path: string) => `/static/${path}`, carpool: (kind: CarpoolKind, paths: readonly string[]) => (calls.push({ kind, members: [...paths] }), '') }
  addConvoyExtension(new nunjucks.Environment(null, options), convoy).renderString(text, {})
  return calls
}

describe('nunjucksScanner', () => {
  it('is named nunjucks, and names the position once, with Nunjucks\' error as the cause', () => {
    expect(nunjucksScanner.name).toBe('nunjucks')
    expect(() => nunjucksScanner.scan('<html>\n{% carpool scss %}\na.css\n{% endcarpool %}', 'views/page.njk')).toThrow(
      expect.objectContaining({ message: '@convoy/nunjucks: views/page.njk:2:12: {% carpool %} kind must be css or js, not "scss"', cause: expect.any(Error) as Error }) as Error,
    )
  })
})

describe('createNunjucksScanner', () => {
  const tags = { blockStart: '<%', blockEnd: '%>', variableStart: '<$', variableEnd: '$>', commentStart: '<#', commentEnd: '#>' }

  it('reads templates with the custom delimiters of an Environment', () => {
    const template = '<% carpool css %>\na.css\n<# b.css #>\nc.css\n<% endcarpool %>{% carpool js %}not.js{% endcarpool %}<$ x $>'
    const blocks = [{ kind: 'css', members: ['a.css', 'c.css'], line: 1 }]
    expect(createNunjucksScanner({ tags }).scan(template, 'x.njk')).toEqual(blocks)
    expect(renderedCarpools(template, { tags })).toEqual([{ kind: 'css', members: ['a.css', 'c.css'] }])
    expect(createNunjucksScanner({ tags: { blockStart: '<%', blockEnd: '%>' } }).scan('<%- carpool js -%>a.js<% endcarpool %>{# <% carpool css %>x<% endcarpool %> #}', 'x.njk')).toEqual([
      { kind: 'js', members: ['a.js'], line: 1 },
    ])
  })

  it('is the default scanner without options', () => {
    const template = '<head>\n{% carpool js %}\n  js/one.js\n{% endcarpool %}'
    expect(createNunjucksScanner().scan(template, 'x')).toEqual(nunjucksScanner.scan(template, 'x'))
  })

  it.each([['not an object', 'x'], ['null', null], ['an empty delimiter', { blockStart: '' }], ['a delimiter that is not a string', { blockEnd: 1 }]])(
    'refuses tags that are %s with ERR_CONVOY_CONFIG',
    (_, value) => {
      expect(() => createNunjucksScanner({ tags: value as never })).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }) as Error)
    },
  )
})
