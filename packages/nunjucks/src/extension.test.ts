import { ConvoyError, isConvoyError } from '@convoy/errors'
import nunjucks from 'nunjucks'
import { describe, expect, it } from 'vitest'
import { acceptEncodingFromContext } from './accept-encoding.js'
import { addConvoyExtension, createConvoyExtension, type CarpoolKind, type ConvoyLookupOptions, type ConvoyRenderer } from './extension.js'

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
  it('renders the served URL of a string literal', () => {
    expect(render('<link href="{% convoy "css/base.css" %}">')).toBe('<link href="/static/css/base.111.cmin.css">')
  })

  it('accepts single quotes, an expression and a context variable as the path', () => {
    const files = { 'css/base.css': 'css/base.111.cmin.css', 'js/app.js': 'js/app.222.cmin.js' }
    expect(render("{% convoy 'js/app.js' %}", {}, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{% convoy asset %}', { asset: 'js/app.js' }, createFakeConvoy(files))).toBe('/static/js/app.222.cmin.js')
    expect(render('{% convoy dir + "/base." + ext %}', { dir: 'css', ext: 'css' }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
    expect(render('{% convoy page.style %}', { page: { style: 'css/base.css' } }, createFakeConvoy(files))).toBe('/static/css/base.111.cmin.css')
  })

  it('looks the path up at every render, so a reloaded manifest takes effect without recompiling', () => {
    const convoy = createFakeConvoy()
    const env = addConvoyExtension(createEnv({ 'page.njk': '{% convoy "css/base.css" %}' }), convoy)
    const template = env.getTemplate('page.njk', true)
    expect(template.render({})).toBe('/static/css/base.111.cmin.css')
    convoy.files['css/base.css'] = 'css/base.999.cmin.css'
    expect(template.render({})).toBe('/static/css/base.999.cmin.css')
  })

  it('lets autoescape escape the URL (it sits in an attribute), and leaves it alone with autoescape off', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.css?v=1&x="2"' })
    expect(render('<link href="{% convoy "a.css" %}">', {}, convoy)).toBe('<link href="/static/a.css?v=1&amp;x=&quot;2&quot;">')
    expect(render('{% convoy "a.css" %}', {}, convoy, { autoescape: false })).toBe('/static/a.css?v=1&x="2"')
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
  it('passes one logical path per line, ignoring blank lines, indentation and comments', () => {
    const convoy = createFakeConvoy({ 'css/a.css': 'css/a.1.css', 'css/b.css': 'css/b.2.css' })
    const html = render('<head>\n{% carpool css %}\n\n   css/a.css   \n\t{# the theme #}\n  css/b.css\n\n{% endcarpool %}\n</head>', {}, convoy)
    expect(convoy.calls).toEqual([{ method: 'carpool', args: ['css', ['css/a.css', 'css/b.css']] }])
    // Inserted as-is although autoescape is on: the runtime escapes every value it interpolates.
    expect(html).toBe(
      '<head>\n<!-- carpool css --><link rel="stylesheet" href="/static/css/a.1.css"><link rel="stylesheet" href="/static/css/b.2.css"><!-- /carpool -->\n</head>',
    )
  })

  it('builds a js carpool, with the kind also accepted as a string, on a single line and with CRLF line ends', () => {
    const convoy = createFakeConvoy({ 'js/a.js': 'js/a.1.js', 'js/b.js': 'js/b.2.js' })
    expect(render('{% carpool js %}js/a.js\r\njs/b.js{% endcarpool %}', {}, convoy)).toBe(
      '<!-- carpool js --><script src="/static/js/a.1.js"></script><script src="/static/js/b.2.js"></script><!-- /carpool -->',
    )
    expect(render('{% carpool "js" %}\n js/a.js\n{% endcarpool %}', {}, convoy)).toContain('<script src="/static/js/a.1.js"></script>')
    expect(convoy.calls.map((call) => call.args)).toEqual([['js', ['js/a.js', 'js/b.js']], ['js', ['js/a.js']]])
  })

  it('calls the runtime at every render and can sit inside blocks and loops', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css' })
    const html = render('{% for i in [1, 2] %}{% if true %}{% carpool css %}a.css{% endcarpool %}{% endif %}{% endfor %}', {}, convoy)
    expect(html.match(/<link /g)).toHaveLength(2)
    expect(convoy.calls).toHaveLength(2)
  })

  it('honours whitespace control around the block', () => {
    const convoy = createFakeConvoy({ 'a.js': 'a.1.js' })
    expect(render('<b>\n  {%- carpool js -%}\n  a.js\n  {%- endcarpool -%}\n</b>', {}, convoy)).toBe(
      '<b><!-- carpool js --><script src="/static/a.1.js"></script><!-- /carpool --></b>',
    )
  })

  it('works with custom tag delimiters', () => {
    const convoy = createFakeConvoy({ 'a.css': 'a.1.css', 'b.css': 'b.2.css' })
    const options = { tags: { blockStart: '<%', blockEnd: '%>', variableStart: '<$', variableEnd: '$>', commentStart: '<#', commentEnd: '#>' } }
    expect(render('<% carpool css %>\na.css\n<# x #>\nb.css\n<% endcarpool %>|<% convoy "a.css" %>', {}, convoy, options)).toBe(
      '<!-- carpool css --><link rel="stylesheet" href="/static/a.1.css"><link rel="stylesheet" href="/static/b.2.css"><!-- /carpool -->|/static/a.1.css',
    )
  })
})

describe('Accept-Encoding', () => {
  const page = '{% convoy "css/base.css" %} {% carpool css %}css/base.css{% endcarpool %}'

  it('is read from req.headers and passed to url() and carpool()', () => {
    const convoy = createFakeConvoy()
    const html = render(page, { req: { headers: { 'accept-encoding': 'gzip, br' } } }, convoy)
    expect(convoy.calls).toEqual([
      { method: 'url', args: ['css/base.css', { acceptEncoding: 'gzip, br' }] },
      { method: 'carpool', args: ['css', ['css/base.css'], { acceptEncoding: 'gzip, br' }] },
    ])
    expect(html).toContain('/static/css/base.111.cmin.css.gz ')
  })

  it('is read from a `request` variable, a Fetch API Request, or an explicit acceptEncoding variable', () => {
    const check = (context: object, expected: string) => {
      const convoy = createFakeConvoy()
      render('{% convoy "css/base.css" %}', context, convoy)
      expect(convoy.calls[0]?.args[1]).toEqual({ acceptEncoding: expected })
    }
    check({ request: { headers: { 'accept-encoding': 'gzip;q=0' } } }, 'gzip;q=0')
    check({ request: new Request('http://127.0.0.1/', { headers: { 'Accept-Encoding': 'br' } }) }, 'br')
    check({ req: { headers: { 'accept-encoding': ['gzip', 'br'] } } }, 'gzip, br')
    check({ acceptEncoding: 'identity', req: { headers: { 'accept-encoding': 'gzip' } } }, 'identity')
  })

  it('is left out when the context has no request', () => {
    const convoy = createFakeConvoy()
    render(page, { req: { headers: {} }, request: 'not a request' }, convoy)
    expect(convoy.calls).toEqual([
      { method: 'url', args: ['css/base.css'] },
      { method: 'carpool', args: ['css', ['css/base.css']] },
    ])
  })

  it('can come from a getAcceptEncoding option, which can fall back to the default rules', () => {
    const convoy = createFakeConvoy()
    const env = addConvoyExtension(createEnv({}), convoy, {
      getAcceptEncoding: (context) => (context.lookup('encodings') as string | undefined) ?? acceptEncodingFromContext(context),
    })
    env.renderString('{% convoy "css/base.css" %}', { encodings: 'br' })
    env.renderString('{% convoy "css/base.css" %}', { req: { headers: { 'accept-encoding': 'gzip' } } })
    expect(convoy.calls.map((call) => call.args[1])).toEqual([{ acceptEncoding: 'br' }, { acceptEncoding: 'gzip' }])
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

  it('throws ERR_CONVOY_CONFIG for something that is not a Convoy runtime or an environment', () => {
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
    expectConfigError(() => createConvoyExtension({ url: () => '' } as unknown as ConvoyRenderer), 'expected the object returned by createConvoy()')
    expectConfigError(() => addConvoyExtension(createEnv({}), undefined as unknown as ConvoyRenderer), 'got undefined')
    expectConfigError(() => addConvoyExtension({} as nunjucks.Environment, createFakeConvoy()), 'needs a Nunjucks Environment')
    expectConfigError(
      () => createConvoyExtension(createFakeConvoy(), { getAcceptEncoding: 'req' as unknown as () => string }),
      'getAcceptEncoding must be a function',
    )
  })
})
