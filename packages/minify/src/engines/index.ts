import { ConvoyError } from '@convoy/errors'
import type { CssEngine, CssEngineName, JsEngine, JsEngineName } from '../types.js'
import { cleanCssEngine } from './clean-css.js'
import { createLightningCssEngine } from './lightningcss.js'
import { createSwcEngine } from './swc.js'
import { terserEngine } from './terser.js'

const jsEngines: Record<JsEngineName, JsEngine> = { terser: terserEngine, swc: createSwcEngine() }
const cssEngines: Record<CssEngineName, CssEngine> = { 'clean-css': cleanCssEngine, lightningcss: createLightningCssEngine() }

export function jsEngine(name: string): JsEngine {
  return pick(jsEngines, name, 'JS')
}

export function cssEngine(name: string): CssEngine {
  return pick(cssEngines, name, 'CSS')
}

/**
 * Checks that the chosen engines can be used, without loading them: an unknown name, or an optional engine whose
 * package is not installed, throws `ERR_CONVOY_CONFIG` (the message names the engine and the install command).
 * `false` (no minification of that kind) and the default engines, which are dependencies, always pass.
 *
 * @example
 * assertEnginesInstalled({ js: 'swc', css: 'lightningcss' })
 * // throws "@convoy/minify: the 'swc' JS engine needs @swc/core: npm install -D @swc/core" when @swc/core is missing
 */
export function assertEnginesInstalled(engines: { readonly js?: JsEngineName | false | undefined; readonly css?: CssEngineName | false | undefined }): void {
  if (engines.js !== undefined && engines.js !== false) jsEngine(engines.js).assertInstalled?.()
  if (engines.css !== undefined && engines.css !== false) cssEngine(engines.css).assertInstalled?.()
}

function pick<E>(engines: Record<string, E>, name: string, kind: string): E {
  const engine = Object.hasOwn(engines, name) ? engines[name] : undefined
  if (engine === undefined) {
    const known = Object.keys(engines).map((key) => `'${key}'`).join(' or ')
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/minify: unknown ${kind} engine '${name}': use ${known}`)
  }
  return engine
}
