import type { CarpoolBlock } from '@convoy/carpool'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import Handlebars from 'handlebars'
import { describe, expect, it } from 'vitest'
import { registerConvoyHelpers, type CarpoolKind } from './helpers.js'
import { createHandlebarsScanner, handlebarsScanner } from './scanner.js'

const scan = (text: string): readonly CarpoolBlock[] => handlebarsScanner.scan(text, 'views/page.hbs')

function scanError(text: string, scanner = handlebarsScanner): ConvoyError {
  try {
    scanner.scan(text, 'views/page.hbs')
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected the scan to fail')
}

/** The carpool() calls of one render through the real helper: what the scanner must agree with. */
function renderedCarpools(text: string, context: object = {}): { kind: CarpoolKind; members: string[] }[] {
  const calls: { kind: CarpoolKind; members: string[] }[] = []
  const convoy = {
    url: (path: string) => `/static/${path}`,
    carpool: (kind: CarpoolKind, paths: readonly string[]) => (calls.push({ kind, members: [...paths] }), ''),
  }
  const hb = registerConvoyHelpers(Handlebars.create(), convoy)
  hb.registerHelper('raw', (options: { fn: () => string }) => options.fn())
  hb.registerPartial('layout', '{{> @partial-block }}')
  hb.compile(text)({ items: [1], yes: true, ...context })
  return calls
}

// `false` last: what a render shows differs from the blocks: a body rendered from the context (which the scanner
// cannot know, so it skips the block), or a branch the render does not take.
const TEMPLATES: [what: string, template: string, blocks: CarpoolBlock[], rendered?: false][] = [
  [
    'comments, blank lines, single quotes and whitespace control',
    "<head>\n{{#carpool \"js\"}}\n  js/one.js\n  {{! the app }}\n  js/two.js\n{{/carpool}}\n{{~#carpool 'css'~}}\n css/sub/b.css\n{{~/carpool}}\n</head>\n",
    [{ kind: 'js', members: ['js/one.js', 'js/two.js'], line: 2 }, { kind: 'css', members: ['css/sub/b.css'], line: 7 }],
  ],
  ['a block on one line', '{{#carpool "css"}}a.css{{/carpool}}', [{ kind: 'css', members: ['a.css'], line: 1 }]],
  ['CRLF line ends', 'x\r\n{{#carpool "css"}}\r\na.css\r\n\r\nb.css\r\n{{/carpool}}\r\n', [{ kind: 'css', members: ['a.css', 'b.css'], line: 2 }]],
  [
    'indentation, tabs and a multi-line comment showing a block end',
    '{{#carpool "css"}}\n\t a.css\t\n{{!-- b.css\n   {{/carpool}} --}}\n   d.css\n{{/carpool}}',
    [{ kind: 'css', members: ['a.css', 'd.css'], line: 1 }],
  ],
  [
    'blocks inside if, each, with and a partial block',
    '{{#if yes}}\n{{#each items}}\n{{#carpool "js"}}a.js{{/carpool}}{{/each}}{{/if}}{{#with this}}\n{{#carpool "js"}}c.js{{/carpool}}{{/with}}{{#> layout}}{{#carpool "css"}}d.css{{/carpool}}{{/layout}}',
    [{ kind: 'js', members: ['a.js'], line: 3 }, { kind: 'js', members: ['c.js'], line: 4 }, { kind: 'css', members: ['d.css'], line: 4 }],
  ],
  ['a block in an {{else}} branch', '{{#if yes}}x{{else}}\n{{#carpool "css"}}b.css{{/carpool}}{{/if}}', [{ kind: 'css', members: ['b.css'], line: 2 }], false],
  ['a carpool shown inside a raw block', '{{{{raw}}}}\n{{#carpool "css"}}shown.css{{/carpool}}\n{{{{/raw}}}}\n{{#carpool "js"}}real.js{{/carpool}}', [{ kind: 'js', members: ['real.js'], line: 4 }]],
  ['a carpool inside comments', '{{! {{#carpool "css"}} }}{{!-- {{#carpool "css"}}\na.css\n{{/carpool}} --}}\n{{#carpool "js"}}b.js{{/carpool}}', [{ kind: 'js', members: ['b.js'], line: 4 }]],
  ['a carpool behind backslashes', '\\{{#carpool "css"}}a.css\\{{/carpool}}\n{{#carpool "js"}}b.js{{/carpool}}', [{ kind: 'js', members: ['b.js'], line: 2 }]],
  ['a carpool inside a string', '{{#if "{{#carpool \\"css\\"}}a.css{{/carpool}}"}}{{/if}}', []],
  ['a path named like the helper that is no call of it', '{{#this.carpool}}a.css{{/this.carpool}}{{#@root.carpool}}b.css{{/@root.carpool}}', []],
  ['a body with a mustache (skipped)', '{{#carpool "css"}}{{path}}{{/carpool}}\n{{#carpool "js"}}b.js{{/carpool}}', [{ kind: 'js', members: ['b.js'], line: 2 }], false],
  ['a body with a block (skipped)', '{{#carpool "css"}}\n{{#if x}}a.css{{/if}}\n{{/carpool}}', [], false],
  ['a body with a helper and a partial (skipped)', '{{#carpool "css"}}\n{{convoy "a.css"}}\n{{/carpool}}{{#carpool "js"}}{{> part}}{{/carpool}}{{#carpool "js"}}b.js{{/carpool}}', [{ kind: 'js', members: ['b.js'], line: 3 }], false],
  ['no carpool at all', '<p>{{carpool}} {{#if carpool}}carpool{{/if}}</p>', []],
]

describe('handlebarsScanner', () => {
  it.each(TEMPLATES)('finds the blocks of %s', (_, template, blocks) => {
    expect(scan(template)).toEqual(blocks)
  })

  it.each(TEMPLATES.filter(([, , , rendered]) => rendered !== false))(
    'agrees with what the carpool helper asks the runtime for: %s',
    (_, template, blocks) => {
      // `{{carpool}}` alone is a call of the helper too; give the context a `carpool` only where no block uses it.
      const context = template.includes('{{carpool}}') ? { carpool: true } : {}
      expect(renderedCarpools(template.replace('{{carpool}}', ''), context)).toEqual(blocks.map(({ kind, members }) => ({ kind, members })))
    },
  )

  it('is a TemplateScanner named handlebars', () => {
    expect(handlebarsScanner.name).toBe('handlebars')
    expect(typeof handlebarsScanner.scan).toBe('function')
  })
})

describe('malformed blocks', () => {
  it.each([
    ['an unknown kind', '<html>\n{{#carpool "scss"}}\na.css\n{{/carpool}}', 2, 12, '{{#carpool}} kind must be "css" or "js", not "scss"'],
    ['a kind without quotes', '{{#carpool css}}a.css{{/carpool}}', 1, 12, '{{#carpool}} kind must be "css" or "js", not css (a variable: quote the kind)'],
    ['no kind', '<html>\n\n{{#carpool}}a.css{{/carpool}}', 3, 1, '{{#carpool}} needs a kind, "css" or "js"'],
    ['two kinds', '{{#carpool "css" "js"}}a.css{{/carpool}}', 1, 1, '{{#carpool}} takes only a kind'],
    ['a hash argument', '{{#carpool "css" media="print"}}a.css{{/carpool}}', 1, 1, '{{#carpool}} takes only a kind'],
    ['block parameters', '{{#carpool "css" as |x|}}a.css{{/carpool}}', 1, 1, '{{#carpool}} takes only a kind'],
    ['an else', '{{#carpool "css"}}a.css{{else}}b.css{{/carpool}}', 1, 1, '{{#carpool}} has no {{else}}'],
    ['no paths', '<html>\n{{#carpool "css"}}\n  {{!-- nothing yet --}}\n{{/carpool}}', 2, 1, '{{#carpool "css"}} opened on line 2 lists no paths'],
    ['the end of an enclosing block first', '{{#if x}}\n{{#carpool "js"}}\na.js\n{{/if}}', 2, 4, '{{#carpool}} opened on line 2 is not closed: found {{/if}} before {{/carpool}}'],
    ['no end', '<html>\n{{#carpool "css"}}\na.css', 3, 6, "Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'"],
    ['a mustache Handlebars cannot parse', '<html>\n<p>{{a b=}}</p>', 2, 10, 'Parse error on line 2:'],
    ['a block closed by another name', '{{#each x}}\n{{/carpool}}', 1, 4, "each doesn't match carpool"],
  ])('%s: ERR_CONVOY_TEMPLATE naming file:line:col, with the message of the helper', (_, template, line, column, message) => {
    const error = scanError(template)
    expect([error.code, error.file, error.line, error.column]).toEqual(['ERR_CONVOY_TEMPLATE', 'views/page.hbs', line, column])
    expect(error.message.startsWith(`@convoy/handlebars: views/page.hbs:${line}:${column}: `)).toBe(true)
    expect(error.message).toContain(message)
    expect(error.cause).toBeInstanceOf(Error)
    // A position is named once, the ConvoyError's way (not Handlebars' " - 2:3").
    expect(error.message).not.toMatch(/ - \d+:\d+$/)
  })

  it('fails where the helper fails, with the same message', () => {
    const template = '<html>\n{{#carpool "scss"}}\na.css\n{{/carpool}}'
    const message = '{{#carpool}} kind must be "css" or "js", not "scss"'
    expect(() => renderedCarpools(template)).toThrow(`@convoy/handlebars: line 2, column 1: ${message}`)
    expect(scanError(template).message).toBe(`@convoy/handlebars: views/page.hbs:2:12: ${message}`)
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
    const template = TEMPLATES[0]![1]
    expect(createHandlebarsScanner().scan(template, 'x')).toEqual(handlebarsScanner.scan(template, 'x'))
  })

  it.each([['not an object', 'x'], ['null', null], ['an object without parse()', {}]])('refuses a handlebars that is %s with ERR_CONVOY_CONFIG', (_, value) => {
    let caught: unknown
    try {
      createHandlebarsScanner({ handlebars: value as never })
    } catch (error) {
      caught = error
    }
    expect(isConvoyError(caught) && caught.code).toBe('ERR_CONVOY_CONFIG')
  })
})
