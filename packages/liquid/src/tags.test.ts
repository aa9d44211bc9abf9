import { ConvoyError, isConvoyError } from '@convoy/errors'
import { Liquid, type LiquidOptions } from 'liquidjs'
import { describe, expect, it } from 'vitest'
import { acceptEncodingFromContext } from './accept-encoding.js'
import { addConvoyTags, createConvoyTags, type CarpoolKind, type ConvoyLookupOptions, type ConvoyRenderer } from './tags.js'

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

/** Liquid options, and whether output is escaped (`outputEscape: 'escape'`, on unless `escape: false`). */
interface TestOptions extends LiquidOptions {
  readonly escape?: boolean
}

/** A Liquid instance whose templates are the given strings (`page.liquid`…), so error messages name a template. */
function createLiquid(templates: Record<string, string>, { escape = true, ...options }: TestOptions = {}): Liquid {
  return new Liquid({ templates, ...(escape ? { outputEscape: 'escape' } : {}), ...options })
}

function render(src: string, scope: object = {}, convoy: ConvoyRenderer = createFakeConvoy(), options: TestOptions = {}): string {
  const liquid = addConvoyTags(createLiquid({ 'page.liquid': src }, options), convoy)
  return liquid.renderFileSync('page.liquid', scope) as string
}

function renderError(src: string, scope: object = {}, convoy: ConvoyRenderer = createFakeConvoy(), options: TestOptions = {}): Error {
  try {
    render(src, scope, convoy, options)
  } catch (error) {
    return error as Error
  }
  throw new Error('expected the template to fail')
}

describe('{% convoy %}', () => {
  it('renders the served URL of a string literal, in single or double quotes', () => {
    expect(render(`<link href="{% convoy 'css/base.css' %}">`)).toBe('<link href="/static/css/base.111.cmin.css">')
    expect(render('<link href="{% convoy "css/base.css" %}">')).toBe('<link href="/static/css/base.111.cmin.css">')
  })

  it('accepts a variable, a property and filters as the path', () => {
    const files = { 'css/base.css': 'css/base.111.cmin.css', 'js/app.js': 'js/app.222.cmin.js' }
    expect(render('{% convoy asset %}', { asset: 'js/app.js' }, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{% convoy page.style %}', { page: { style: 'css/base.css' } }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render("{% convoy 'css/' | append: name | append: '.css' %}", { name: 'base' }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render("{% assign p = 'js/app.js' %}{% convoy p %}", {}, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
  })

  it('looks the path up at every render, so a reloaded manifest takes effect without parsing again', () => {
    const convoy = createFakeConvoy()
    const liquid = addConvoyTags(createLiquid({}), convoy)
    const template = liquid.parse("{% convoy 'css/base.css' %}")
    expect(liquid.renderSync(template)).toBe('/static/css/base.111.cmin.css')
    convoy.files['css/base.css'] = 'css/base.999.cmin.css'
    expect(liquid.renderSync(template)).toBe('/static/css/base.999.cmin.css')
  })

  it("escapes the URL when the engine escapes output (outputEscape), and leaves it alone when it does not", () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.css?v=1&x="2"' })
    expect(render(`<link href="{% convoy 'a.css' %}">`, {}, convoy)).toBe('<link href="/static/a.css?v=1&amp;x=&#34;2&#34;">')
    expect(render(`{% convoy 'a.css' %}`, {}, convoy, { escape: false })).toBe('/static/a.css?v=1&x="2"')
  })

  it('honours whitespace control', () => {
    expect(render("<a>\n  {%- convoy 'css/base.css' -%}\n</a>")).toBe('<a>/static/css/base.111.cmin.css</a>')
  })

  it('works inside a {% liquid %} tag', () => {
    expect(render("{% liquid\n  convoy 'css/base.css' as href\n  echo href\n%}|{% liquid convoy 'css/base.css' %}")).toBe('/static/css/base.111.cmin.css|/static/css/base.111.cmin.css')
  })

  it('works with asynchronous rendering and renderFile', async () => {
    const liquid = addConvoyTags(createLiquid({ 'page.liquid': "{% convoy 'css/base.css' %}" }), createFakeConvoy())
    expect(await liquid.parseAndRender("{% convoy 'css/base.css' %}")).toBe('/static/css/base.111.cmin.css')
    expect(await liquid.renderFile('page.liquid')).toBe('/static/css/base.111.cmin.css')
  })

  it('names its path for static analysis', () => {
    const liquid = addConvoyTags(createLiquid({}), createFakeConvoy())
    expect(liquid.globalVariablesSync("{% convoy theme | append: '.css' as theme_url %}{{ theme_url }}")).toEqual(['theme'])
  })
})

describe('{% convoy path as name %}', () => {
  it('sets a variable, outputs nothing, and the variable is escaped exactly once', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.css?v=1&x=2' })
    expect(render(`[{% convoy 'a.css' as a_url %}]<link href="{{ a_url }}">`, {}, convoy)).toBe('[]<link href="/static/a.css?v=1&amp;x=2">')
    expect(render(`{% convoy 'a.css' as a_url %}{{ a_url }}`, {}, convoy, { escape: false })).toBe('/static/a.css?v=1&x=2')
  })

  it('takes filters before "as", and scopes like {% assign %}', () => {
    const convoy = createFakeConvoy({ 'a.js': 'a.1.js', 'b.js': 'b.2.js' })
    expect(render("{% convoy 'a' | append: '.js' as src %}{{ src }}", {}, convoy)).toBe('/static/a.1.js')
    const loop = '{% for p in paths %}{% convoy p as src %}<script src="{{ src }}"></script>{% endfor %}{{ src }}'
    expect(render(loop, { paths: ['a.js', 'b.js'] }, convoy)).toBe('<script src="/static/a.1.js"></script><script src="/static/b.2.js"></script>/static/b.2.js')
    expect(render("{{ src }}{% convoy 'a.js' as src %}|{{ src }}", { src: 'from scope' }, convoy)).toBe('from scope|/static/a.1.js')
  })
})

