import { createFakeConvoy as createFake, type FakeConvoy } from '@convoy/adapter-test-suite'
import type { ConvoyRenderer } from '@convoy/carpool'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import nunjucks from 'nunjucks'
import { describe, expect, it } from 'vitest'
import { addConvoyExtension, createConvoyExtension } from './extension.js'

// Nunjucks' own side of the tags: its expressions, scoping, whitespace control, delimiters, parse errors and positions.
// What every engine shares (URLs, carpools, Accept-Encoding, the scanner against the real runtime) is the template
// table of @convoy/adapter-test-suite, run by conformance.test.ts.

/** TEST-ONLY stand-in for the runtime, throwing the runtime's ConvoyError for an unknown path. */
const createFakeConvoy = (files?: Record<string, string>): FakeConvoy =>
  createFake(files, { missingAsset: (path) => new ConvoyError('ERR_CONVOY_MISSING_ASSET', `@convoy/core: "${path}" is not in the manifest (fake)`) })

/** An environment whose templates are the given strings, so error messages name a template. */
function createEnv(templates: Record<string, string>, options: nunjucks.ConfigureOptions = {}): nunjucks.Environment {
  const loader: nunjucks.ILoader = {
    getSource: (name) => {
      const src = templates[name]
      if (src === undefined) throw new Error(`no template ${name}`)
      return { src, path: name, noCache: true }
    },
  }
  return new nunjucks.Environment(loader, { autoescape: true, ...options })
}

function render(src: string, context: object = {}, convoy: ConvoyRenderer = createFakeConvoy(), options: nunjucks.ConfigureOptions = {}): string {
  const env = addConvoyExtension(createEnv({ 'page.njk': src }, options), convoy)
  return env.render('page.njk', context)
}

function renderError(src: string, context: object = {}, convoy: ConvoyRenderer = createFakeConvoy(), options: nunjucks.ConfigureOptions = {}): Error {
  try {
    render(src, context, convoy, options)
  } catch (error) {
    return error as Error
  }
  throw new Error('expected the template to fail')
}

