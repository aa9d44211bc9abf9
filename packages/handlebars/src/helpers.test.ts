import { runInNewContext } from 'node:vm'
import { createFakeConvoy as createFake, type FakeConvoy } from '@convoy/adapter-test-suite'
import type { ConvoyRenderer } from '@convoy/carpool'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import Handlebars from 'handlebars'
import { describe, expect, it } from 'vitest'
import { createConvoyHelpers, registerConvoyHelpers } from './helpers.js'

// Handlebars' own side of the helpers: its expressions, subexpressions and block parameters, whitespace control and
// standalone lines, partials, precompiled templates, helper errors and positions. What every engine shares (URLs,
// carpools, Accept-Encoding, the scanner against the real runtime) is the template table of
// @convoy/adapter-test-suite, run by conformance.test.ts.

/** TEST-ONLY stand-in for the runtime, throwing the runtime's ConvoyError for an unknown path. */
const createFakeConvoy = (files?: Record<string, string>): FakeConvoy =>
  createFake(files, { missingAsset: (path) => new ConvoyError('ERR_CONVOY_MISSING_ASSET', `@convoy/core: "${path}" is not in the manifest (fake)`) })

function render(src: string, context: object = {}, convoy: ConvoyRenderer = createFakeConvoy(), options: CompileOptions = {}): string {
  return registerConvoyHelpers(Handlebars.create(), convoy).compile(src, options)(context)
}

type CompileOptions = Parameters<typeof Handlebars.compile>[1]

