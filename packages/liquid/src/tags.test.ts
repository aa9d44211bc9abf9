import { createFakeConvoy as createFake, type FakeConvoy } from '@convoy/adapter-test-suite'
import type { ConvoyRenderer } from '@convoy/carpool'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { Liquid, type LiquidOptions } from 'liquidjs'
import { describe, expect, it } from 'vitest'
import { addConvoyTags, createConvoyTags } from './tags.js'

// LiquidJS's own side of the tags: its expressions and filters, scoping, {% liquid %}, whitespace control, delimiters,
// partials and layouts, parse errors and positions. What every engine shares (URLs, carpools, Accept-Encoding, the
// scanner against the real runtime) is the template table of @convoy/adapter-test-suite, run by conformance.test.ts.

/** TEST-ONLY stand-in for the runtime, throwing the runtime's ConvoyError for an unknown path. */
const createFakeConvoy = (files?: Record<string, string>): FakeConvoy =>
  createFake(files, { missingAsset: (path) => new ConvoyError('ERR_CONVOY_MISSING_ASSET', `@convoy/core: "${path}" is not in the manifest (fake)`) })

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
  it('accepts double quotes, a variable, a property and filters as the path', () => {
    expect(render('<link href="{% convoy "css/base.css" %}">')).toBe('<link href="/static/css/base.111.cmin.css">')
    const files = { 'css/base.css': 'css/base.111.cmin.css', 'js/app.js': 'js/app.222.cmin.js' }
    expect(render('{% convoy asset %}', { asset: 'js/app.js' }, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{% convoy page.style %}', { page: { style: 'css/base.css' } }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render("{% convoy 'css/' | append: name | append: '.css' %}", { name: 'base' }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render("{% assign p = 'js/app.js' %}{% convoy p %}", {}, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
  })

  it('leaves the URL alone when the engine does not escape output (with outputEscape, it is escaped like any value)', () => {
    expect(render(`{% convoy 'a.css' %}`, {}, createFakeConvoy({ 'a.css': 'a.css?v=1&x="2"' }), { escape: false })).toBe('/static/a.css?v=1&x="2"')
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
  it('calls the runtime at every render and can sit inside blocks and loops', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css' })
    const html = render('{% for i in (1..2) %}{% if true %}{% carpool css %}a.css{% endcarpool %}{% endif %}{% endfor %}', {}, convoy)
    expect(html.match(/<link /g)).toHaveLength(2)
    expect(convoy.calls).toHaveLength(2)
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

  it('is read from a global too', () => {
    const convoy = createFakeConvoy()
    render("{% convoy 'css/base.css' %}", {}, convoy, { globals: { acceptEncoding: 'gzip' } })
    expect(convoy.calls[0]?.args[1]).toEqual({ acceptEncoding: 'gzip' })
  })

  it('is left out when the render has no request, also with strictVariables', () => {
    const convoy = createFakeConvoy()
    render(page, { req: { headers: {} } }, convoy, { strictVariables: true })
    expect(convoy.calls).toEqual([
      { method: 'url', args: ['css/base.css'] },
      { method: 'carpool', args: ['css', ['css/base.css']] },
    ])
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

  it('throws ERR_CONVOY_CONFIG for something that is not a Liquid instance, or not a Convoy runtime', () => {
    expect(() => addConvoyTags({} as Liquid, createFakeConvoy())).toThrow(/^@convoy\/liquid: addConvoyTags\(\) needs a LiquidJS Liquid instance, got an object$/)
    expect(() => addConvoyTags(createLiquid({}), undefined as unknown as ConvoyRenderer)).toThrow(/^@convoy\/liquid: expected the object returned by createConvoy\(\)/)
    for (const fn of [() => addConvoyTags({} as Liquid, createFakeConvoy()), () => createConvoyTags({} as ConvoyRenderer)]) {
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }) as Error)
    }
  })
})
