import { stripVTControlCharacters } from 'node:util'
import type * as Swc from '@swc/core'
import { engineError, syntaxError, type ProblemLocation } from '../errors.js'
import type { JsEngine, JsEngineOptions } from '../types.js'
import { interop, lazyModule, type ModuleLoader, type ModuleResolver } from './load.js'

/**
 * swc's minifier with terser-equivalent settings. `@swc/core` is an optional peer dependency, imported on first
 * use; `load` and `resolve` are injectable so tests can simulate its absence.
 *
 * @example
 * const engine = createSwcEngine()
 * await engine.minify('let a = 1', { filename: 'a.js', module: false, sourceMap: undefined })
 */
export function createSwcEngine(load: ModuleLoader<typeof Swc | { default: typeof Swc }> = () => import('@swc/core'), resolve?: ModuleResolver): JsEngine {
  const swc = lazyModule('@swc/core', 'swc', 'JS', async () => interop<typeof Swc>(await load()), resolve)
  return {
    name: 'swc',
    assertInstalled: swc.assertInstalled,
    async minify(code, options) {
      const { minify } = await swc()
      const run = (module: boolean): Promise<Swc.Output> =>
        minify(code, {
          compress: {},
          mangle: {},
          module,
          // Like terser's `module`: only module scope is private, a script's top level is global.
          toplevel: module,
          format: { comments: 'some' },
          sourceMap: options.sourceMap !== undefined,
          inlineSourcesContent: false,
        })
      let output: Swc.Output
      try {
        output = await run(options.module)
      } catch (error) {
        // Many ES modules ship as `.js` (vue.esm-browser.js): terser takes them as scripts, swc refuses. Retry as a module.
        const moduleSyntax = !options.module && /cannot be used outside of module code/.test(String(error instanceof Error ? error.message : error))
        try {
          if (!moduleSyntax) throw error
          output = await run(true)
        } catch (retryError) {
          throw toConvoyError(code, options, retryError)
        }
      }
      return finish(output, options)
    },
  }
}

function finish(output: Swc.Output, { sourceMap }: JsEngineOptions): { code: string; map?: string } {
  if (!sourceMap) return { code: output.code }
  const map = JSON.parse(output.map ?? '{"version":3,"names":[],"mappings":""}') as Record<string, unknown>
  map.sources = [sourceMap.source]
  map.file = sourceMap.file
  delete map.sourcesContent
  // swc leaves the comment to the caller; terser writes it the same way.
  return { code: `${output.code}\n//# sourceMappingURL=${sourceMap.url}`, map: JSON.stringify(map) }
}

function toConvoyError(code: string, { filename }: JsEngineOptions, error: unknown) {
  const text = stripVTControlCharacters(error instanceof Error ? error.message : String(error))
  const reason = /^\s*[x×]\s+(.+)$/m.exec(text)?.[1]?.trim()
  if (reason === undefined) return engineError(filename, 'swc', error)
  return syntaxError(filename, reason, locateSwcProblem(code, text), error)
}

/**
 * swc reports positions only as a drawn snippet (`  3 |   return a +;` then a `^` under the culprit, with tabs
 * drawn as 4 spaces and wide characters as 2 columns), so the caret is mapped back onto the source line.
 */
export function locateSwcProblem(code: string, report: string): ProblemLocation {
  const lines = report.split('\n')
  const caretAt = lines.findIndex((line) => /^\s*:\s*\^/.test(line))
  if (caretAt <= 0) return {}
  const numbered = /^\s*(\d+) \|/.exec(lines[caretAt - 1] ?? '')
  const caretLine = lines[caretAt] ?? ''
  if (!numbered?.[1]) return {}
  const line = Number(numbered[1])
  // The snippet's code starts two characters after the gutter's `|` (drawn as `:` on the caret line).
  const width = caretLine.indexOf('^') - (caretLine.indexOf(':') + 2)
  const source = code.split('\n')[line - 1]
  if (source === undefined || width < 0) return { line }
  let drawn = 0
  let index = 0
  for (const char of source) {
    if (drawn >= width) break
    drawn += char === '\t' ? 4 : isWide(char.codePointAt(0) ?? 0) ? 2 : 1
    index += char.length
  }
  return { line, column: index + 1 }
}

function isWide(point: number): boolean {
  return (
    (point >= 0x1100 && point <= 0x115f) ||
    (point >= 0x2e80 && point <= 0xa4cf) ||
    (point >= 0xac00 && point <= 0xd7a3) ||
    (point >= 0xf900 && point <= 0xfaff) ||
    (point >= 0xfe30 && point <= 0xfe4f) ||
    (point >= 0xff00 && point <= 0xff60) ||
    (point >= 0xffe0 && point <= 0xffe6) ||
    (point >= 0x1f300 && point <= 0x1faff) ||
    (point >= 0x20000 && point <= 0x3fffd)
  )
}