describe('{% convoy %}', () => {
  it('accepts single quotes, an expression and a context variable as the path', () => {
    const files = { 'css/base.css': 'css/base.111.cmin.css', 'js/app.js': 'js/app.222.cmin.js' }
    expect(render("{% convoy 'js/app.js' %}", {}, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{% convoy asset %}', { asset: 'js/app.js' }, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{% convoy dir + "/base." + ext %}', { dir: 'css', ext: 'css' }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render('{% convoy page.style %}', { page: { style: 'css/base.css' } }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
  })

  it('leaves the URL alone with autoescape off (with it on, it is escaped like any value)', () => {
    expect(render('{% convoy "a.css" %}', {}, createFakeConvoy({ 'a.css': 'a.css?v=1&x="2"' }), { autoescape: false })).toBe('/static/a.css?v=1&x="2"')
  })

  it('honours whitespace control', () => {
    expect(render('<a>\n  {%- convoy "css/base.css" -%}\n</a>')).toBe('<a>/static/css/base.111.cmin.css</a>')
  })

  it('works with asynchronous rendering too', async () => {
    const env = addConvoyExtension(createEnv({}), createFakeConvoy())
    const html = await new Promise<string | null>((resolve, reject) => {
      env.renderString('{% convoy "css/base.css" %}', {}, (error, result) => (error ? reject(error) : resolve(result)))
    })
    expect(html).toBe('/static/css/base.111.cmin.css')
  })
})

describe('{% convoy path as name %}', () => {
  it('sets a variable, outputs nothing, and the variable is escaped exactly once', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.css?v=1&x=2' })
    expect(render('[{% convoy "a.css" as a_url %}]<link href="{{ a_url }}">', {}, convoy)).toBe('[]<link href="/static/a.css?v=1&amp;x=2">')
    expect(render('{% convoy "a.css" as a_url %}{{ a_url }}', {}, convoy, { autoescape: false })).toBe('/static/a.css?v=1&x=2')
  })

  it('scopes like {% set %}: inside a loop, and replacing an earlier top-level variable', () => {
    const convoy = createFakeConvoy({ 'a.js': 'a.1.js', 'b.js': 'b.2.js' })
    const loop = '{% for p in paths %}{% convoy p as src %}<script src="{{ src }}"></script>{% endfor %}'
    expect(render(loop, { paths: ['a.js', 'b.js'] }, convoy)).toBe('<script src="/static/a.1.js"></script><script src="/static/b.2.js"></script>')
    expect(render('{% set src = "old" %}{% convoy "a.js" as src %}{{ src }}', {}, convoy)).toBe('/static/a.1.js')
    expect(render('{{ src }}{% convoy "a.js" as src %}|{{ src }}', { src: 'from context' }, convoy)).toBe('from context|/static/a.1.js')
  })

  it('is visible to a child template block when set at the top of the block', () => {
    const env = addConvoyExtension(
      createEnv({
        'base.njk': '<head>{% block head %}{% endblock %}</head>',
        'page.njk': '{% extends "base.njk" %}{% block head %}{% convoy "css/base.css" as css %}<link href="{{ css }}">{% endblock %}',
      }),
      createFakeConvoy(),
    )
    expect(env.render('page.njk', {})).toBe('<head><link href="/static/css/base.111.cmin.css"></head>')
  })
})

describe('{% carpool %}', () => {
  it('calls the runtime at every render and can sit inside blocks and loops', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css' })
    const html = render('{% for i in [1, 2] %}{% if true %}{% carpool css %}a.css{% endcarpool %}{% endif %}{% endfor %}', {}, convoy)
    expect(html.match(/<link /g)).toHaveLength(2)
    expect(convoy.calls).toHaveLength(2)
  })

  it('works with custom tag delimiters', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css', 'b.css': 'b.2.css' })
    const options = { tags: { blockStart: '<%', blockEnd: '%>', variableStart: '<$', variableEnd: '$>', commentStart: '<#', commentEnd: '#>' } }
    expect(render('<% carpool css %>\na.css\n<# x #>\nb.css\n<% endcarpool %>|<% convoy "a.css" %>', {}, convoy, options)).toBe(
      '<!-- carpool css --><link rel="stylesheet" href="/static/a.1.css"><link rel="stylesheet" href="/static/b.2.css"><!-- /carpool -->|/static/a.1.css',
    )
  })
})

