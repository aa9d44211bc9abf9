import type { CarpoolKind } from '@convoy/carpool'
import { Liquid, type LiquidOptions } from 'liquidjs'
import { describe, expect, it } from 'vitest'
import { createLiquidScanner, liquidScanner } from './scanner.js'
import { addConvoyTags } from './tags.js'

// What the scanner finds in this package's templates, and where it refuses one, is checked with the tag by the
// template table (conformance.test.ts: TEMPLATES, MALFORMED). Here: its options, and the LiquidJS-only details.

/** The carpool() calls of one render through the real tag, in a Liquid instance with `options`. */
function renderedCarpools(text: string, options: LiquidOptions): { kind: CarpoolKind; members: string[] }[] {
  const calls: { kind: CarpoolKind; members: string[] }[] = []
  const convoy = { url: (path: string) => `/static/${path}`, carpool: (kind: CarpoolKind, paths: readonly string[]) => (calls.push({ kind, members: [...paths] }), '') }
  addConvoyTags(new Liquid(options), convoy).parseAndRenderSync(text, {})
  return calls
}

describe('liquidScanner', () => {
  it("is named liquid, and names the position once (without LiquidJS's own), with LiquidJS's error as the cause", () => {
    expect(liquidScanner.name).toBe('liquid')
    expect(() => liquidScanner.scan('<html>\n{% carpool scss %}\na.css\n{% endcarpool %}', 'views/page.liquid')).toThrow(
      expect.objectContaining({ message: '@convoy/liquid: views/page.liquid:2:12: {% carpool %} kind must be css or js, not "scss"', cause: expect.any(Error) as Error }) as Error,
    )
  })
})

describe('createLiquidScanner', () => {
  const delimiters = { tagDelimiterLeft: '<%', tagDelimiterRight: '%>', outputDelimiterLeft: '<$', outputDelimiterRight: '$>' }

  it('reads templates with the custom delimiters of a Liquid instance', () => {
    const template = '<% carpool css %>\na.css\n<% # b.css %>\nc.css\n<% endcarpool %>{% carpool js %}not.js{% endcarpool %}<$ x $>'
    const blocks = [{ kind: 'css', members: ['a.css', 'c.css'], line: 1 }]
    expect(createLiquidScanner({ delimiters }).scan(template, 'x.liquid')).toEqual(blocks)
    expect(renderedCarpools(template, delimiters)).toEqual([{ kind: 'css', members: ['a.css', 'c.css'] }])
    const tagsOnly = createLiquidScanner({ delimiters: { tagDelimiterLeft: '<%', tagDelimiterRight: '%>' } })
    expect(tagsOnly.scan('<%- carpool js -%>a.js<% endcarpool %><% comment %><% carpool css %>x<% endcarpool %><% endcomment %>', 'x.liquid')).toEqual([
      { kind: 'js', members: ['a.js'], line: 1 },
    ])
  })

  it('is the default scanner without options', () => {
    const template = '<head>\n{% carpool js %}\n  js/one.js\n{% endcarpool %}'
    expect(createLiquidScanner().scan(template, 'x')).toEqual(liquidScanner.scan(template, 'x'))
  })

  it.each([['not an object', 'x'], ['null', null], ['an empty delimiter', { tagDelimiterLeft: '' }], ['a delimiter that is not a string', { tagDelimiterRight: 1 }]])(
    'refuses delimiters that are %s with ERR_CONVOY_CONFIG',
    (_, value) => {
      expect(() => createLiquidScanner({ delimiters: value as never })).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }) as Error)
    },
  )
})
