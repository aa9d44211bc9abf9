import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { runInNewContext } from 'node:vm'
import type dayjs from 'dayjs'
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import { describe, expect, it } from 'vitest'
import { createSwcEngine } from './engines/swc.js'
import { minifyJs, type JsEngineName } from './index.js'
import { rejection } from './test-helpers.js'

const require = createRequire(import.meta.url)
const lodashSource = readFileSync(require.resolve('lodash/lodash.js'), 'utf8')
const dayjsSource = readFileSync(require.resolve('dayjs'), 'utf8')
const engines: JsEngineName[] = ['terser', 'swc']

type Fn = (...args: unknown[]) => unknown
/** The part of lodash the tests call. */
interface Lodash {
  chunk: Fn
  template(text: string): Fn
  sortBy: Fn
  kebabCase: Fn
  merge: Fn
  groupBy: Fn
  uniqBy: Fn
  get: Fn
  isEqual: Fn
  debounce: Fn
}

/** Runs a UMD/CommonJS library in a fresh realm and returns what it exported. */
function load<T>(code: string): T {
  const module = { exports: {} as unknown }
  runInNewContext(code, { module, exports: module.exports })
  return module.exports as T
}

/** Calls a library through the same questions and answers in JSON, so results from two realms compare. */
function lodashAnswers(_: Lodash): string {
  return JSON.stringify([
    _.chunk([1, 2, 3, 4, 5, 6, 7], 3),
    _.template('hello <%= user %>, <%- html %>!')({ user: 'fred', html: '<b>' }),
    _.sortBy([{ n: 'b', a: 2 }, { n: 'a', a: 1 }], ['a']),
    _.kebabCase('Foo Bar_baz'),
    _.merge({ a: { b: 1 } }, { a: { c: 2 } }),
    _.groupBy([6.1, 4.2, 6.3], Math.floor),
    _.uniqBy([2.1, 1.2, 2.3], Math.floor),
    _.get({ a: [{ b: { c: 3 } }] }, 'a[0].b.c'),
    _.isEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
    typeof _.debounce(() => 1, 10),
  ])
}

function dayjsAnswers(dayjsOf: typeof dayjs): string {
  const date = dayjsOf(new Date(2020, 1, 29, 13, 4, 5))
  return JSON.stringify([
    date.format('YYYY-MM-DD HH:mm:ss dddd MMMM A'),
    date.add(1, 'year').format('YYYY-MM-DD'),
    date.startOf('month').format('ddd D'),
    date.diff(dayjsOf(new Date(2020, 0, 1)), 'day'),
    date.isBefore(dayjsOf(new Date(2021, 0, 1))),
  ])
}

/** The 1-based line and 0-based column of the first occurrence of `needle`, as source maps count. */
function positionOf(code: string, needle: string): { line: number; column: number } {
  const index = code.indexOf(needle)
  expect(index).toBeGreaterThanOrEqual(0)
  const before = code.slice(0, index)
  return { line: before.split('\n').length, column: index - (before.lastIndexOf('\n') + 1) }
}

