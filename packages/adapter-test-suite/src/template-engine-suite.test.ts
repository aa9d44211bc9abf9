import { describe, expect, it } from 'vitest'
import { TEMPLATE_ACCEPT_ENCODING_CASES, TEMPLATE_CHECKS } from './template-checks.js'
import type { TemplateEngineUnderTest } from './template-engine.js'
import { runTemplateEngineSuite } from './template-engine-suite.js'
import { createToyEngine } from './test/toy-engine.js'

// The suite as an engine package runs it: one call, registering every check and the toy's own cases (collect's
// skipped: the toy has no package to install).
runTemplateEngineSuite(createToyEngine())

describe('the template table', () => {
  it('has a group and a title unique in it for every check', () => {
    const keys = TEMPLATE_CHECKS.map((check) => `${check.group} › ${check.title}`)
    expect(new Set(keys).size).toBe(keys.length)
    for (const check of TEMPLATE_CHECKS) expect([check.group.length > 0, check.title.length > 0, typeof check.run]).toEqual([true, true, 'function'])
  })

  it('has Accept-Encoding rows that link .gz files and rows that do not, each title once', () => {
    expect(TEMPLATE_ACCEPT_ENCODING_CASES.some((row) => row.gzip)).toBe(true)
    expect(TEMPLATE_ACCEPT_ENCODING_CASES.some((row) => !row.gzip)).toBe(true)
    expect(new Set(TEMPLATE_ACCEPT_ENCODING_CASES.map((row) => row.title)).size).toBe(TEMPLATE_ACCEPT_ENCODING_CASES.length)
  })
})

describe('runTemplateEngineSuite', () => {
  const toy = createToyEngine()

  it.each<[string, unknown, RegExp]>([
    ['nothing', undefined, /takes \{ name, extension, createConvoy, compile, syntax, escapeHtml, scanner \}/],
    ['no name', { ...toy, name: '' }, /with a non-empty name/],
    ['an extension without its dot', { ...toy, extension: 'toy' }, /toy engine: extension must be a file extension with its dot/],
    ['no compile', { ...toy, compile: undefined }, /compile must be a function/],
    ['a syntax without carpool', { ...toy, syntax: { url: (path: string) => toy.syntax.url(path) } }, /syntax\.carpool must be a function/],
    ['a raw that is not a function', { ...toy, syntax: { ...toy.syntax, raw: '{% raw %}' } }, /syntax\.raw must be a function when given/],
    ['an escapeHtml that is true', { ...toy, escapeHtml: true }, /escapeHtml must be a function or false/],
    ['no scanner', { ...toy, scanner: undefined }, /scanner must be a TemplateScanner/],
    ['a collect without a packageDirectory', { ...toy, collect: { scanner: 'toyScanner' } }, /collect must be \{ packageDirectory, scanner\? \}/],
    ['cases that are not arrays of templates', { ...toy, cases: { scanner: [{ title: 'x' }] } }, /cases\.scanner must be an array of \{ title, template, … \}/],
  ])('throws a TypeError at once for %s', (_, engine, message) => {
    expect(() => runTemplateEngineSuite(engine as TemplateEngineUnderTest)).toThrow(TypeError)
    expect(() => runTemplateEngineSuite(engine as TemplateEngineUnderTest)).toThrow(message)
  })

  it('throws a TypeError for a timeout that is not a positive number', () => {
    expect(() => runTemplateEngineSuite(toy, { timeout: 0 })).toThrow(/timeout must be a positive number/)
  })
})