describe('{% carpool %}', () => {
  it('passes one logical path per line, ignoring blank lines, indentation and comments', () => {
    const convoy = createFakeConvoy({ 'css/a.css': 'css/a.1.css', 'css/b.css': 'css/b.2.css' })
    const html = render(
      '<head>\n{% carpool css %}\n\n   css/a.css   \n\t{% # the theme %}\n{% comment %}css/old.css{% endcomment %}\n  css/b.css\n\n{% endcarpool %}\n</head>',
      {},
      convoy,
    )
    expect(convoy.calls).toEqual([{ method: 'carpool', args: ['css', ['css/a.css', 'css/b.css']] }])
    // Inserted as-is although output is escaped: the runtime escapes every value it interpolates.
    expect(html).toBe(
      '<head>\n<!-- carpool css --><link rel="stylesheet" href="/static/css/a.1.css"><link rel="stylesheet" href="/static/css/b.2.css"><!-- /carpool -->\n</head>',
    )
  })

  it('builds a js carpool, with the kind also accepted quoted, on a single line and with CRLF line ends', () => {
    const convoy = createFakeConvoy({ 'js/a.js': 'js/a.1.js', 'js/b.js': 'js/b.2.js' })
    expect(render('{% carpool js %}js/a.js\r\njs/b.js{% endcarpool %}', {}, convoy)).toBe(
      '<!-- carpool js --><script src="/static/js/a.1.js"></script><script src="/static/js/b.2.js"></script><!-- /carpool -->',
    )
    expect(render("{% carpool 'js' %}\n js/a.js\n{% endcarpool %}", {}, convoy)).toContain('<script src="/static/js/a.1.js"></script>')
    expect(render('{% carpool "js" %}\n js/b.js\n{% endcarpool %}', {}, convoy)).toContain('<script src="/static/js/b.2.js"></script>')
    expect(convoy.calls.map((call) => call.args)).toEqual([['js', ['js/a.js', 'js/b.js']], ['js', ['js/a.js']], ['js', ['js/b.js']]])
  })

  it('calls the runtime at every render and can sit inside blocks and loops', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css' })
    const html = render('{% for i in (1..2) %}{% if true %}{% carpool css %}a.css{% endcarpool %}{% endif %}{% endfor %}', {}, convoy)
    expect(html.match(/<link /g)).toHaveLength(2)
    expect(convoy.calls).toHaveLength(2)
  })

  it('honours whitespace control around the block', () => {
    const convoy = createFakeConvoy({ 'a.js': 'a.1.js' })
    expect(render('<b>\n  {%- carpool js -%}\n  a.js\n  {%- endcarpool -%}\n</b>', {}, convoy)).toBe(
      '<b><!-- carpool js --><script src="/static/a.1.js"></script><!-- /carpool --></b>',
    )
  })

  it('is not confused by a {% endcarpool %} inside a comment, and shows a carpool inside {% raw %}', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css', 'b.css': 'b.2.css' })
    const html = render('{% raw %}{% carpool css %}x.css{% endcarpool %}{% endraw %}|{% carpool css %}a.css\n{% comment %}{% endcarpool %}{% endcomment %}\nb.css{% endcarpool %}', {}, convoy)
    expect(html).toBe('{% carpool css %}x.css{% endcarpool %}|<!-- carpool css --><link rel="stylesheet" href="/static/a.1.css"><link rel="stylesheet" href="/static/b.2.css"><!-- /carpool -->')
  })

  it('works with custom delimiters', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css', 'b.css': 'b.2.css' })
    const options = { tagDelimiterLeft: '<%', tagDelimiterRight: '%>', outputDelimiterLeft: '<$', outputDelimiterRight: '$>' }
    expect(render("<% carpool css %>\na.css\n<% # x %>\nb.css\n<% endcarpool %>|<% convoy 'a.css' %>|<$ 'x' $>", {}, convoy, options)).toBe(
      '<!-- carpool css --><link rel="stylesheet" href="/static/a.1.css"><link rel="stylesheet" href="/static/b.2.css"><!-- /carpool -->|/static/a.1.css|x',
    )
  })
})

