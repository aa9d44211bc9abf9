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

function pick<E>(engines: Record<string, E>, name: string, kind: string): E {
  const engine = Object.hasOwn(engines, name) ? engines[name] : undefined
  if (engine === undefined) {
    const known = Object.keys(engines).map((key) => `'${key}'`).join(' or ')
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/minify: unknown ${kind} engine '${name}': use ${known}`)
  }
  return engine
}
