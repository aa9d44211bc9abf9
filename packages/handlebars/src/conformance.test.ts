import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { runTemplateEngineSuite, type TemplateScannerCase } from '@convoy/adapter-test-suite'
import type { CarpoolBlock } from '@convoy/carpool'
import { createConvoy } from '@convoy/core'
import { isConvoyError } from '@convoy/errors'
import express from 'express'
import Handlebars from 'handlebars'
import { registerConvoyHelpers } from './helpers.js'
import { handlebarsScanner } from './scanner.js'

// The template table every engine runs, against the real createConvoy() (from its build): the helpers, the
// Accept-Encoding rules, the scanner agreeing with the helpers, the README's Express recipe, and `convoy collect`
// with `templates: [{ files, scanner: handlebarsScanner }]`. Handlebars' own syntax and errors: helpers.test.ts.
type CompileOptions = Parameters<typeof Handlebars.compile>[1]

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

// Rendered too, with a runtime whose carpools are `<!-- carpool <kind>: <members> -->`.
const RENDERED: TemplateScannerCase[] = [
  {
    title: 'standalone tags, whose lines Handlebars drops, and a {{! short comment }} in the body',
    template: '<head>\n{{#carpool "css"}}\n   css/a.css\n\t{{! the theme }}\n  css/b.css\n{{/carpool}}\n</head>',
    blocks: [{ kind: 'css', members: ['css/a.css', 'css/b.css'], line: 2 }],
    html: '<head>\n<!-- carpool css: css/a.css css/b.css --></head>',
  },
  { title: 'a block whose paths start on its line', template: '{{#carpool "js"}}js/a.js\njs/b.js{{/carpool}}', blocks: [{ kind: 'js', members: ['js/a.js', 'js/b.js'], line: 1 }], html: '<!-- carpool js: js/a.js js/b.js -->' },
  { title: 'a kind in single quotes', template: "{{#carpool 'js'}}\n js/a.js\n{{/carpool}}", blocks: [{ kind: 'js', members: ['js/a.js'], line: 1 }], html: '<!-- carpool js: js/a.js -->' },
  {
    title: 'whitespace control around the block',
    template: '<b>\n  {{~#carpool "js"~}}\n  a.js\n  {{~/carpool~}}\n</b>',
    blocks: [{ kind: 'js', members: ['a.js'], line: 2 }],
    html: '<b><!-- carpool js: a.js --></b>',
  },
  {
    title: 'indented standalone tags',
    template: '<b>\n  {{#carpool "js"}}\n  a.js\n  {{/carpool}}\n</b>',
    blocks: [{ kind: 'js', members: ['a.js'], line: 2 }],
    html: '<b>\n<!-- carpool js: a.js --></b>',
  },
  {
    title: 'a carpool block inside a raw block, and behind a backslash',
    template: '{{{{raw}}}}{{#carpool "css"}}x.css{{/carpool}}{{{{/raw}}}}|\\{{#carpool "css"}}',
    blocks: [],
    html: '{{#carpool "css"}}x.css{{/carpool}}|{{#carpool "css"}}',
  },
]

// The scanner's errors: the template, the line and column it names, and the message.
const MALFORMED: [what: string, template: string, line: number, column: number, message: string][] = [
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
]

runTemplateEngineSuite({
  name: '@convoy/handlebars',
  extension: '.hbs',
  createConvoy,
  compile: (source, convoy, options) => {
    const hbs = registerConvoyHelpers(Handlebars.create(), convoy, options)
    hbs.registerHelper('raw', (helper: { fn: () => string }) => helper.fn())
    hbs.registerPartial('layout', '{{> @partial-block }}')
    return hbs.compile(source, { srcName: 'page.hbs' } as CompileOptions)
  },
  syntax: {
    url: (path) => `{{convoy "${path}"}}`,
    carpool: (kind, lines) => `{{#carpool "${kind}"}}\n${lines.join('\n')}\n{{/carpool}}`,
    raw: (text) => `{{{{raw}}}}${text}{{{{/raw}}}}`,
    comment: (text) => `{{!-- ${text} --}}`,
    output: (name) => `{{${name}}}`,
  },
  escapeHtml: Handlebars.escapeExpression,
  scanner: handlebarsScanner,
  errorLine: (error) => (isConvoyError(error) ? error.line : undefined),
  // The README's recipe: a view engine of a few lines over Handlebars.compile, a middleware that exposes `req`.
  serve: ({ directory, view, convoy }) => {
    const app = express()
    const hbs = registerConvoyHelpers(Handlebars.create(), convoy)
    app.engine('hbs', (file: string, locals: object, callback: (error: unknown, html?: string) => void) => {
      readFile(file, 'utf8')
        .then((source) => hbs.compile(source)(locals))
        .then((html) => callback(null, html), (error: unknown) => callback(error))
    })
    app.set('views', directory)
    app.set('view engine', 'hbs')
    app.use((req, res, next) => {
      res.locals.req = req
      next()
    })
    app.get('/', (_req, res) => res.render(view))
    return app
  },
  collect: { packageDirectory: fileURLToPath(new URL('..', import.meta.url)), scanner: 'handlebarsScanner' },
  cases: {
    // Rendered with a context whose branches are taken; `{{carpool}}` alone is a call of the helper, which refuses it.
    scanner: [
      ...TEMPLATES.map(([title, template, blocks, rendered]) => ({
        title,
        template,
        blocks,
        context: { items: [1], yes: true },
        ...(rendered === false || template.includes('{{carpool}}') ? { renders: false as const } : {}),
      })),
      ...RENDERED,
    ],
    malformed: MALFORMED.map(([title, template, line, column, message]) => ({ title, template, line, column, message })),
  },
})