describe('Accept-Encoding', () => {
  const page = "{% convoy 'css/base.css' %} {% carpool css %}css/base.css{% endcarpool %}"

  it('is read from req.headers and passed to url() and carpool()', () => {
    const convoy = createFakeConvoy()
    const html = render(page, { req: { headers: { 'accept-encoding': 'gzip, br' } } }, convoy)
    expect(convoy.calls).toEqual([
      { method: 'url', args: ['css/base.css', { acceptEncoding: 'gzip, br' }] },
      { method: 'carpool', args: ['css', ['css/base.css'], { acceptEncoding: 'gzip, br' }] },
    ])
    expect(html).toContain('/static/css/base.111.cmin.css.gz ')
  })

  it('is read from a `request` variable, a Fetch API Request, an explicit acceptEncoding variable or a global', () => {
    const check = (scope: object, expected: string, options: TestOptions = {}) => {
      const convoy = createFakeConvoy()
      render("{% convoy 'css/base.css' %}", scope, convoy, options)
      expect(convoy.calls[0]?.args[1]).toEqual({ acceptEncoding: expected })
    }
    check({ request: { headers: { 'accept-encoding': 'gzip;q=0' } } }, 'gzip;q=0')
    check({ request: new Request('http://127.0.0.1/', { headers: { 'Accept-Encoding': 'br' } }) }, 'br')
    check({ req: { headers: { 'accept-encoding': ['gzip', 'br'] } } }, 'gzip, br')
    check({ acceptEncoding: 'identity', req: { headers: { 'accept-encoding': 'gzip' } } }, 'identity')
    check({}, 'gzip', { globals: { acceptEncoding: 'gzip' } })
  })

  it('is left out when the render has no request, also with strictVariables', () => {
    for (const options of [{}, { strictVariables: true }]) {
      const convoy = createFakeConvoy()
      render(page, { req: { headers: {} }, request: 'not a request' }, convoy, options)
      expect(convoy.calls).toEqual([
        { method: 'url', args: ['css/base.css'] },
        { method: 'carpool', args: ['css', ['css/base.css']] },
      ])
    }
  })

  it('reaches included templates and layouts, and partials of {% render %} when passed along', () => {
    const convoy = createFakeConvoy()
    const liquid = addConvoyTags(
      createLiquid({
        head: "{% convoy 'css/base.css' %}",
        layout: "{% convoy 'css/base.css' %}{% block body %}{% endblock %}",
        'page.liquid': "{% include 'head' %}|{% render 'head' %}|{% render 'head', req: req %}|{% layout 'layout' %}{% block body %}{% endblock %}",
      }),
      convoy,
    )
    liquid.renderFileSync('page.liquid', { req: { headers: { 'accept-encoding': 'gzip' } } })
    expect(convoy.calls.map((call) => call.args[1])).toEqual([{ acceptEncoding: 'gzip' }, undefined, { acceptEncoding: 'gzip' }, { acceptEncoding: 'gzip' }])
  })

  it('can come from a getAcceptEncoding option, which can fall back to the default rules', () => {
    const convoy = createFakeConvoy()
    const liquid = addConvoyTags(createLiquid({}), convoy, {
      getAcceptEncoding: (context) => (context.lookup('encodings') as string | undefined) ?? acceptEncodingFromContext(context),
    })
    liquid.parseAndRenderSync("{% convoy 'css/base.css' %}", { encodings: 'br' })
    liquid.parseAndRenderSync("{% convoy 'css/base.css' %}", { req: { headers: { 'accept-encoding': 'gzip' } } })
    expect(convoy.calls.map((call) => call.args[1])).toEqual([{ acceptEncoding: 'br' }, { acceptEncoding: 'gzip' }])
  })
})

