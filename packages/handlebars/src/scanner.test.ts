import Handlebars from 'handlebars'
import { describe, expect, it } from 'vitest'
import { createHandlebarsScanner, handlebarsScanner } from './scanner.js'

// What the scanner finds in this package's templates, and where it refuses one, is checked with the helper by the
// template table (conformance.test.ts: TEMPLATES, MALFORMED). Here: its options, and the Handlebars-only details.

describe('handlebarsScanner', () => {
  it("is named handlebars, and names the position once (not Handlebars' \" - 2:3\"), with Handlebars' error as the cause", () => {
    expect(handlebarsScanner.name).toBe('handlebars')
    expect(() => handlebarsScanner.scan('<html>\n<p>{{a b=}}</p>', 'views/page.hbs')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^@convoy\/handlebars: views\/page\.hbs:2:10: Parse error on line 2:[\s\S]*[^\d]$/) as string, cause: expect.any(Error) as Error }) as Error,
    )
  })
})

describe('createHandlebarsScanner', () => {
  it("parses with the given Handlebars' parser", () => {
    const parsed: string[] = []
    const handlebars = { parse: (input: string) => (parsed.push(input), Handlebars.parse(input)) }
    expect(createHandlebarsScanner({ handlebars }).scan('{{#carpool "css"}}a.css{{/carpool}}', 'x.hbs')).toEqual([{ kind: 'css', members: ['a.css'], line: 1 }])
    expect(parsed).toEqual(['{{#carpool "css"}}a.css{{/carpool}}'])
  })

  it('is the default scanner without options', () => {
    const template = '<head>\n{{#carpool "js"}}\n  js/one.js\n{{/carpool}}'
    expect(createHandlebarsScanner().scan(template, 'x')).toEqual(handlebarsScanner.scan(template, 'x'))
  })

  it.each([['not an object', 'x'], ['null', null], ['an object without parse()', {}]])('refuses a handlebars that is %s with ERR_CONVOY_CONFIG', (_, value) => {
    expect(() => createHandlebarsScanner({ handlebars: value as never })).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }) as Error)
  })
})
