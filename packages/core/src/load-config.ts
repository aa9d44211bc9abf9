import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConvoyError } from '@convoy/errors'
import { ENCODING_NAMES, ENCODINGS, isEncodingName } from '@convoy/gzip'
import { isStorage } from '@convoy/storage'
import { isTemplateSource } from './carpool-templates.js'
import type { ConvoyConfig } from './config.js'

/** The names looked up, in order, in the working directory. */
export const CONFIG_FILES = ['convoy.config.ts', 'convoy.config.mts', 'convoy.config.js', 'convoy.config.mjs', 'convoy.config.json'] as const

/** A loaded config, with the file it came from (paths in it are relative to that file's folder). */
export interface LoadedConfig {
  readonly config: ConvoyConfig
  /** Absolute path of the config file, or `undefined` when none was found. */
  readonly file: string | undefined
  /** The folder relative paths in the config are resolved against. */
  readonly directory: string
}

const KNOWN_KEYS = new Set<keyof ConvoyConfig>([
  'sources', 'out', 'storage', 'baseUrl', 'ignore', 'hash', 'minify', 'compress', 'useExistingMin', 'rewriteJsModules', 'strict', 'cacheDir', 'bundles', 'templates',
  'followSymlinks', 'lockTimeout',
])

/**
 * Finds and loads the config: `file` when given, else the first of {@link CONFIG_FILES} in `cwd`, else an empty config.
 * TypeScript configs are loaded through jiti, so no build step is needed.
 */
export async function loadConfig(options: { cwd: string; file?: string | undefined }): Promise<LoadedConfig> {
  const file = options.file === undefined ? findConfigFile(options.cwd) : resolve(options.cwd, options.file)
  if (file === undefined) return { config: {}, file: undefined, directory: options.cwd }
  if (!existsSync(file)) throw configError(file, 'file not found')
  let value: unknown
  try {
    value = await importConfig(file)
  } catch (error) {
    throw configError(file, `could not be loaded: ${describe(error)}`, error)
  }
  return { config: validateConfig(value, file), file, directory: dirname(file) }
}

function findConfigFile(cwd: string): string | undefined {
  for (const name of CONFIG_FILES) {
    const candidate = resolve(cwd, name)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

async function importConfig(file: string): Promise<unknown> {
  const extension = extname(file)
  if (extension === '.json') return JSON.parse(await readFile(file, 'utf8')) as unknown
  if (extension === '.ts' || extension === '.mts' || extension === '.cts') {
    const { createJiti } = await import('jiti')
    const jiti = createJiti(import.meta.url, { moduleCache: false })
    return jiti.import(file, { default: true })
  }
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown }
  return module.default
}

function validateConfig(value: unknown, file: string): ConvoyConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(file, 'must export an object (export default defineConfig({ ... }))')
  }
  const config = value as Record<string, unknown>
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key as keyof ConvoyConfig)) {
      throw configError(file, `unknown option "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`)
    }
  }
  const expect = (key: string, ok: boolean, what: string): void => {
    if (config[key] !== undefined && !ok) throw configError(file, `"${key}" must be ${what}, got ${JSON.stringify(config[key]) ?? typeof config[key]}`)
  }
  const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '')
  expect('sources', isStringArray(config.sources), 'an array of directory paths')
  expect('out', typeof config.out === 'string' && config.out !== '', 'a directory path')
  expect('baseUrl', typeof config.baseUrl === 'string', 'a string such as "/static/"')
  expect('ignore', isStringArray(config.ignore), 'an array of glob patterns')
  expect('useExistingMin', typeof config.useExistingMin === 'boolean', 'true or false')
  expect('rewriteJsModules', typeof config.rewriteJsModules === 'boolean', 'true or false')
  expect('strict', typeof config.strict === 'boolean', 'true or false')
  expect(
    'templates',
    Array.isArray(config.templates) && config.templates.every((entry) => (typeof entry === 'string' && entry !== '') || isTemplateSource(entry)),
    'an array of glob patterns (Nunjucks templates) or { files: [globs], scanner } entries',
  )
  expect('followSymlinks', config.followSymlinks === 'inside' || config.followSymlinks === 'outside', "'inside' or 'outside'")
  expect('lockTimeout', typeof config.lockTimeout === 'number' && Number.isFinite(config.lockTimeout) && config.lockTimeout >= 0, 'a number of seconds, at least 0')
  const bundles = config.bundles as Record<string, unknown> | undefined
  expect('bundles', typeof bundles === 'object' && bundles !== null && !Array.isArray(bundles) && Object.values(bundles).every((bundle) => {
    const b = bundle as Record<string, unknown> | null
    return typeof b === 'object' && b !== null && (b.kind === 'css' || b.kind === 'js') && isStringArray(b.members) && (b.members as unknown[]).length > 0
  }), "{ name: { kind: 'css' | 'js', members: ['css/a.css', …] } }")
  expect('cacheDir', config.cacheDir === false || (typeof config.cacheDir === 'string' && config.cacheDir !== ''), 'a directory path or false')
  expect('storage', isStorage(config.storage), 'a Storage (e.g. createS3Storage({...}))')
  const hash = config.hash as Record<string, unknown> | undefined
  expect('hash', typeof hash === 'object' && hash !== null && (hash.algorithm === undefined || typeof hash.algorithm === 'string') && (hash.length === undefined || (Number.isInteger(hash.length) && (hash.length as number) > 0)), '{ algorithm?: string, length?: positive integer }')
  const minify = config.minify as Record<string, unknown> | boolean | undefined
  expect('minify', typeof minify === 'boolean' || (typeof minify === 'object' && minify !== null && [undefined, false, 'terser', 'swc'].includes(minify.js as string) && [undefined, false, 'clean-css', 'lightningcss'].includes(minify.css as string)), "true, false or { js?: 'terser' | 'swc' | false, css?: 'clean-css' | 'lightningcss' | false }")
  expect('compress', isCompressConfig(config.compress), `true, false or { encodings?: [${ENCODING_NAMES.map((name) => `'${name}'`).join(', ')}], levels?: { ${ENCODING_NAMES.map((name) => `${name}?: 0–${ENCODINGS[name].maxLevel}`).join(', ')} }, maxRatio?: a number above 0, at most 1 }`)
  return config
}

function isCompressConfig(value: unknown): boolean {
  if (typeof value === 'boolean') return true
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const compress = value as Record<string, unknown>
  const level = (v: unknown, max: number): boolean => v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max)
  const levels = compress.levels as Record<string, unknown> | undefined
  return (
    Object.keys(compress).every((key) => ['encodings', 'levels', 'maxRatio', 'largeInput', 'gzip', 'brotli'].includes(key)) &&
    (compress.encodings === undefined || (Array.isArray(compress.encodings) && compress.encodings.every(isEncodingName))) &&
    (levels === undefined || (typeof levels === 'object' && levels !== null && Object.entries(levels).every(([name, v]) => isEncodingName(name) && level(v, ENCODINGS[name].maxLevel)))) &&
    (compress.maxRatio === undefined || (typeof compress.maxRatio === 'number' && compress.maxRatio > 0 && compress.maxRatio <= 1)) &&
    // The deprecated form: a level, or false for none.
    (compress.gzip === undefined || compress.gzip === false || level(compress.gzip, ENCODINGS.gzip.maxLevel)) &&
    (compress.brotli === undefined || compress.brotli === false || level(compress.brotli, ENCODINGS.br.maxLevel))
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error)
}

function configError(file: string, problem: string, cause?: unknown): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: config ${file}: ${problem}`, { file, cause })
}