describe.each(engines)('minifyJs with %s', (engine) => {
  it('minifies lodash into code that behaves the same, with a source map back to the original', async () => {
    const { code, map } = await minifyJs(lodashSource, {
      filename: 'vendor/lodash.js',
      engine,
      sourceMap: { source: 'lodash.3f2a9c1d4b5e.js', url: 'lodash.3f2a9c1d4b5e.cmin.js.map' },
    })
    expect(code.length).toBeLessThan(lodashSource.length * 0.2)
    expect(lodashAnswers(load<Lodash>(code))).toBe(lodashAnswers(load<Lodash>(lodashSource)))
    expect(code.startsWith('/**\n * @license\n * Lodash')).toBe(true)
    expect(code.endsWith('\n//# sourceMappingURL=lodash.3f2a9c1d4b5e.cmin.js.map')).toBe(true)

    const parsed = JSON.parse(map!)
    expect(parsed.sources).toEqual(['lodash.3f2a9c1d4b5e.js'])
    expect(parsed.file).toBe('lodash.3f2a9c1d4b5e.cmin.js')
    // `lodash.chunk = chunk;` survives as `<x>.chunk=<y>`: its property must map back to that line.
    const chunkLine = lodashSource.split('\n').findIndex((line) => line.includes('lodash.chunk = chunk;')) + 1
    const at = positionOf(code, '.chunk=')
    const original = originalPositionFor(new TraceMap(map!), { line: at.line, column: at.column + 1 })
    expect(original).toMatchObject({ source: 'lodash.3f2a9c1d4b5e.js', line: chunkLine })
  })

  it('keeps a real library that is already minified working (dayjs)', async () => {
    const { code, map } = await minifyJs(dayjsSource, { filename: 'dayjs.min.js', engine })
    expect(map).toBeUndefined()
    expect(code).not.toContain('sourceMappingURL')
    expect(dayjsAnswers(load<typeof dayjs>(code))).toBe(dayjsAnswers(load<typeof dayjs>(dayjsSource)))
  })

  it('keeps license comments and drops the others', async () => {
    const source = [
      '/*! bang comment */',
      '/** @license MIT */',
      '/* @preserve keep me */',
      '// an ordinary line comment',
      '/* an ordinary block comment */',
      'var answer = 40 + 2;',
    ].join('\n')
    const { code } = await minifyJs(source, { filename: 'a.js', engine })
    expect(code).toContain('/*! bang comment */')
    expect(code).toContain('@license MIT')
    expect(code).toContain('@preserve keep me')
    expect(code).not.toContain('ordinary')
    expect(code).toMatch(/answer=42/)
  })

  it('keeps top-level names of scripts (they are globals) and mangles locals', async () => {
    const source = 'var globalCounter = 1;\nfunction increment(byHowMuch) { globalCounter += byHowMuch; return globalCounter }'
    const { code } = await minifyJs(source, { filename: 'a.js', engine })
    expect(code).toContain('globalCounter')
    expect(code).toContain('function increment(')
    expect(code).not.toContain('byHowMuch')
    const context: { increment?: (by: number) => number } = {}
    runInNewContext(code, context)
    expect(context.increment!(2)).toBe(3)
  })

  it('minifies ES modules with module: true, keeping imports and exports working', async () => {
    const source = [
      "import { join } from 'node:path'",
      "export const separatorOfPaths = join('a', 'b').slice(1, 2)",
      'const privateHelperValue = 20',
      'export function doubled(numberToDouble) { return numberToDouble * 2 + privateHelperValue }',
      'export default function () { return separatorOfPaths }',
    ].join('\n')
    const { code } = await minifyJs(source, { filename: 'js/util.js', engine, module: true })
    expect(code).toMatch(/^import\{join as \w+\}from"node:path";/)
    expect(code).toContain('export')
    expect(code).not.toContain('privateHelperValue')
    const mod = (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as {
      separatorOfPaths: string
      doubled: (value: number) => number
      default: () => string
    }
    expect(mod.separatorOfPaths).toBe('/')
    expect(mod.doubled(1)).toBe(22)
    expect(mod.default()).toBe('/')
  })

  it('treats .mjs files as modules by default', async () => {
    const { code } = await minifyJs('import x from "./x.mjs"\nexport const y = x + 1', { filename: 'a.mjs', engine })
    expect(code).toMatch(/^import \w+ from"\.\/x\.mjs";export const y=\w+\+1;?$/)
  })

  it('names the map after the url unless told otherwise', async () => {
    const first = await minifyJs('var a = 1', {
      filename: 'a.js',
      engine,
      sourceMap: { source: 'a.1.js', url: '/static/js/a.1.cmin.js.map?v=2' },
    })
    expect(JSON.parse(first.map!).file).toBe('a.1.cmin.js')
    const second = await minifyJs('var a = 1', {
      filename: 'a.js',
      engine,
      sourceMap: { source: 'a.1.js', url: 'a.map', file: 'a.1.cmin.js' },
    })
    expect(JSON.parse(second.map!).file).toBe('a.1.cmin.js')
    expect(second.code.endsWith('//# sourceMappingURL=a.map')).toBe(true)
  })

  it('reports a syntax error with file:line:col', async () => {
    const source = 'var a = 1;\nfunction f() {\n  return a +;\n}\n'
    const error = await rejection(minifyJs(source, { filename: 'js/app.js', engine }))
    expect(error.code).toBe('ERR_CONVOY_STEP')
    expect(error).toMatchObject({ file: 'js/app.js', line: 3, column: 13 })
    expect(error.message).toMatch(/^@convoy\/minify: js\/app\.js:3:13: \S/)
    expect(error.cause).toBeDefined()
  })

  it('reports the column in characters even after tabs and wide characters', async () => {
    const source = 'const s = "日本語";\nfunction f() {\n\tif (s) {\n\t\treturn s +;\n\t}\n}'
    const error = await rejection(minifyJs(source, { filename: 'tabs.js', engine }))
    expect(error).toMatchObject({ line: 4, column: 13 })
    expect(source.split('\n')[3]![error.column! - 1]).toBe(';')
    const wideSource = 'const s = "日本語"; let = = 2'
    const wide = await rejection(minifyJs(wideSource, { filename: 'wide.js', engine }))
    expect(wide.line).toBe(1)
    // The engines blame different tokens of `let = =`, but always an `=`, counted in characters.
    expect(wideSource[wide.column! - 1]).toBe('=')
  })
})

describe('minifyJs engines', () => {
  it('explains how to install a missing optional engine', async () => {
    const missing = Object.assign(new Error("Cannot find package '@swc/core'"), { code: 'ERR_MODULE_NOT_FOUND' })
    const engine = createSwcEngine(() => Promise.reject(missing))
    const error = await rejection(engine.minify('var a', { filename: 'a.js', module: false, sourceMap: undefined }))
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error.message).toBe("@convoy/minify: the 'swc' JS engine needs @swc/core: npm install -D @swc/core")
    expect(error.cause).toBe(missing)
  })

  it('loads the optional engine only when it is chosen, and once', async () => {
    let loads = 0
    const engine = createSwcEngine(async () => {
      loads += 1
      return import('@swc/core')
    })
    expect(loads).toBe(0)
    await engine.minify('var a = 1', { filename: 'a.js', module: false, sourceMap: undefined })
    await engine.minify('var b = 2', { filename: 'b.js', module: false, sourceMap: undefined })
    expect(loads).toBe(1)
  })

  it('rejects an unknown engine as a configuration error', async () => {
    const error = await rejection(minifyJs('var a', { filename: 'a.js', engine: 'esbuild' as JsEngineName }))
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error.message).toBe("@convoy/minify: unknown JS engine 'esbuild': use 'terser' or 'swc'")
  })
})

describe('ES modules named .js', () => {
  it.each(['terser', 'swc'] as const)('%s minifies an ES module that ships as .js', async (engine) => {
    const code = "import { ref } from './vue.js'\nexport function counter(start) {\n  const value = ref(start)\n  return value\n}\n"
    const result = await minifyJs(code, { filename: 'vendor/vue.esm-browser.js', engine })
    expect(result.code).toMatch(/^import\{ref(?: as \w)?\}from"\.\/vue\.js";export function counter\(\w\)\{return \w+\(\w\)\}/)
  })
})
