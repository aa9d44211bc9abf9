import { ConvoyError, isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import type { CarpoolKind } from './name.js'
import {
  acceptEncodingFromContext,
  carpoolBlockMessages,
  carpoolMembers,
  createTemplateTagRuntime,
  describeTemplateValue,
  type ConvoyLookupOptions,
  type ConvoyRenderer,
  type ConvoyTemplateContext,
} from './template-tags.js'

// The engine-independent half of the tags, by itself. What it does inside an engine, against the real runtime, is
// @convoy/adapter-test-suite's runTemplateEngineSuite, which every engine package runs.

/** A render whose variables are `variables`: what an engine's context adapter gives the tags. */
const render = (variables: Record<string, unknown>): ConvoyTemplateContext => ({ lookup: (name) => variables[name] })

/** TEST-ONLY stand-in for the runtime: records every call exactly as made. */
function createRecordingConvoy() {
  const calls: unknown[][] = []
  const convoy = {
    calls,
    url: (...args: [string, ConvoyLookupOptions?]) => (calls.push(['url', ...args]), `/static/${args[0]}`),
    carpool: (...args: [CarpoolKind, readonly string[], ConvoyLookupOptions?]) => (calls.push(['carpool', ...args]), `<${args[0]}>`),
  } satisfies ConvoyRenderer & Record<string, unknown>
  return convoy
}

const settings = { packageName: '@convoy/toy', urlTag: '{% convoy %}' }

/** The ConvoyError `fn` throws. */
const thrown = (fn: () => unknown): ConvoyError => {
  const error = ((): unknown => {
    try {
      return fn()
    } catch (caught) {
      return caught
    }
  })()
  expect(isConvoyError(error), 'a ConvoyError').toBe(true)
  return error as ConvoyError
}

describe('acceptEncodingFromContext', () => {
  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['an acceptEncoding variable', { acceptEncoding: 'gzip;q=0' }, 'gzip;q=0'],
    ['acceptEncoding before req', { acceptEncoding: 'identity', req: { headers: { 'accept-encoding': 'gzip' } } }, 'identity'],
    ['req.headers', { req: { headers: { 'accept-encoding': 'gzip, br' } } }, 'gzip, br'],
    ['a repeated header, joined', { req: { headers: { 'accept-encoding': ['gzip', 'br'] } } }, 'gzip, br'],
    ['request.headers', { request: { headers: { 'accept-encoding': 'br' } } }, 'br'],
    ['a Fetch API Request', { request: new Request('http://127.0.0.1/', { headers: { 'Accept-Encoding': 'br' } }) }, 'br'],
    ['req before request', { req: { headers: { 'accept-encoding': 'gzip' } }, request: { headers: { 'accept-encoding': 'br' } } }, 'gzip'],
    ['nothing', {}, undefined],
    ['a req without the header', { req: { headers: {} } }, undefined],
    ['an acceptEncoding that is not a string, and a request that is not one', { acceptEncoding: 1, request: 'not a request' }, undefined],
    ['an empty repeated header', { req: { headers: { 'accept-encoding': [] } } }, undefined],
  ])('reads %s', (_, variables, expected) => {
    expect(acceptEncodingFromContext(render(variables))).toBe(expected)
  })
})

