import { runInNewContext } from 'node:vm'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import Handlebars from 'handlebars'
import { describe, expect, it } from 'vitest'
import { acceptEncodingFromContext } from './accept-encoding.js'
import { createConvoyHelpers, registerConvoyHelpers, type CarpoolKind, type ConvoyLookupOptions, type ConvoyRenderer } from './helpers.js'

interface RecordedCall {
  readonly method: 'url' | 'carpool'
  readonly args: readonly unknown[]
}

/**
 * TEST-ONLY stand-in for the object `createConvoy()` returns: resolves logical paths from a
 * mutable map (so a test can "reload"), records every call, and renders carpools as member tags.
 */
function createFakeConvoy(files: Record<string, string> = { 'css/base.css': 'css/base.111.cmin.css' }) {
  const calls: RecordedCall[] = []
  const resolve = (path: string, options?: ConvoyLookupOptions): string => {
    const served = files[path]
    if (served === undefined) {
      throw new ConvoyError('ERR_CONVOY_MISSING_ASSET', `@convoy/core: "${path}" is not in the manifest (fake)`)
    }
    return `/static/${served}${options?.acceptEncoding?.includes('gzip') === true ? '.gz' : ''}`
  }
  const convoy = {
    files,
    calls,
    url(path: string, options?: ConvoyLookupOptions): string {
      calls.push({ method: 'url', args: options === undefined ? [path] : [path, options] })
      return resolve(path, options)
    },
    carpool(kind: CarpoolKind, paths: readonly string[], options?: ConvoyLookupOptions): string {
      calls.push({ method: 'carpool', args: options === undefined ? [kind, [...paths]] : [kind, [...paths], options] })
      const tags = paths.map((path) =>
        kind === 'css' ? `<link rel="stylesheet" href="${resolve(path, options)}">` : `<script src="${resolve(path, options)}"></script>`,
      )
      return `<!-- carpool ${kind} -->${tags.join('')}<!-- /carpool -->`
    },
  } satisfies ConvoyRenderer & Record<string, unknown>
  return convoy
}

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
  it('renders the served URL of a string literal, in double or single quotes', () => {
    expect(render('<link href="{{convoy "css/base.css"}}">')).toBe('<link href="/static/css/base.111.cmin.css">')
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

  it('looks the path up at every render, so a reloaded manifest takes effect without compiling again', () => {
    const convoy = createFakeConvoy()
    const template = registerConvoyHelpers(Handlebars.create(), convoy).compile('{{convoy "css/base.css"}}')
    expect(template({})).toBe('/static/css/base.111.cmin.css')
    convoy.files['css/base.css'] = 'css/base.999.cmin.css'
    expect(template({})).toBe('/static/css/base.999.cmin.css')
  })

  it('is escaped by {{ }}, as an attribute needs, and left alone by {{{ }}} and noEscape', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.css?v=1&x="2"' })
    expect(render('<link href="{{convoy "a.css"}}">', {}, convoy)).toBe('<link href="/static/a.css?v&#x3D;1&amp;x&#x3D;&quot;2&quot;">')
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
  it('passes one logical path per line, ignoring blank lines, indentation and comments', () => {
    const convoy = createFakeConvoy({ 'css/a.css': 'css/a.1.css', 'css/b.css': 'css/b.2.css' })
    const html = render('<head>\n{{#carpool "css"}}\n\n   css/a.css   \n\t{{! the theme }}\n{{!-- css/old.css --}}\n  css/b.css\n\n{{/carpool}}\n</head>', {}, convoy)
    expect(convoy.calls).toEqual([{ method: 'carpool', args: ['css', ['css/a.css', 'css/b.css']] }])
    // A SafeString: inserted as-is, the runtime escapes every value it interpolates. (The block's tags stand alone on
    // their lines, so Handlebars drops those lines.)
    expect(html).toBe(
      '<head>\n<!-- carpool css --><link rel="stylesheet" href="/static/css/a.1.css"><link rel="stylesheet" href="/static/css/b.2.css"><!-- /carpool --></head>',
    )
  })

  it("builds a js carpool, with the kind in single quotes, on a single line and with CRLF line ends", () => {
    const convoy = createFakeConvoy({ 'js/a.js': 'js/a.1.js', 'js/b.js': 'js/b.2.js' })
    expect(render('{{#carpool "js"}}js/a.js\r\njs/b.js{{/carpool}}', {}, convoy)).toBe(
      '<!-- carpool js --><script src="/static/js/a.1.js"></script><script src="/static/js/b.2.js"></script><!-- /carpool -->',
    )
    expect(render("{{#carpool 'js'}}\n js/a.js\n{{/carpool}}", {}, convoy)).toContain('<script src="/static/js/a.1.js"></script>')
    expect(convoy.calls.map((call) => call.args)).toEqual([['js', ['js/a.js', 'js/b.js']], ['js', ['js/a.js']]])
  })

  it('calls the runtime at every render and can sit inside blocks, loops and partials', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css' })
    const hb = registerConvoyHelpers(Handlebars.create(), convoy)
    hb.registerPartial('head', '{{#carpool "css"}}a.css{{/carpool}}')
    const html = hb.compile('{{#each items}}{{#if this}}{{#carpool "css"}}a.css{{/carpool}}{{/if}}{{/each}}{{> head}}')({ items: [1, 2] })
    expect(html.match(/<link /g)).toHaveLength(3)
    expect(convoy.calls).toHaveLength(3)
  })

  it('honours whitespace control and standalone lines around the block', () => {
    const convoy = createFakeConvoy({ 'a.js': 'a.1.js' })
    expect(render('<b>\n  {{~#carpool "js"~}}\n  a.js\n  {{~/carpool~}}\n</b>', {}, convoy)).toBe('<b><!-- carpool js --><script src="/static/a.1.js"></script><!-- /carpool --></b>')
    expect(render('<b>\n  {{#carpool "js"}}\n  a.js\n  {{/carpool}}\n</b>', {}, convoy)).toBe('<b>\n<!-- carpool js --><script src="/static/a.1.js"></script><!-- /carpool --></b>')
  })

  it('renders the text of a body that is not static, so a path may come from the render (collect cannot know it)', () => {
    const convoy = createFakeConvoy({ 'css/dark.css': 'css/dark.1.css' })
    expect(render('{{#carpool "css"}}\ncss/{{theme}}.css\n{{/carpool}}', { theme: 'dark' }, convoy)).toContain('href="/static/css/dark.1.css"')
  })

  it('shows a carpool block inside a raw block or behind a backslash as text', () => {
    const hb = registerConvoyHelpers(Handlebars.create(), createFakeConvoy())
    hb.registerHelper('raw', (options: { fn: () => string }) => options.fn())
    expect(hb.compile('{{{{raw}}}}{{#carpool "css"}}x.css{{/carpool}}{{{{/raw}}}}|\\{{#carpool "css"}}')({})).toBe('{{#carpool "css"}}x.css{{/carpool}}|{{#carpool "css"}}')
  })
})

