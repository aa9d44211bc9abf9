import type * as Lightning from 'lightningcss'
import { engineError, syntaxError } from '../errors.js'
import { keepLicenseComments } from '../license-comments.js'
import type { CssEngine } from '../types.js'
import { interop, lazyModule, type ModuleLoader, type ModuleResolver } from './load.js'

interface LightningError {
  readonly message: string
  readonly loc?: { readonly line: number; readonly column: number } | null
}

/**
 * The transforms that only lower the author's modern CSS for old targets (`margin-inline-start` into dozens of
 * `:lang()` rules, `:is()` into `-webkit-any()` copies, color fallbacks, added prefixes): the original did not work
 * in those browsers either, so they would only make the file bigger. Everything else stays on, because the
 * minifier also uses those features to decide what it may print (`min-width:` vs range syntax, `rgba()` vs `#rgba`).
 */
function bloatingFeatures({ Features }: typeof Lightning): number {
  const colorLowering = Features.Colors & ~Features.HexAlphaColors & ~Features.SpaceSeparatedColorNotation
  return Features.VendorPrefixes | Features.LogicalProperties | Features.Selectors | Features.Nesting | colorLowering
}

/**
 * lightningcss. `lightningcss` is an optional peer dependency, imported on first use; `load` and `resolve` are
 * injectable so tests can simulate its absence. Strict parsing (error recovery would drop whole rules), no dependency analysis (so
 * `url()` and `@import` stay as written), and browser targets so it never writes syntax that older browsers cannot
 * read (without targets it turns `min-width:` into range syntax and drops fallback declarations).
 *
 * @example
 * const engine = createLightningCssEngine()
 * await engine.minify('a { color: #ff0000 }', { filename: 'a.css', level: 1, targets: { safari: 14 << 16 } })
 */
export function createLightningCssEngine(
  load: ModuleLoader<typeof Lightning | { default: typeof Lightning }> = () => import('lightningcss'),
  resolve?: ModuleResolver,
): CssEngine {
  const lightning = lazyModule('lightningcss', 'lightningcss', 'CSS', async () => interop<typeof Lightning>(await load()), resolve)
  return {
    name: 'lightningcss',
    assertInstalled: lightning.assertInstalled,
    async minify(code, { filename, targets }) {
      const module = await lightning()
      let result: ReturnType<typeof module.transform>
      try {
        result = module.transform({
          filename,
          code: Buffer.from(code),
          minify: true,
          targets,
          exclude: bloatingFeatures(module),
          errorRecovery: false,
        })
      } catch (error) {
        const problem = error as Partial<LightningError> | null
        if (typeof problem?.message !== 'string' || !problem.loc) throw engineError(filename, 'lightningcss', error)
        throw syntaxError(filename, problem.message, { line: problem.loc.line, column: problem.loc.column }, error)
      }
      const warnings = result.warnings.map(({ message, loc }) => `${filename}:${loc.line}:${loc.column}: ${message}`)
      return { code: keepLicenseComments(code, result.code.toString()), warnings }
    },
  }
}