describe('createTemplateTagRuntime', () => {
  it('asks the runtime with the Accept-Encoding of each render, and without options when there is none', () => {
    const convoy = createRecordingConvoy()
    const tags = createTemplateTagRuntime(convoy, {}, settings)
    expect(tags.url('css/a.css', render({ req: { headers: { 'accept-encoding': 'gzip' } } }))).toBe('/static/css/a.css')
    expect(tags.carpool('js', ['js/a.js'], render({ acceptEncoding: 'br' }))).toBe('<js>')
    tags.url('css/a.css', render({}))
    tags.carpool('css', ['css/a.css'], render({}))
    expect(convoy.calls).toEqual([
      ['url', 'css/a.css', { acceptEncoding: 'gzip' }],
      ['carpool', 'js', ['js/a.js'], { acceptEncoding: 'br' }],
      ['url', 'css/a.css'],
      ['carpool', 'css', ['css/a.css']],
    ])
  })

  it('takes a getAcceptEncoding option, which can fall back to the default rules', () => {
    const convoy = createRecordingConvoy()
    const tags = createTemplateTagRuntime(
      convoy,
      { getAcceptEncoding: (context) => (context.lookup('encodings') as string | undefined) ?? acceptEncodingFromContext(context) },
      settings,
    )
    tags.url('a.css', render({ encodings: 'br' }))
    tags.url('a.css', render({ acceptEncoding: 'gzip' }))
    expect(convoy.calls).toEqual([
      ['url', 'a.css', { acceptEncoding: 'br' }],
      ['url', 'a.css', { acceptEncoding: 'gzip' }],
    ])
  })

  it('refuses a URL path that is not a non-empty string, by default with ERR_CONVOY_TEMPLATE', () => {
    const tags = createTemplateTagRuntime(createRecordingConvoy(), undefined, settings)
    const error = thrown(() => tags.url(undefined, render({})))
    expect([error.code, error.message]).toEqual(['ERR_CONVOY_TEMPLATE', '@convoy/toy: {% convoy %} needs a logical path string, got undefined'])
    expect(thrown(() => tags.url(42, render({}))).message).toContain('got number 42')
    expect(thrown(() => tags.url('', render({}))).message).toContain('got an empty string')
  })

  it("makes the engine's own error for a bad path with invalidPath", () => {
    class UsageError extends Error {}
    const tags = createTemplateTagRuntime(createRecordingConvoy(), {}, { ...settings, invalidPath: (message) => new UsageError(message) })
    expect(() => tags.url(null, render({}))).toThrow(new UsageError('{% convoy %} needs a logical path string, got null'))
  })

  it("lets the runtime's errors through unchanged", () => {
    const missing = new ConvoyError('ERR_CONVOY_MISSING_ASSET', '@convoy/core: "a.css" is not in the manifest')
    const convoy: ConvoyRenderer = {
      url: () => {
        throw missing
      },
      carpool: () => {
        throw missing
      },
    }
    const tags = createTemplateTagRuntime(convoy, {}, settings)
    expect(() => tags.url('a.css', render({}))).toThrow(missing)
    expect(() => tags.carpool('css', ['a.css'], render({}))).toThrow(missing)
  })

  it('throws ERR_CONVOY_CONFIG, prefixed with the package, for something that is not a runtime or a getAcceptEncoding that is not a function', () => {
    const notRuntime = thrown(() => createTemplateTagRuntime({ url: () => '' } as unknown as ConvoyRenderer, {}, settings))
    expect([notRuntime.code, notRuntime.message]).toEqual([
      'ERR_CONVOY_CONFIG',
      '@convoy/toy: expected the object returned by createConvoy() from @convoy/core (with url() and carpool()), got an object',
    ])
    expect(thrown(() => createTemplateTagRuntime(undefined as unknown as ConvoyRenderer, {}, settings)).message).toContain('got undefined')
    const option = thrown(() => createTemplateTagRuntime(createRecordingConvoy(), { getAcceptEncoding: 'req' as unknown as () => string }, settings))
    expect([option.code, option.message]).toEqual(['ERR_CONVOY_CONFIG', '@convoy/toy: option getAcceptEncoding must be a function, got "req"'])
  })
})

describe('carpoolMembers', () => {
  it.each<[string, string, string[]]>([
    ['one path per line, indentation and blank lines dropped', '\n\n   css/a.css   \n\t\n  css/b.css\n\n', ['css/a.css', 'css/b.css']],
    ['CRLF and CR line ends', 'js/a.js\r\njs/b.js\rjs/c.js', ['js/a.js', 'js/b.js', 'js/c.js']],
    ['a single line', 'a.css', ['a.css']],
    ['order kept, duplicates kept', 'b.css\na.css\nb.css', ['b.css', 'a.css', 'b.css']],
    ['no paths', ' \n\t\n', []],
  ])('%s', (_, body, members) => {
    expect(carpoolMembers(body)).toEqual(members)
  })
})

describe('carpoolBlockMessages', () => {
  const messages = carpoolBlockMessages({
    tag: '{% carpool %}',
    open: (kind) => `{% carpool ${kind} %}`,
    close: '{% endcarpool %}',
    kinds: 'css or js',
    comments: '{# comments #}',
    usage: 'USAGE',
  })

  it('says every mistake in the spelling of the engine', () => {
    expect(messages.needsKind).toBe('{% carpool %} needs a kind, css or js: USAGE')
    expect(messages.onlyKind).toBe('{% carpool %} takes only a kind, css or js: USAGE')
    expect(messages.kindMustBe('"scss"')).toBe('{% carpool %} kind must be css or js, not "scss"')
    expect(messages.neverClosed('css', 4)).toBe('{% carpool css %} opened on line 4 is never closed: add {% endcarpool %} after its paths')
    expect(messages.notClosed('js', 2, '{% endif %}')).toBe('{% carpool js %} opened on line 2 is not closed: found {% endif %} before {% endcarpool %}')
    expect(messages.notClosed(undefined, 2, '{% endif %}')).toBe('{% carpool %} opened on line 2 is not closed: found {% endif %} before {% endcarpool %}')
    expect(messages.notAllowed('an {{ expression }}')).toBe('{% carpool %} holds only logical paths, one per line, and {# comments #}; an {{ expression }} is not allowed inside it')
    expect(messages.noPaths('css', 4)).toBe('{% carpool css %} opened on line 4 lists no paths: put one logical path per line before {% endcarpool %}')
  })
})

describe('describeTemplateValue', () => {
  it.each<[unknown, string]>([
    [undefined, 'undefined'],
    [null, 'null'],
    ['', 'an empty string'],
    ['scss', '"scss"'],
    [42, 'number 42'],
    [false, 'boolean false'],
    [{}, 'an object'],
    [() => 1, 'a function'],
  ])('%j → %s', (value, described) => {
    expect(describeTemplateValue(value)).toBe(described)
  })
})