describe('template errors', () => {
  const parseError = (src: string): string => {
    const error = renderError(`<html>\n${src}`)
    expect(error.name).toBe('Template render error')
    return error.message
  }

  it('names the tag, the template and the line for a {% convoy %} without a path', () => {
    const message = parseError('{% convoy %}')
    expect(message).toContain('(page.njk) [Line 2, Column 4]')
    expect(message).toContain('{% convoy %} needs a logical path')
    expect(parseError('{% convoy as url %}')).toContain('{% convoy %} needs a logical path')
  })

  it('rejects a missing variable name after "as" and extra arguments', () => {
    expect(parseError('{% convoy "a.css" as %}')).toContain('{% convoy %} needs a variable name after "as"')
    expect(parseError('{% convoy "a.css" as "x" %}')).toContain('{% convoy %} needs a variable name after "as"')
    expect(parseError('{% convoy "a.css" "b.css" %}')).toMatch(/\[Line 2, Column 19\][\s\S]*\{% convoy %\} takes one logical path.*unexpected "b\.css"/)
    expect(parseError('{% convoy "a.css" as x y %}')).toContain('unexpected "y"')
  })

  it('rejects a carpool kind other than css or js, naming what it got', () => {
    const message = parseError('{% carpool scss %}\na.css\n{% endcarpool %}')
    expect(message).toContain('(page.njk) [Line 2, Column 12]')
    expect(message).toContain('{% carpool %} kind must be css or js, not "scss"')
    expect(parseError('{% carpool %}a.css{% endcarpool %}')).toContain('{% carpool %} needs a kind, css or js')
    expect(parseError('{% carpool css js %}a.css{% endcarpool %}')).toContain('{% carpool %} takes only a kind')
  })

  it('reports an unterminated carpool, at the end of the template or inside a block', () => {
    expect(parseError('{% carpool css %}\na.css\n')).toMatch(/\[Line 2, Column 4\][\s\S]*\{% carpool css %\} opened on line 2 is never closed/)
    const inBlock = parseError('{% block head %}\n{% carpool js %}\na.js\n{% endblock %}')
    expect(inBlock).toMatch(/\[Line 5, Column 4\][\s\S]*\{% carpool js %\} opened on line 3 is not closed: found \{% endblock %\}/)
  })

  it('rejects expressions, tags and an empty list inside a carpool', () => {
    expect(parseError('{% carpool css %}\na.css\n{{ theme }}.css\n{% endcarpool %}')).toMatch(/\[Line 4, Column 1\][\s\S]*an \{\{ expression \}\} is not allowed/)
    expect(parseError('{% carpool css %}\n{% if x %}a.css{% endif %}\n{% endcarpool %}')).toContain('a {% tag %} is not allowed inside it')
    expect(parseError('{% carpool css %}\n  {# nothing yet #}\n{% endcarpool %}')).toContain('{% carpool css %} opened on line 2 lists no paths')
  })

  it('lets a missing asset fail the render with the logical path and the template line', () => {
    const error = renderError('<p>\n{% convoy "css/nope.css" %}</p>')
    expect(error.message).toContain('(page.njk) [Line 2, Column 4]')
    expect(error.message).toContain('"css/nope.css" is not in the manifest')
    const carpoolError = renderError('{% carpool js %}\njs/missing.js\n{% endcarpool %}')
    expect(carpoolError.message).toContain('(page.njk) [Line 1, Column 4]')
    expect(carpoolError.message).toContain('"js/missing.js" is not in the manifest')
  })

  it("keeps the runtime's ConvoyError as the cause when nunjucks runs with dev: true", () => {
    const error = renderError('{% convoy "css/nope.css" %}', {}, createFakeConvoy(), { dev: true })
    expect(isConvoyError(error.cause)).toBe(true)
    expect((error.cause as ConvoyError).code).toBe('ERR_CONVOY_MISSING_ASSET')
  })

  it('rejects a path that is not a non-empty string at render time', () => {
    const message = renderError('<p>\n\n  {% convoy nothing %}').message
    expect(message).toContain('(page.njk) [Line 3, Column 6]')
    expect(message).toContain('{% convoy %} needs a logical path string, got undefined')
    expect(renderError('{% convoy 42 %}').message).toContain('got number 42')
    expect(renderError('{% convoy "" %}').message).toContain('got an empty string')
  })
})

describe('createConvoyExtension / addConvoyExtension', () => {
  it('registers under a custom name and replaces an earlier registration of that name', () => {
    const env = createEnv({})
    addConvoyExtension(env, createFakeConvoy({ 'a.css': 'old.css' }), { name: 'assets' })
    addConvoyExtension(env, createFakeConvoy({ 'a.css': 'new.css' }), { name: 'assets' })
    expect(env.hasExtension('assets')).toBe(true)
    expect(env.renderString('{% convoy "a.css" %}', {})).toBe('/static/new.css')
  })

  it('can be registered by hand with env.addExtension()', () => {
    const env = createEnv({})
    env.addExtension('convoy', createConvoyExtension(createFakeConvoy()))
    expect(env.renderString('{% carpool css %}css/base.css{% endcarpool %}', {})).toContain('href="/static/css/base.111.cmin.css"')
  })

  it('throws ERR_CONVOY_CONFIG for something that is not a Nunjucks environment, or not a Convoy runtime', () => {
    expect(() => addConvoyExtension({} as nunjucks.Environment, createFakeConvoy())).toThrow(/^@convoy\/nunjucks: addConvoyExtension\(\) needs a Nunjucks Environment, got an object$/)
    expect(() => addConvoyExtension(createEnv({}), undefined as unknown as ConvoyRenderer)).toThrow(/^@convoy\/nunjucks: expected the object returned by createConvoy\(\)/)
    for (const fn of [() => addConvoyExtension({} as nunjucks.Environment, createFakeConvoy()), () => createConvoyExtension({} as ConvoyRenderer)]) {
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }) as Error)
    }
  })
})
