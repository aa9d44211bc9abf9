import { ConvoyError } from '@convoy/errors'
import { cssEngine } from './engines/index.js'
import { locate, syntaxError } from './errors.js'
import type { CssTargets, MinifyCssOptions, MinifyCssResult } from './types.js'

const major = (version: number) => version << 16

/**
 * The browsers lightningcss writes for unless `targets` says otherwise: those of 2016–2017 and IE 11. It then never
 * introduces syntax they cannot read (range media queries, `#rrggbbaa` colors) and keeps the prefixes and
 * fallbacks they need. Newer targets give slightly smaller output and drop what older browsers relied on.
 */
export const DEFAULT_CSS_TARGETS: CssTargets = Object.freeze({
  ie: major(11),
  edge: major(15),
  chrome: major(49),
  firefox: major(52),
  safari: major(10),
  ios_saf: major(10),
  opera: major(36),
  samsung: major(5),
})

/** The offset of the first control character other than whitespace: real stylesheets have none, binary files do. */
function firstControlCharacter(code: string): number {
  for (let index = 0; index < code.length; index += 1) {
    const unit = code.charCodeAt(index)
    if ((unit < 0x20 && unit !== 0x09 && unit !== 0x0a && unit !== 0x0c && unit !== 0x0d) || unit === 0x7f) return index
  }
  return -1
}

/**
 * Minifies CSS with clean-css (default, level 1) or lightningcss. References are left exactly as written
 * (no rebasing, no `@import` inlining) and `/*! … *\/` comments are kept. Input the engine cannot fully parse
 * rejects with `ConvoyError` `ERR_CONVOY_STEP` carrying `file`, `line` and `column`.
 *
 * @example
 * const { code } = await minifyCss('a { color: #ff0000 }', { filename: 'css/base.css' })
 * // 'a{color:red}'
 */
export async function minifyCss(code: string, options: MinifyCssOptions): Promise<MinifyCssResult> {
  const { filename } = options
  const engine = cssEngine(options.engine ?? 'clean-css')
  const level = options.level ?? 1
  if (level !== 1 && level !== 2) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/minify: the clean-css level must be 1 or 2, got ${String(level)}`)
  }
  const control = firstControlCharacter(code)
  if (control !== -1) {
    const hex = code.charCodeAt(control).toString(16).toUpperCase().padStart(4, '0')
    const reason = `not a stylesheet: control character U+${hex} (a binary file named .css?)`
    throw syntaxError(filename, reason, locate(code, control), undefined)
  }
  return engine.minify(code, { filename, level, targets: options.targets ?? DEFAULT_CSS_TARGETS })
}