describe('template errors', () => {
  /** The error of parsing `src` after a first line, as LiquidJS reports it (its message ends with the position). */
  const parseError = (src: string): string => {
    const error = renderError(`<html>\n${src}`)
    expect(error.name).toBe('TokenizationError')
    return error.message
  }

  it('names the tag, the template and the line for a {% convoy %} without a path', () => {
    const message = parseError('{% convoy %}')
    expect(message).toBe(`{% convoy %} needs a logical path: {% convoy 'css/base.css' %} or {% convoy 'css/base.css' as base_css %}, file:page.liquid, line:2, col:1`)
    expect(parseError('{% convoy as url %}')).toContain('{% convoy %} needs a logical path')
  })

  it('rejects a missing variable name after "as" and extra arguments', () => {
    expect(parseError("{% convoy 'a.css' as %}")).toMatch(/^\{% convoy %\} needs a variable name after "as": .*, line:2, col:21$/)
    expect(parseError(`{% convoy 'a.css' as "x" %}`)).toContain('{% convoy %} needs a variable name after "as"')
    expect(parseError("{% convoy 'a.css' 'b.css' %}")).toMatch(/^\{% convoy %\} takes one logical path and an optional "as name": .*; unexpected "'b\.css'", file:page\.liquid, line:2, col:19$/)
    expect(parseError("{% convoy 'a.css' as x y %}")).toContain('unexpected "y"')
    expect(parseError("{% convoy 'a.css' | append: 'x' as x y %}")).toContain('unexpected "y"')
  })

  it('rejects a carpool kind other than css or js, naming what it got', () => {
    expect(parseError('{% carpool scss %}\na.css\n{% endcarpool %}')).toBe('{% carpool %} kind must be css or js, not "scss", file:page.liquid, line:2, col:12')
    expect(parseError("{% carpool 'less' %}a.css{% endcarpool %}")).toContain('kind must be css or js, not "less"')
    expect(parseError('{% carpool %}a.css{% endcarpool %}')).toContain('{% carpool %} needs a kind, css or js')
    expect(parseError('{% carpool css js %}a.css{% endcarpool %}')).toMatch(/^\{% carpool %\} takes only a kind, css or js: .*; unexpected "js", file:page\.liquid, line:2, col:16$/)
  })

  it('reports an unterminated carpool, at the end of the template or inside a block', () => {
    expect(parseError('{% carpool css %}\na.css\n')).toMatch(/^\{% carpool css %\} opened on line 2 is never closed: .*, line:2, col:1$/)
    const inBlock = parseError('{% if true %}\n{% carpool js %}\na.js\n{% endif %}')
    expect(inBlock).toBe('{% carpool js %} opened on line 3 is not closed: found {% endif %} before {% endcarpool %}, file:page.liquid, line:5, col:1')
    expect(parseError('{% case x %}{% when 1 %}{% carpool js %}a.js{% when 2 %}{% endcase %}')).toContain('is not closed: found {% when %}')
  })

  it('rejects outputs, tags and an empty list inside a carpool', () => {
    expect(parseError('{% carpool css %}\na.css\n{{ theme }}.css\n{% endcarpool %}')).toMatch(/an \{\{ output \}\} is not allowed inside it, file:page\.liquid, line:4, col:1$/)
    expect(parseError('{% carpool css %}\n{% if x %}a.css{% endif %}\n{% endcarpool %}')).toContain('a {% tag %} is not allowed inside it')
    expect(parseError("{% carpool css %}\n{% convoy 'a.css' %}\n{% endcarpool %}")).toContain('a {% tag %} is not allowed inside it')
    expect(parseError('{% carpool css %}\n  {% # nothing yet %}\n{% endcarpool %}')).toContain('{% carpool css %} opened on line 2 lists no paths')
  })

  it('lets a missing asset fail the render with the logical path and the template line, keeping the runtime error', () => {
    const error = renderError("<p>\n{% convoy 'css/nope.css' %}</p>")
    expect(error.name).toBe('RenderError')
    expect(error.message).toBe('@convoy/core: "css/nope.css" is not in the manifest (fake), file:page.liquid, line:2, col:1')
    const cause = (error as Error & { originalError?: unknown }).originalError
    expect(isConvoyError(cause) && cause.code).toBe('ERR_CONVOY_MISSING_ASSET')
    const carpoolError = renderError('{% carpool js %}\njs/missing.js\n{% endcarpool %}')
    expect(carpoolError.message).toContain('"js/missing.js" is not in the manifest (fake), file:page.liquid, line:1, col:1')
  })

  it('rejects a path that is not a non-empty string at render time', () => {
    const error = renderError('<p>\n\n  {% convoy nothing %}')
    expect(error.message).toBe('@convoy/liquid: {% convoy %} needs a logical path string, got undefined, file:page.liquid, line:3, col:3')
    expect((error as Error & { originalError?: ConvoyError }).originalError?.code).toBe('ERR_CONVOY_TEMPLATE')
    expect(renderError('{% convoy 42 %}').message).toContain('got number 42')
    expect(renderError("{% convoy '' %}").message).toContain('got an empty string')
  })
})

