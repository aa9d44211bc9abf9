import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConvoyError } from '@convoy/errors'
import type { Storage } from './storage.js'

/** Which minifier runs for each kind of file; `false` turns one off. */
export interface MinifyConfig {
  /** Default `'terser'`; `'swc'` needs the optional peer `@swc/core`. */
  readonly js?: 'terser' | 'swc' | false
  /** Default `'clean-css'`; `'lightningcss'` needs the optional peer `lightningcss`. */
  readonly css?: 'clean-css' | 'lightningcss' | false
}

/** Which precompressed siblings are written. */
export interface CompressConfig {
  /** gzip level 1–9 (default 9), or `false` for none. */
  readonly gzip?: number | false
  /** brotli quality 0–11 (default 11), or `false` for none. */
  readonly brotli?: number | false
}

/**
 * The `convoy.config.*` file. Paths are relative to the config file's folder; command-line flags override it.
 *
 * @example
 * // convoy.config.ts
 * import { defineConfig } from '@convoy/core'
 * export default defineConfig({ sources: ['assets', 'vendor'], out: 'public', baseUrl: '/static/' })
 */
export interface ConvoyConfig {
  /** Source directories, in order: when two hold the same logical path, the first wins. */
  readonly sources?: readonly string[]
  /** Output directory (a filesystem storage). Ignored when `storage` is given. */
  readonly out?: string
  /** Any `Storage`, e.g. `createS3Storage({...})`. */
  readonly storage?: Storage
  /** Public URL prefix of the collected files; root-relative references under it point into the tree. Default `/static/`. */
  readonly baseUrl?: string
  /** Extra glob patterns (picomatch, matched against logical paths) of files to leave out. */
  readonly ignore?: readonly string[]
  /** Fingerprint settings. Default md5, 12 hex characters. */
  readonly hash?: { readonly algorithm?: string; readonly length?: number }
  /** `false` turns minification off; an object picks the engines. Default on with terser and clean-css. */
  readonly minify?: boolean | MinifyConfig
  /** `false` turns precompression off. Default gzip 9 and brotli 11. */
  readonly compress?: boolean | CompressConfig
  /** Use a shipped `foo.min.css` as the minified form of `foo.css`. Default `true`. */
  readonly useExistingMin?: boolean
  /** Rewrite relative ES module specifiers (`import './x.js'`) to fingerprinted names. Default `false`. */
  readonly rewriteJsModules?: boolean
  /** Turn warnings (missing references, minify errors) into errors. Default `false`. */
  readonly strict?: boolean
  /** Persistent cache of minified and compressed outputs, or `false` for none. Default `node_modules/.cache/convoy`. */
  readonly cacheDir?: string | false
  /** Carpool bundles to build at collect time: name → kind and logical paths, in order. */
  readonly bundles?: Readonly<Record<string, { readonly kind: 'css' | 'js'; readonly members: readonly string[] }>>
  /** Globs of templates whose `{% carpool %}` blocks `collect` builds ahead of time. */
  readonly templates?: readonly string[]
  /**
   * Which symbolic links in the sources are followed. Default `'inside'`: only links whose real path stays inside a
   * source directory; any other is skipped with a warning. `'outside'` follows every link: whatever it points at is
   * published to the world, so use it only for links you made on purpose (a vendored folder).
   */
  readonly followSymlinks?: 'inside' | 'outside'
  /** Seconds to wait while another `collect` or `clean` holds the output directory's lock. Default `0`: fail at once with `ERR_CONVOY_CONFLICT`. */
  readonly lockTimeout?: number
}

/**
 * Types a config object; returns it unchanged.
 *
 * @example
 * export default defineConfig({ sources: ['static'], out: 'public' })
 */
export function defineConfig(config: ConvoyConfig): ConvoyConfig {
  return config
}

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
  expect('templates', isStringArray(config.templates), 'an array of glob patterns')
  expect('followSymlinks', config.followSymlinks === 'inside' || config.followSymlinks === 'outside', "'inside' or 'outside'")
  expect('lockTimeout', typeof config.lockTimeout === 'number' && Number.isFinite(config.lockTimeout) && config.lockTimeout >= 0, 'a number of seconds, at least 0')
  const bundles = config.bundles as Record<string, unknown> | undefined
  expect('bundles', typeof bundles === 'object' && bundles !== null && !Array.isArray(bundles) && Object.values(bundles).every((bundle) => {
    const b = bundle as Record<string, unknown> | null
    return typeof b === 'object' && b !== null && (b.kind === 'css' || b.kind === 'js') && isStringArray(b.members) && (b.members as unknown[]).length > 0
  }), "{ name: { kind: 'css' | 'js', members: ['css/a.css', …] } }")
  expect('cacheDir', config.cacheDir === false || (typeof config.cacheDir === 'string' && config.cacheDir !== ''), 'a directory path or false')
  expect('storage', isStorageLike(config.storage), 'a Storage (e.g. createS3Storage({...}))')
  const hash = config.hash as Record<string, unknown> | undefined
  expect('hash', typeof hash === 'object' && hash !== null && (hash.algorithm === undefined || typeof hash.algorithm === 'string') && (hash.length === undefined || (Number.isInteger(hash.length) && (hash.length as number) > 0)), '{ algorithm?: string, length?: positive integer }')
  const minify = config.minify as Record<string, unknown> | boolean | undefined
  expect('minify', typeof minify === 'boolean' || (typeof minify === 'object' && minify !== null && [undefined, false, 'terser', 'swc'].includes(minify.js as string) && [undefined, false, 'clean-css', 'lightningcss'].includes(minify.css as string)), "true, false or { js?: 'terser' | 'swc' | false, css?: 'clean-css' | 'lightningcss' | false }")
  const compress = config.compress as Record<string, unknown> | boolean | undefined
  const level = (v: unknown, max: number): boolean => v === undefined || v === false || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max)
  expect('compress', typeof compress === 'boolean' || (typeof compress === 'object' && compress !== null && level(compress.gzip, 9) && level(compress.brotli, 11)), 'true, false or { gzip?: 1–9 | false, brotli?: 0–11 | false }')
  return config
}

function isStorageLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const storage = value as Record<string, unknown>
  return ['read', 'write', 'exists', 'delete', 'list', 'stat', 'url'].every((method) => typeof storage[method] === 'function')
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error)
}

function configError(file: string, problem: string, cause?: unknown): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: config ${file}: ${problem}`, { file, cause })
}
