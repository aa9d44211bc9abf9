import { fileURLToPath } from 'node:url'
import { runTemplateEngineSuite, type TemplateScannerCase } from '@convoy/adapter-test-suite'
import type { CarpoolBlock } from '@convoy/carpool'
import { createConvoy } from '@convoy/core'
import express from 'express'
import nunjucks from 'nunjucks'
import { addConvoyExtension } from './extension.js'
import { nunjucksScanner } from './scanner.js'

// The template table every engine runs, against the real createConvoy() (a peer, linked in this workspace, from its
// build): the tags, the Accept-Encoding rules, the scanner agreeing with the tags, the README's Express recipe, and
// `convoy collect` with the shorthand `templates: ['views/*.njk']`. Nunjucks' own syntax and errors: extension.test.ts.
const escaper = new nunjucks.Environment(null, { autoescape: true })

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

// Rendered too, with a runtime whose carpools are `<!-- carpool <kind>: <members> -->`.
const RENDERED: TemplateScannerCase[] = [
  { title: 'a block whose paths start on its line', template: '{% carpool js %}js/a.js\njs/b.js{% endcarpool %}', blocks: [{ kind: 'js', members: ['js/a.js', 'js/b.js'], line: 1 }], html: '<!-- carpool js: js/a.js js/b.js -->' },
  { title: 'a kind in double quotes', template: '{% carpool "js" %}\n js/a.js\n{% endcarpool %}', blocks: [{ kind: 'js', members: ['js/a.js'], line: 1 }], html: '<!-- carpool js: js/a.js -->' },
  {
    title: 'whitespace control around the block',
    template: '<b>\n  {%- carpool js -%}\n  a.js\n  {%- endcarpool -%}\n</b>',
    blocks: [{ kind: 'js', members: ['a.js'], line: 2 }],
    html: '<b><!-- carpool js: a.js --></b>',
  },
]

// The scanner's errors: the template, the line and column it names, and the message.
const MALFORMED: [what: string, template: string, line: number, column: number, message: string][] = [
    ['an unknown kind', '<html>\n{% carpool scss %}\na.css\n{% endcarpool %}', 2, 12, '{% carpool %} kind must be css or js, not "scss"'],
    ['no kind', '<html>\n\n{% carpool %}a.css{% endcarpool %}', 3, 4, '{% carpool %} needs a kind, css or js'],
    ['two kinds', '{% carpool css js %}a.css{% endcarpool %}', 1, 16, '{% carpool %} takes only a kind'],
    ['no end', '<html>\n{% carpool css %}\na.css\n', 2, 4, '{% carpool css %} opened on line 2 is never closed'],
    ['the end of an enclosing block first', '{% block head %}\n{% carpool js %}\na.js\n{% endblock %}', 4, 4, '{% carpool js %} opened on line 2 is not closed: found {% endblock %}'],
    ['no paths', '<html>\n{% carpool css %}\n  {# nothing yet #}\n{% endcarpool %}', 2, 4, '{% carpool css %} opened on line 2 lists no paths'],
    ['a template Nunjucks cannot read', '<html>\n{# never closed', 2, 17, 'expected end of comment, got end of file'],
]

runTemplateEngineSuite({
  name: '@convoy/nunjucks',
  extension: '.njk',
  createConvoy,
  compile: (source, convoy, options) => {
    const env = addConvoyExtension(new nunjucks.Environment(null, { autoescape: true, dev: true }), convoy, options)
    const template = new nunjucks.Template(source, env, 'page.njk', true)
    return (context) => template.render(context)
  },
  syntax: {
    url: (path) => `{% convoy "${path}" %}`,
    carpool: (kind, lines) => `{% carpool ${kind} %}\n${lines.join('\n')}\n{% endcarpool %}`,
    raw: (text) => `{% raw %}${text}{% endraw %}`,
    comment: (text) => `{# ${text} #}`,
    output: (name) => `{{ ${name} }}`,
  },
  escapeHtml: (text) => escaper.renderString('{{ text }}', { text }),
  scanner: nunjucksScanner,
  errorLine: (error) => {
    const match = /\[Line (\d+), Column \d+\]/.exec(error instanceof Error ? error.message : '')
    return match === null ? undefined : Number(match[1])
  },
  // The README's recipe: nunjucks.configure({ express }), a middleware that exposes `req`, res.render().
  serve: ({ directory, view, convoy }) => {
    const app = express()
    addConvoyExtension(nunjucks.configure(directory, { autoescape: true, express: app }), convoy)
    app.use((req, res, next) => {
      res.locals.req = req
      next()
    })
    app.get('/', (_req, res) => res.render(`${view}.njk`))
    return app
  },
  collect: { packageDirectory: fileURLToPath(new URL('..', import.meta.url)) },
  cases: {
    scanner: [...TEMPLATES.map(([title, template, blocks, compiles]) => ({ title, template, blocks, ...(compiles === false ? { renders: false as const } : {}) })), ...RENDERED],
    malformed: MALFORMED.map(([title, template, line, column, message]) => ({ title, template, line, column, message })),
  },
})