function renderError(src: string, context: object = {}, convoy: ConvoyRenderer = createFakeConvoy(), options: CompileOptions = {}): ConvoyError {
  try {
    render(src, context, convoy, options)
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected the template to fail')
}

describe('{{convoy}}', () => {
  it('takes the path in single quotes too', () => {
    expect(render("<link href=\"{{convoy 'css/base.css'}}\">")).toBe('<link href="/static/css/base.111.cmin.css">')
  })

  it('accepts a variable, a path, @root and a subexpression as the path', () => {
    const files = { 'css/base.css': 'css/base.111.cmin.css', 'js/app.js': 'js/app.222.cmin.js' }
    const helpers = { join: (...args: unknown[]) => args.slice(0, -1).join('') }
    expect(render('{{convoy asset}}', { asset: 'js/app.js' }, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{{convoy page.style}}', { page: { style: 'css/base.css' } }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render('{{#each items}}{{convoy @root.asset}}{{/each}}', { items: [1], asset: 'js/app.js' }, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    const hb = registerConvoyHelpers(Handlebars.create(), createFakeConvoy(files))
    hb.registerHelper(helpers)
    expect(hb.compile('{{convoy (join "css/" name ".css")}}')({ name: 'base' })).toBe('/static/css/base.111.cmin.css')
  })

  it('is left alone by {{{ }}} and noEscape (and escaped by {{ }}, like any value)', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.css?v=1&x="2"' })
    expect(render('{{{convoy "a.css"}}}', {}, convoy)).toBe('/static/a.css?v=1&x="2"')
    expect(render('{{convoy "a.css"}}', {}, convoy, { noEscape: true })).toBe('/static/a.css?v=1&x="2"')
  })

  it('gives a value to other helpers as a subexpression, and to block parameters', () => {
    expect(render('{{#with (convoy "css/base.css") as |href|}}<link href="{{href}}">{{/with}}')).toBe('<link href="/static/css/base.111.cmin.css">')
  })

  it('honours whitespace control', () => {
    expect(render('<a>\n  {{~convoy "css/base.css"~}}\n</a>')).toBe('<a>/static/css/base.111.cmin.css</a>')
  })

  it('works with precompiled templates', () => {
    const hb = registerConvoyHelpers(Handlebars.create(), createFakeConvoy())
    const spec = Handlebars.precompile('{{convoy "css/base.css"}}') as string
    // What a build step writes to a .js file and the app loads (the runtime alone is enough there).
    const template = hb.template(runInNewContext(`(${spec})`) as TemplateSpecification)
    expect(template({})).toBe('/static/css/base.111.cmin.css')
  })
})

type TemplateSpecification = Parameters<typeof Handlebars.template>[0]

describe('{{#carpool}}', () => {
  it('calls the runtime at every render and can sit inside blocks, loops and partials', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css' })
    const hb = registerConvoyHelpers(Handlebars.create(), convoy)
    hb.registerPartial('head', '{{#carpool "css"}}a.css{{/carpool}}')
    const html = hb.compile('{{#each items}}{{#if this}}{{#carpool "css"}}a.css{{/carpool}}{{/if}}{{/each}}{{> head}}')({ items: [1, 2] })
    expect(html.match(/<link /g)).toHaveLength(3)
    expect(convoy.calls).toHaveLength(3)
  })

  it('renders the text of a body that is not static, so a path may come from the render (collect cannot know it)', () => {
    const convoy = createFakeConvoy({ 'css/dark.css': 'css/dark.1.css' })
    expect(render('{{#carpool "css"}}\ncss/{{theme}}.css\n{{/carpool}}', { theme: 'dark' }, convoy)).toContain('href="/static/css/dark.1.css"')
  })

})

describe('Accept-Encoding', () => {
  const page = '{{convoy "css/base.css"}} {{#carpool "css"}}css/base.css{{/carpool}}'

  it('is read from the root context, also inside blocks that change the context and in a partial with its own', () => {
    const convoy = createFakeConvoy()
    const hb = registerConvoyHelpers(Handlebars.create(), convoy)
    hb.registerPartial('head', '{{convoy path}}')
    const html = hb.compile(`{{#each items}}${page}{{/each}}|{{> head page}}`)({ items: [{ req: 'not this one' }], page: { path: 'css/base.css' }, req: { headers: { 'accept-encoding': 'gzip' } } })
    expect(convoy.calls.map((call) => call.args.at(-1))).toEqual([{ acceptEncoding: 'gzip' }, { acceptEncoding: 'gzip' }, { acceptEncoding: 'gzip' }])
    expect(html).toContain('|/static/css/base.111.cmin.css.gz')
  })

  it('is read from @data too, and not from inherited properties', () => {
    const convoy = createFakeConvoy()
    const hb = registerConvoyHelpers(Handlebars.create(), convoy)
    hb.compile('{{convoy "css/base.css"}}')({}, { data: { acceptEncoding: 'br' } })
    hb.compile(page)(Object.create({ acceptEncoding: 'gzip' }) as object)
    expect(convoy.calls.map((call) => call.args)).toEqual([['css/base.css', { acceptEncoding: 'br' }], ['css/base.css'], ['css', ['css/base.css']]])
  })
})

describe('template errors', () => {
  it('name the helper, the line and the column, and the template when compiled with srcName', () => {
    const error = renderError('<html>\n  {{convoy}}')
    expect([error.code, error.line, error.column]).toEqual(['ERR_CONVOY_TEMPLATE', 2, 3])
    expect(error.message).toBe('@convoy/handlebars: line 2, column 3: {{convoy}} needs a logical path: {{convoy "css/base.css"}}')
    const named = renderError('<html>\n  {{convoy}}', {}, createFakeConvoy(), { srcName: 'views/page.hbs' } as CompileOptions)
    expect([named.file, named.line, named.column]).toEqual(['views/page.hbs', 2, 3])
    expect(named.message).toBe('@convoy/handlebars: views/page.hbs:2:3: {{convoy}} needs a logical path: {{convoy "css/base.css"}}')
  })

  it('reject extra arguments, options and a block for {{convoy}}', () => {
    expect(renderError('{{convoy "a.css" "b.css"}}').message).toContain('{{convoy}} takes one logical path')
    expect(renderError('{{convoy "a.css" media="print"}}').message).toContain('{{convoy}} takes one logical path')
    expect(renderError('{{#convoy "a.css"}}x{{/convoy}}').message).toContain('{{convoy}} is not a block helper')
  })

  it('reject a path that is not a non-empty string', () => {
    expect(renderError('<p>\n\n  {{convoy nothing}}').message).toBe('@convoy/handlebars: line 3, column 3: {{convoy}} needs a logical path string, got undefined')
    expect(renderError('{{convoy 42}}').message).toContain('got number 42')
    expect(renderError('{{convoy ""}}').message).toContain('got an empty string')
  })

  it('reject a carpool kind other than css or js, naming what it got', () => {
    const error = renderError('<html>\n{{#carpool "scss"}}\na.css\n{{/carpool}}')
    expect([error.code, error.line, error.column]).toEqual(['ERR_CONVOY_TEMPLATE', 2, 1])
    expect(error.message).toBe('@convoy/handlebars: line 2, column 1: {{#carpool}} kind must be "css" or "js", not "scss"')
    expect(renderError('{{#carpool css}}a.css{{/carpool}}').message).toContain('kind must be "css" or "js", not undefined')
    expect(renderError('{{#carpool}}a.css{{/carpool}}').message).toContain('{{#carpool}} needs a kind, "css" or "js"')
  })

  it('reject more than a kind, {{else}} and a use without #', () => {
    for (const template of ['{{#carpool "css" "js"}}a.css{{/carpool}}', '{{#carpool "css" media="print"}}a.css{{/carpool}}', '{{#carpool "css" as |x|}}a.css{{/carpool}}']) {
      expect(renderError(template).message).toContain('{{#carpool}} takes only a kind, "css" or "js"')
    }
    expect(renderError('{{#carpool "css"}}a.css{{else}}b.css{{/carpool}}').message).toContain('{{#carpool}} has no {{else}}')
    expect(renderError('{{carpool "css"}}').message).toContain('{{carpool}} is a block helper: {{#carpool "css"}} one logical path per line {{/carpool}}')
  })

  it('reject a carpool with no paths', () => {
    expect(renderError('<p>\n{{#carpool "css"}}\n  {{!-- nothing yet --}}\n{{/carpool}}').message).toBe(
      '@convoy/handlebars: line 2, column 1: {{#carpool "css"}} opened on line 2 lists no paths: put one logical path per line before {{/carpool}}',
    )
  })

  it("let a missing asset fail the render, keeping the runtime's code and error as the cause", () => {
    const error = renderError('<p>\n  {{convoy "css/nope.css"}}</p>')
    expect([error.code, error.line, error.column]).toEqual(['ERR_CONVOY_MISSING_ASSET', 2, 3])
    expect(error.message).toBe('@convoy/handlebars: line 2, column 3: {{convoy}}: @convoy/core: "css/nope.css" is not in the manifest (fake)')
    expect(isConvoyError(error.cause) && error.cause.code).toBe('ERR_CONVOY_MISSING_ASSET')
    const carpoolError = renderError('{{#carpool "js"}}\njs/missing.js\n{{/carpool}}')
    expect(carpoolError.message).toBe('@convoy/handlebars: line 1, column 1: {{carpool}}: @convoy/core: "js/missing.js" is not in the manifest (fake)')
  })

  it('name the innermost helper when a helper fails inside a carpool body', () => {
    const error = renderError('{{#carpool "css"}}\n  {{convoy "css/nope.css"}}\n{{/carpool}}')
    expect([error.code, error.line, error.column]).toEqual(['ERR_CONVOY_MISSING_ASSET', 2, 3])
  })

  it('pass errors of other code through unchanged', () => {
    const boom = new Error('boom')
    const hb = registerConvoyHelpers(Handlebars.create(), createFakeConvoy(), {
      getAcceptEncoding: () => {
        throw boom
      },
    })
    expect(() => hb.compile('{{convoy "css/base.css"}}')({})).toThrow(boom)
  })
})

describe('createConvoyHelpers / registerConvoyHelpers', () => {
  it('registers on the Handlebars module itself and replaces an earlier registration', () => {
    const hb = Handlebars.create()
    registerConvoyHelpers(hb, createFakeConvoy({ 'a.css': 'old.css' }))
    registerConvoyHelpers(hb, createFakeConvoy({ 'a.css': 'new.css' }))
    expect(hb.compile('{{convoy "a.css"}}')({})).toBe('/static/new.css')
  })

  it('makes helpers to register by hand, under other names, returning a SafeString for carpools', () => {
    const hb = Handlebars.create()
    const helpers = createConvoyHelpers(createFakeConvoy())
    hb.registerHelper({ asset: helpers.convoy, carpool: helpers.carpool })
    expect(hb.compile('{{asset "css/base.css"}}|{{#carpool "css"}}css/base.css{{/carpool}}')({})).toBe(
      '/static/css/base.111.cmin.css|<!-- carpool css --><link rel="stylesheet" href="/static/css/base.111.cmin.css"><!-- /carpool -->',
    )
  })

  it('throws ERR_CONVOY_CONFIG for something that is not a Handlebars environment, or not a Convoy runtime', () => {
    expect(() => registerConvoyHelpers({} as typeof Handlebars, createFakeConvoy())).toThrow(/^@convoy\/handlebars: registerConvoyHelpers\(\) needs a Handlebars environment, got an object$/)
    expect(() => registerConvoyHelpers(Handlebars.create(), undefined as unknown as ConvoyRenderer)).toThrow(/^@convoy\/handlebars: expected the object returned by createConvoy\(\)/)
    for (const fn of [() => registerConvoyHelpers({} as typeof Handlebars, createFakeConvoy()), () => createConvoyHelpers({} as ConvoyRenderer)]) {
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }) as Error)
    }
  })
})