describe('Accept-Encoding', () => {
  const page = '{{convoy "css/base.css"}} {{#carpool "css"}}css/base.css{{/carpool}}'

  it('is read from req.headers and passed to url() and carpool(), also inside blocks that change the context', () => {
    const convoy = createFakeConvoy()
    const html = render(`{{#each items}}${page}{{/each}}`, { items: [{ req: 'not this one' }], req: { headers: { 'accept-encoding': 'gzip, br' } } }, convoy)
    expect(convoy.calls).toEqual([
      { method: 'url', args: ['css/base.css', { acceptEncoding: 'gzip, br' }] },
      { method: 'carpool', args: ['css', ['css/base.css'], { acceptEncoding: 'gzip, br' }] },
    ])
    expect(html).toContain('/static/css/base.111.cmin.css.gz ')
  })

  it('is read from a `request` variable, a Fetch API Request, an explicit acceptEncoding variable or @data', () => {
    const check = (context: object, expected: string, data?: object) => {
      const convoy = createFakeConvoy()
      registerConvoyHelpers(Handlebars.create(), convoy).compile('{{convoy "css/base.css"}}')(context, data === undefined ? {} : { data })
      expect(convoy.calls[0]?.args[1]).toEqual({ acceptEncoding: expected })
    }
    check({ request: { headers: { 'accept-encoding': 'gzip;q=0' } } }, 'gzip;q=0')
    check({ request: new Request('http://127.0.0.1/', { headers: { 'Accept-Encoding': 'br' } }) }, 'br')
    check({ req: { headers: { 'accept-encoding': ['gzip', 'br'] } } }, 'gzip, br')
    check({ acceptEncoding: 'identity', req: { headers: { 'accept-encoding': 'gzip' } } }, 'identity')
    check({}, 'gzip', { acceptEncoding: 'gzip' })
  })

  it('is read from the root context in a partial called with a context of its own', () => {
    const convoy = createFakeConvoy()
    const hb = registerConvoyHelpers(Handlebars.create(), convoy)
    hb.registerPartial('head', '{{convoy path}}')
    expect(hb.compile('{{> head page}}')({ page: { path: 'css/base.css' }, req: { headers: { 'accept-encoding': 'gzip' } } })).toBe('/static/css/base.111.cmin.css.gz')
  })

  it('is left out when the context has no request, and inherited properties are not read', () => {
    const convoy = createFakeConvoy()
    render(page, Object.assign(Object.create({ acceptEncoding: 'gzip' }) as object, { req: { headers: {} }, request: 'not a request' }), convoy)
    expect(convoy.calls).toEqual([
      { method: 'url', args: ['css/base.css'] },
      { method: 'carpool', args: ['css', ['css/base.css']] },
    ])
  })

  it('can come from a getAcceptEncoding option, which can fall back to the default rules', () => {
    const convoy = createFakeConvoy()
    const hb = registerConvoyHelpers(Handlebars.create(), convoy, {
      getAcceptEncoding: (context) => (context.lookup('encodings') as string | undefined) ?? acceptEncodingFromContext(context),
    })
    hb.compile('{{convoy "css/base.css"}}')({ encodings: 'br' })
    hb.compile('{{convoy "css/base.css"}}')({ req: { headers: { 'accept-encoding': 'gzip' } } })
    expect(convoy.calls.map((call) => call.args[1])).toEqual([{ acceptEncoding: 'br' }, { acceptEncoding: 'gzip' }])
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

  it('throws ERR_CONVOY_CONFIG for something that is not a Convoy runtime or a Handlebars environment', () => {
    const expectConfigError = (fn: () => unknown, text: string) => {
      try {
        fn()
      } catch (error) {
        expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
        expect((error as Error).message).toContain(text)
        return
      }
      throw new Error('expected ERR_CONVOY_CONFIG')
    }
    expectConfigError(() => createConvoyHelpers({ url: () => '' } as unknown as ConvoyRenderer), 'expected the object returned by createConvoy()')
    expectConfigError(() => registerConvoyHelpers(Handlebars.create(), undefined as unknown as ConvoyRenderer), 'got undefined')
    expectConfigError(() => registerConvoyHelpers({} as typeof Handlebars, createFakeConvoy()), 'needs a Handlebars environment')
    expectConfigError(() => createConvoyHelpers(createFakeConvoy(), { getAcceptEncoding: 'req' as unknown as () => string }), 'getAcceptEncoding must be a function')
  })
})