describe('createConvoyTags / addConvoyTags', () => {
  it('replaces an earlier registration', () => {
    const liquid = createLiquid({})
    addConvoyTags(liquid, createFakeConvoy({ 'a.css': 'old.css' }))
    addConvoyTags(liquid, createFakeConvoy({ 'a.css': 'new.css' }))
    expect(liquid.parseAndRenderSync("{% convoy 'a.css' %}")).toBe('/static/new.css')
  })

  it('can be registered by hand, under other names', () => {
    const liquid = createLiquid({})
    const tags = createConvoyTags(createFakeConvoy())
    liquid.registerTag('asset', tags.convoy)
    liquid.registerTag('carpool', tags.carpool)
    expect(liquid.parseAndRenderSync("{% asset 'css/base.css' %}{% carpool css %}css/base.css{% endcarpool %}")).toContain('href="/static/css/base.111.cmin.css"')
  })

  it('throws ERR_CONVOY_CONFIG for something that is not a Convoy runtime or a Liquid instance', () => {
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
    expectConfigError(() => createConvoyTags({ url: () => '' } as unknown as ConvoyRenderer), 'expected the object returned by createConvoy()')
    expectConfigError(() => addConvoyTags(createLiquid({}), undefined as unknown as ConvoyRenderer), 'got undefined')
    expectConfigError(() => addConvoyTags({} as Liquid, createFakeConvoy()), 'needs a LiquidJS Liquid instance')
    expectConfigError(() => createConvoyTags(createFakeConvoy(), { getAcceptEncoding: 'req' as unknown as () => string }), 'getAcceptEncoding must be a function')
  })
})
