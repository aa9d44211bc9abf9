import type { CarpoolBlock } from '@convoy/carpool'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import nunjucks from 'nunjucks'
import { describe, expect, it } from 'vitest'
import { addConvoyExtension, type CarpoolKind } from './extension.js'
import { createNunjucksScanner, nunjucksScanner } from './scanner.js'

const scan = (text: string): readonly CarpoolBlock[] => nunjucksScanner.scan(text, 'views/page.njk')

function scanError(text: string, scanner = nunjucksScanner): ConvoyError {
  try {
    scanner.scan(text, 'views/page.njk')
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected the scan to fail')
}

/** The carpool() calls of one render through the real tag: what the scanner must agree with. */
function renderedCarpools(text: string, options: nunjucks.ConfigureOptions = {}): { kind: CarpoolKind; members: string[] }[] {
  const calls: { kind: CarpoolKind; members: string[] }[] = []
  const convoy = {
    url: (path: string) => `/static/${path}`,
    carpool: (kind: CarpoolKind, paths: readonly string[]) => (calls.push({ kind, members: [...paths] }), ''),
  }
  addConvoyExtension(new nunjucks.Environment(null, options), convoy).renderString(text, {})
  return calls
}

// Every template core's own tests and the regex scanner it replaces handled, and the ones a regex gets wrong.
// `false` last: the tag refuses the template when it is compiled (a dynamic body, a tag of another extension).
const TEMPLATES: [what: string, template: string, blocks: CarpoolBlock[], compiles?: false][] = [
  [
    "core's page: comments, blank lines, a quoted kind and whitespace control",
    '<head>\n{% carpool js %}\n  js/one.js\n  {# the app #}\n  js/two.js\n{% endcarpool %}\n{%- carpool "css" -%}\n css/sub/b.css\n{%- endcarpool %}\n</head>\n',
    [{ kind: 'js', members: ['js/one.js', 'js/two.js'], line: 2 }, { kind: 'css', members: ['css/sub/b.css'], line: 7 }],
  ],
  ['a block on one line', '{% carpool css %}a.css{% endcarpool %}', [{ kind: 'css', members: ['a.css'], line: 1 }]],
  ["a single-quoted kind and whitespace control on every side", "x\n  {%- carpool 'js' -%}\n a.js \n  {%- endcarpool -%}\n", [{ kind: 'js', members: ['a.js'], line: 2 }]],
  ['CRLF line ends', 'x\r\n{% carpool css %}\r\na.css\r\n\r\nb.css\r\n{% endcarpool %}\r\n', [{ kind: 'css', members: ['a.css', 'b.css'], line: 2 }]],
  ['indentation, tabs and a multi-line comment', '{% carpool css %}\n\t a.css\t\n{# b.css\n   c.css #}\n   d.css\n{% endcarpool %}', [{ kind: 'css', members: ['a.css', 'd.css'], line: 1 }]],
  ['blocks inside if, for and block tags', '{% block head %}\n{% if true %}{% for i in [1] %}\n{% carpool js %}a.js{% endcarpool %}{% endfor %}{% endif %}{% endblock %}', [{ kind: 'js', members: ['a.js'], line: 3 }]],
  ['a carpool shown inside {% raw %}', '{% raw %}\n{% carpool css %}shown.css{% endcarpool %}\n{% endraw %}\n{% carpool js %}real.js{% endcarpool %}', [{ kind: 'js', members: ['real.js'], line: 4 }]],
  ['a carpool shown inside a nested {% raw %} and {% verbatim %}', '{% raw %}{% raw %}{% endraw %}{% carpool css %}a.css{% endcarpool %}{% endraw %}{% verbatim %}{% carpool js %}b.js{% endcarpool %}{% endverbatim %}', []],
  ['a carpool inside a comment', '{# {% carpool css %}\na.css\n{% endcarpool %} #}\n{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 4 }]],
  ['a carpool inside a string', '{{ "{% carpool css %}a.css{% endcarpool %}" }}{% set s = "{% carpool js %}b.js{% endcarpool %}" %}', []],
  ['a body with an expression (skipped)', '{% carpool css %}{{ path }}{% endcarpool %}\n{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 2 }], false],
  ['a body with a tag (skipped)', '{% carpool css %}\n{% if x %}a.css{% endif %}\n{% endcarpool %}', [], false],
  ['a body with a tag Nunjucks does not know (skipped)', '{% carpool css %}\n{% convoy "a.css" %}\n{% mytag x %}\n{% endcarpool %}{% carpool js %}b.js{% endcarpool %}', [{ kind: 'js', members: ['b.js'], line: 4 }], false],
  ["other tags of the app's own extensions around the blocks", '{% cache "head" %}{% carpool css %}a.css{% endcarpool %}{% endcache %}{% convoy "x.png" %}', [{ kind: 'css', members: ['a.css'], line: 1 }], false],
  ['no carpool at all', '<p>{{ carpool }} {% if carpool %}carpool{% endif %}</p>', []],
]

describe('nunjucksScanner', () => {
  it.each(TEMPLATES)('finds the blocks of %s', (_, template, blocks) => {
    expect(scan(template)).toEqual(blocks)
  })

  it.each(TEMPLATES.filter(([, , , compiles]) => compiles !== false))(
    'agrees with what the {% carpool %} tag asks the runtime for: %s',
    (_, template, blocks) => {
      expect(renderedCarpools(template, { autoescape: true })).toEqual(blocks.map(({ kind, members }) => ({ kind, members })))
    },
  )

  it('is a TemplateScanner named nunjucks', () => {
    expect(nunjucksScanner.name).toBe('nunjucks')
    expect(typeof nunjucksScanner.scan).toBe('function')
  })
})

describe('malformed blocks', () => {
  it.each([
    ['an unknown kind', '<html>\n{% carpool scss %}\na.css\n{% endcarpool %}', 2, 12, '{% carpool %} kind must be css or js, not "scss"'],
    ['no kind', '<html>\n\n{% carpool %}a.css{% endcarpool %}', 3, 4, '{% carpool %} needs a kind, css or js'],
    ['two kinds', '{% carpool css js %}a.css{% endcarpool %}', 1, 16, '{% carpool %} takes only a kind'],
    ['no end', '<html>\n{% carpool css %}\na.css\n', 2, 4, '{% carpool css %} opened on line 2 is never closed'],
    ['the end of an enclosing block first', '{% block head %}\n{% carpool js %}\na.js\n{% endblock %}', 4, 4, '{% carpool js %} opened on line 2 is not closed: found {% endblock %}'],
    ['no paths', '<html>\n{% carpool css %}\n  {# nothing yet #}\n{% endcarpool %}', 2, 4, '{% carpool css %} opened on line 2 lists no paths'],
    ['a template Nunjucks cannot read', '<html>\n{# never closed', 2, 17, 'expected end of comment, got end of file'],
  ])('%s: ERR_CONVOY_TEMPLATE naming file:line, with the message of the tag', (_, template, line, column, message) => {
    const error = scanError(template)
    expect([error.code, error.file, error.line, error.column]).toEqual(['ERR_CONVOY_TEMPLATE', 'views/page.njk', line, column])
    expect(error.message).toContain(`@convoy/nunjucks: views/page.njk:${line}:${column}: ${message}`)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('fails where the tag fails to compile, with the same message', () => {
    const template = '<html>\n{% carpool scss %}\na.css\n{% endcarpool %}'
    expect(() => renderedCarpools(template)).toThrow(/\[Line 2, Column 12\][\s\S]*kind must be css or js, not "scss"/)
    expect(scanError(template).message).toContain('kind must be css or js, not "scss"')
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
    const template = TEMPLATES[0]![1]
    expect(createNunjucksScanner().scan(template, 'x')).toEqual(nunjucksScanner.scan(template, 'x'))
  })

  it.each([['not an object', 'x'], ['null', null], ['an empty delimiter', { blockStart: '' }], ['a delimiter that is not a string', { blockEnd: 1 }]])(
    'refuses tags that are %s with ERR_CONVOY_CONFIG',
    (_, value) => {
      let caught: unknown
      try {
        createNunjucksScanner({ tags: value as never })
      } catch (error) {
        caught = error
      }
      expect(isConvoyError(caught) && caught.code).toBe('ERR_CONVOY_CONFIG')
    },
  )
})
