import type { CarpoolBlock } from '@convoy/carpool'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import { Liquid, type LiquidOptions } from 'liquidjs'
import { describe, expect, it } from 'vitest'
import { createLiquidScanner, liquidScanner } from './scanner.js'
import { addConvoyTags, type CarpoolKind } from './tags.js'

const scan = (text: string): readonly CarpoolBlock[] => liquidScanner.scan(text, 'views/page.liquid')

function scanError(text: string, scanner = liquidScanner): ConvoyError {
  try {
    scanner.scan(text, 'views/page.liquid')
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected the scan to fail')
}

/** The carpool() calls of one render through the real tag: what the scanner must agree with. */
function renderedCarpools(text: string, options: LiquidOptions = {}): { kind: CarpoolKind; members: string[] }[] {
  const calls: { kind: CarpoolKind; members: string[] }[] = []
  const convoy = {
    url: (path: string) => `/static/${path}`,
    carpool: (kind: CarpoolKind, paths: readonly string[]) => (calls.push({ kind, members: [...paths] }), ''),
  }
  addConvoyTags(new Liquid(options), convoy).parseAndRenderSync(text, {})
  return calls
}

// `false` last: the tag refuses the template when it is parsed (a dynamic body), or LiquidJS does not know a tag of it.
const TEMPLATES: [what: string, template: string, blocks: CarpoolBlock[], parses?: false][] = [
  [
    'comments, blank lines, a quoted kind and whitespace control',
    "<head>\n{% carpool js %}\n  js/one.js\n  {% # the app %}\n  js/two.js\n{% endcarpool %}\n{%- carpool 'css' -%}\n css/sub/b.css\n{%- endcarpool %}\n</head>\n",
    [{ kind: 'js', members: ['js/one.js', 'js/two.js'], line: 2 }, { kind: 'css', members: ['css/sub/b.css'], line: 7 }],
  ],
  ['a block on one line', '{% carpool css %}a.css{% endcarpool %}', [{ kind: 'css', members: ['a.css'], line: 1 }]],
  ['a double-quoted kind and whitespace control on every side', 'x\n  {%- carpool "js" -%}\n a.js \n  {%- endcarpool -%}\n', [{ kind: 'js', members: ['a.js'], line: 2 }]],
  ['CRLF line ends', 'x\r\n{% carpool css %}\r\na.css\r\n\r\nb.css\r\n{% endcarpool %}\r\n', [{ kind: 'css', members: ['a.css', 'b.css'], line: 2 }]],
  [
    'indentation, tabs, a {% comment %} block and a multi-line inline comment',
    '{% carpool css %}\n\t a.css\t\n{% comment %}\nb.css\n{% endcarpool %}\n{% endcomment %}\n{% # c.css\n   # d.css %}\n   e.css\n{% endcarpool %}',
    [{ kind: 'css', members: ['a.css', 'e.css'], line: 1 }],
  ],
  [
    'blocks inside if, for, capture and case tags',
    "{% if true %}\n{% for i in (1..1) %}\n{% carpool js %}a.js{% endcarpool %}{% endfor %}{% endif %}{% capture x %}{% carpool css %}b.css{% endcarpool %}{% endcapture %}{% case 1 %}{% when 1 %}{% carpool js %}\nc.js{% endcarpool %}{% endcase %}",
    [{ kind: 'js', members: ['a.js'], line: 3 }, { kind: 'css', members: ['b.css'], line: 3 }, { kind: 'js', members: ['c.js'], line: 3 }],
  ],
  ['a carpool shown inside {% raw %}', '{% raw %}\n{% carpool css %}shown.css{% endcarpool %}\n{% endraw %}\n{% carpool js %}real.js{% endcarpool %}', [{ kind: 'js', members: ['real.js'], line: 4 }]],
  ['a {% raw %} that shows an unclosed carpool and a {% comment %}', '{% raw %}{% carpool css %}{% comment %}{% endraw %}{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 1 }]],
  ['a carpool inside nested comments', '{% comment %}{% comment %}{% endcomment %}{% carpool css %}a.css{% endcarpool %}{% endcomment %}\n{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 2 }]],
  ['a carpool inside an inline comment', '{% # {% carpool css %}a.css %}{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 1 }]],
  ['a carpool inside a string', "{{ '{% carpool css %}a.css{% endcarpool %}' }}{% assign s = 'carpool js' %}", []],
  ['a body with an output (skipped)', '{% carpool css %}{{ path }}{% endcarpool %}\n{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 2 }], false],
  ['a body with a tag (skipped)', '{% carpool css %}\n{% if x %}a.css{% endif %}\n{% endcarpool %}', [], false],
  ["a body with a tag LiquidJS does not know (skipped)", "{% carpool css %}\n{% convoy 'a.css' %}\n{% mytag x %}\n{% endcarpool %}{% carpool js %}b.js{% endcarpool %}", [{ kind: 'js', members: ['b.js'], line: 4 }], false],
  ["other tags of the app around the blocks", "{% cache 'head' %}{% carpool css %}a.css{% endcarpool %}{% endcache %}{% seo %}", [{ kind: 'css', members: ['a.css'], line: 1 }], false],
  ['no carpool at all', '<p>{{ carpool }} {% if carpool %}carpool{% endif %}</p>', []],
]

describe('liquidScanner', () => {
  it.each(TEMPLATES)('finds the blocks of %s', (_, template, blocks) => {
    expect(scan(template)).toEqual(blocks)
  })

  it.each(TEMPLATES.filter(([, , , parses]) => parses !== false))(
    'agrees with what the {% carpool %} tag asks the runtime for: %s',
    (_, template, blocks) => {
      expect(renderedCarpools(template)).toEqual(blocks.map(({ kind, members }) => ({ kind, members })))
    },
  )

  it('is a TemplateScanner named liquid', () => {
    expect(liquidScanner.name).toBe('liquid')
    expect(typeof liquidScanner.scan).toBe('function')
  })
})

describe('malformed blocks', () => {
  it.each([
    ['an unknown kind', '<html>\n{% carpool scss %}\na.css\n{% endcarpool %}', 2, 12, '{% carpool %} kind must be css or js, not "scss"'],
    ['no kind', '<html>\n\n{% carpool %}a.css{% endcarpool %}', 3, 1, '{% carpool %} needs a kind, css or js'],
    ['two kinds', '{% carpool css js %}a.css{% endcarpool %}', 1, 16, '{% carpool %} takes only a kind'],
    ['no end', '<html>\n{% carpool css %}\na.css\n', 2, 1, '{% carpool css %} opened on line 2 is never closed'],
    ['the end of an enclosing block first', '{% if x %}\n{% carpool js %}\na.js\n{% endif %}', 4, 1, '{% carpool js %} opened on line 2 is not closed: found {% endif %}'],
    ['no paths', '<html>\n{% carpool css %}\n  {% comment %}nothing yet{% endcomment %}\n{% endcarpool %}', 2, 1, '{% carpool css %} opened on line 2 lists no paths'],
    ['an end hidden in an unclosed comment', '{% carpool css %}a.css{% comment %}{% endcarpool %}', 1, 23, 'tag {% comment %} not closed'],
    ['an unclosed comment after the blocks', '{% carpool css %}a.css{% endcarpool %}\n{% comment %}{% carpool js %}b.js{% endcarpool %}', 2, 1, 'tag {% comment %} not closed'],
    ['an unclosed raw block', '{% raw %}{% carpool js %}b.js{% endcarpool %}', 1, 10, 'raw "{% raw %}{% carpool js %}b.js..." not closed'],
    ['a template LiquidJS cannot read', '<html>\n  {{ never closed', 2, 3, 'output "{{ never closed" not closed'],
  ])('%s: ERR_CONVOY_TEMPLATE naming file:line:col, with the message of the tag', (_, template, line, column, message) => {
    const error = scanError(template)
    expect([error.code, error.file, error.line, error.column]).toEqual(['ERR_CONVOY_TEMPLATE', 'views/page.liquid', line, column])
    expect(error.message).toContain(`@convoy/liquid: views/page.liquid:${line}:${column}: ${message}`)
    // LiquidJS's own ", file:…, line:…, col:…" is left out: the position is named once.
    expect(error.message).not.toMatch(/line:\d+, col:\d+/)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('fails where the tag fails to parse, with the same message', () => {
    const template = '<html>\n{% carpool scss %}\na.css\n{% endcarpool %}'
    expect(() => renderedCarpools(template)).toThrow('{% carpool %} kind must be css or js, not "scss", line:2, col:12')
    expect(scanError(template).message).toBe('@convoy/liquid: views/page.liquid:2:12: {% carpool %} kind must be css or js, not "scss"')
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
    const template = TEMPLATES[0]![1]
    expect(createLiquidScanner().scan(template, 'x')).toEqual(liquidScanner.scan(template, 'x'))
  })

  it.each([['not an object', 'x'], ['null', null], ['an empty delimiter', { tagDelimiterLeft: '' }], ['a delimiter that is not a string', { tagDelimiterRight: 1 }]])(
    'refuses delimiters that are %s with ERR_CONVOY_CONFIG',
    (_, value) => {
      let caught: unknown
      try {
        createLiquidScanner({ delimiters: value as never })
      } catch (error) {
        caught = error
      }
      expect(isConvoyError(caught) && caught.code).toBe('ERR_CONVOY_CONFIG')
    },
  )
})
