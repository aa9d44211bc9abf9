import { fileURLToPath } from 'node:url'
import { runTemplateEngineSuite, type TemplateScannerCase } from '@convoy/adapter-test-suite'
import type { CarpoolBlock } from '@convoy/carpool'
import { createConvoy } from '@convoy/core'
import express from 'express'
import { Liquid, LiquidError } from 'liquidjs'
import { liquidScanner } from './scanner.js'
import { addConvoyTags } from './tags.js'

// The template table every engine runs, against the real createConvoy() (from its build): the tags, the
// Accept-Encoding rules, the scanner agreeing with the tags, the README's Express recipe, and `convoy collect` with
// `templates: [{ files, scanner: liquidScanner }]`. LiquidJS's own syntax and errors: tags.test.ts.
const escaper = new Liquid({ outputEscape: 'escape' })

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

// Rendered too, with a runtime whose carpools are `<!-- carpool <kind>: <members> -->`.
const RENDERED: TemplateScannerCase[] = [
  { title: 'a block whose paths start on its line', template: '{% carpool js %}js/a.js\njs/b.js{% endcarpool %}', blocks: [{ kind: 'js', members: ['js/a.js', 'js/b.js'], line: 1 }], html: '<!-- carpool js: js/a.js js/b.js -->' },
  { title: 'a kind in single quotes', template: "{% carpool 'js' %}\n js/a.js\n{% endcarpool %}", blocks: [{ kind: 'js', members: ['js/a.js'], line: 1 }], html: '<!-- carpool js: js/a.js -->' },
  {
    title: 'whitespace control around the block',
    template: '<b>\n  {%- carpool js -%}\n  a.js\n  {%- endcarpool -%}\n</b>',
    blocks: [{ kind: 'js', members: ['a.js'], line: 2 }],
    html: '<b><!-- carpool js: a.js --></b>',
  },
  {
    title: 'a {% raw %} block showing a carpool, and an {% endcarpool %} inside a comment',
    template: '{% raw %}{% carpool css %}x.css{% endcarpool %}{% endraw %}|{% carpool css %}a.css\n{% comment %}{% endcarpool %}{% endcomment %}\nb.css{% endcarpool %}',
    blocks: [{ kind: 'css', members: ['a.css', 'b.css'], line: 1 }],
    html: '{% carpool css %}x.css{% endcarpool %}|<!-- carpool css: a.css b.css -->',
  },
]

// The scanner's errors: the template, the line and column it names, and the message.
const MALFORMED: [what: string, template: string, line: number, column: number, message: string][] = [
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
]

runTemplateEngineSuite({
  name: '@convoy/liquid',
  extension: '.liquid',
  createConvoy,
  compile: (source, convoy, options) => {
    const liquid = addConvoyTags(new Liquid({ outputEscape: 'escape' }), convoy, options)
    const template = liquid.parse(source)
    return (scope) => liquid.render(template, scope) as Promise<string>
  },
  syntax: {
    url: (path) => `{% convoy '${path}' %}`,
    carpool: (kind, lines) => `{% carpool ${kind} %}\n${lines.join('\n')}\n{% endcarpool %}`,
    raw: (text) => `{% raw %}${text}{% endraw %}`,
    comment: (text) => `{% comment %}${text}{% endcomment %}`,
    output: (name) => `{{ ${name} }}`,
  },
  escapeHtml: (text) => escaper.parseAndRenderSync('{{ text }}', { text }) as string,
  scanner: liquidScanner,
  errorLine: (error) => (LiquidError.is(error) ? error.token.getPosition()[0] : undefined),
  // The README's recipe: app.engine('liquid', liquid.express()), a middleware that exposes `req`, res.render().
  serve: ({ directory, view, convoy }) => {
    const app = express()
    app.engine('liquid', addConvoyTags(new Liquid({ root: directory, extname: '.liquid', outputEscape: 'escape' }), convoy).express())
    app.set('views', directory)
    app.set('view engine', 'liquid')
    app.use((req, res, next) => {
      res.locals.req = req
      next()
    })
    app.get('/', (_req, res) => res.render(view))
    return app
  },
  collect: { packageDirectory: fileURLToPath(new URL('..', import.meta.url)), scanner: 'liquidScanner' },
  cases: {
    scanner: [...TEMPLATES.map(([title, template, blocks, parses]) => ({ title, template, blocks, ...(parses === false ? { renders: false as const } : {}) })), ...RENDERED],
    malformed: MALFORMED.map(([title, template, line, column, message]) => ({ title, template, line, column, message })),
  },
})
