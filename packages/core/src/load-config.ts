import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConvoyError } from '@convoy/errors'
import { ENCODING_NAMES, ENCODINGS, isEncodingName } from '@convoy/gzip'
import { DELTA_ENCODING_NAMES, isStorage } from '@convoy/storage'
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
  const shown = displayPath(file, options.cwd)
  if (!existsSync(file)) throw configError(file, shown, 'file not found')
  let value: unknown
  try {
    value = await importConfig(file)
  } catch (error) {
    if (error instanceof ConfigSyntaxError) throw configError(file, `${shown}:${error.line}:${error.column}`, error.message, error.cause, error)
    throw configError(file, shown, `could not be loaded: ${describe(error)}`, error)
  }
  return { config: validateConfig(value, file, shown), file, directory: dirname(file) }
}

function findConfigFile(cwd: string): string | undefined {
  for (const name of CONFIG_FILES) {
    const candidate = resolve(cwd, name)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

/** A syntax error in the config file, at a known place. */
class ConfigSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    cause: unknown,
  ) {
    super(message, { cause })
  }
}

async function importConfig(file: string): Promise<unknown> {
  const extension = extname(file)
  if (extension === '.json') return parseJson(await readFile(file, 'utf8'))
  if (extension === '.ts' || extension === '.mts' || extension === '.cts') {
    return importWithJiti(file).catch((error: unknown) => {
      throw locatedByJiti(file, error) ?? error
    })
  }
  // A .js file in a CommonJS package may still be written as an ES module (`export default`), which Node 20 refuses
  // (with a warning on stderr) and Node 22 detects: jiti takes both forms on every Node version.
  if (extension === '.js' && (await packageTypeOf(file)) !== 'module') return importWithJiti(file, false).catch((error: unknown) => {
    throw locatedByJiti(file, error) ?? error
  })
  try {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown }
    return module.default
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    // Node's ESM syntax errors do not say where; jiti's parser (babel) does. Nothing of the file ran, so parsing it again is safe.
    try {
      return await importWithJiti(file, false)
    } catch (again) {
      throw locatedByJiti(file, again, describe(error)) ?? error
    }
  }
}

/** The `type` of the package.json nearest to `file` (what decides how Node reads a .js file). */
async function packageTypeOf(file: string): Promise<string | undefined> {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const text = await readFile(resolve(dir, 'package.json'), 'utf8').catch(() => undefined)
    if (text !== undefined) {
      try {
        const type = (JSON.parse(text) as { type?: unknown }).type
        return typeof type === 'string' ? type : undefined
      } catch {
        return undefined
      }
    }
    if (dirname(dir) === dir) return undefined
  }
}

async function importWithJiti(file: string, tryNative?: false): Promise<unknown> {
  const { createJiti } = await import('jiti')
  const jiti = createJiti(import.meta.url, { moduleCache: false, ...(tryNative === undefined ? {} : { tryNative }) })
  return jiti.import(file, { default: true })
}

/** JSON.parse, with a syntax error reported at its line and column (V8 gives an offset, a snippet, or nothing). */
function parseJson(text: string): unknown {
  // An editor's byte-order mark is not a syntax error.
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text
  try {
    return JSON.parse(source) as unknown
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const { line, column } = lineAndColumn(source, jsonErrorOffset(source))
    // V8's words without its position or snippet, which differ between Node versions:
    // "Expected ',' or '}' after property value in JSON at position 40 (line 3 column 5)", "Unexpected token ']', "…" is not valid JSON".
    const cause = message
      .replace(/\s*(?:in JSON )?at position \d+.*$/s, '')
      .replace(/,? ?(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
      .trim()
    throw new ConfigSyntaxError(cause === '' ? 'not valid JSON' : cause, line, column, error)
  }
}

/** The offset of the first character that makes `text` invalid JSON (its length when it ends too early). */
function jsonErrorOffset(text: string): number {
  let at = 0
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
  const fail = (): never => {
    throw new RangeError(String(at))
  }
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at += 1
  }
  const string = (): void => {
    at += 1
    while (at < text.length) {
      const char = text[at]!
      if (char === '"') {
        at += 1
        return
      }
      if (char === '\\') {
        const escape = text[at + 1]
        if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6
        else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) at += 2
        else {
          at += 1
          fail()
        }
        continue
      }
      if (char < ' ') fail()
      at += 1
    }
    fail()
  }
  const members = (close: string, member: () => void): void => {
    at += 1
    space()
    if (text[at] === close) {
      at += 1
      return
    }
    for (;;) {
      member()
      space()
      if (text[at] === close) {
        at += 1
        return
      }
      if (text[at] !== ',') fail()
      at += 1
    }
  }
  const value = (): void => {
    space()
    const char = text[at]
    if (char === '{') {
      members('}', () => {
        space()
        if (text[at] !== '"') fail()
        string()
        space()
        if (text[at] !== ':') fail()
        at += 1
        value()
      })
    } else if (char === '[') members(']', value)
    else if (char === '"') string()
    else {
      const word = ['true', 'false', 'null'].find((literal) => text.startsWith(literal, at))
      number.lastIndex = at
      const digits = word === undefined ? number.exec(text)?.[0] : word
      if (digits === undefined) fail()
      at += digits!.length
    }
  }
  try {
    value()
    space()
    if (at < text.length) fail()
    return text.length
  } catch (error) {
    if (error instanceof RangeError && error.message === String(at)) return at
    throw error
  }
}

/** jiti's parse errors end with `file:line:col`, babel's 0-based column. */
function locatedByJiti(file: string, error: unknown, message?: string): ConfigSyntaxError | undefined {
  const text = error instanceof Error ? error.message : String(error)
  const match = /\n\s*(.+):(\d+):(\d+)\s*$/.exec(text)
  if (match === null || resolve(match[1]!) !== file) return undefined
  return new ConfigSyntaxError(message ?? describe(error).replace(/^(?:ParseError|SyntaxError): /, '').trim(), Number(match[2]), Number(match[3]) + 1, error)
}

/** 1-based line and column (in characters) of a string offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return { line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1 }
}

/** The config file as the user would name it: relative to the working directory when inside it. */
function displayPath(file: string, cwd: string): string {
  const path = relative(cwd, file)
  return path === '' || path.startsWith('..') || isAbsolute(path) ? file : path
}

function validateConfig(value: unknown, file: string, shown: string): ConvoyConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(file, shown, 'must export an object (export default defineConfig({ ... }))')
  }
  const config = value as Record<string, unknown>
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key as keyof ConvoyConfig)) {
      throw configError(file, shown, `unknown option "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`)
    }
  }
  const expect = (key: string, ok: boolean, what: string): void => {
    if (config[key] !== undefined && !ok) throw configError(file, shown, `"${key}" must be ${what}, got ${JSON.stringify(config[key]) ?? typeof config[key]}`)
  }
  const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '')
  expect('sources', isStringArray(config.sources), 'an array of directory paths')
  expect('out', typeof config.out === 'string' && config.out !== '', 'a directory path')
  expect('baseUrl', typeof config.baseUrl === 'string' && isBaseUrl(config.baseUrl), 'a URL path from the site\'s root such as "/static/", or an absolute URL such as "https://cdn.example.com/static/"')
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
  expect('compress', isCompressConfig(config.compress), `true, false or { encodings?: [${ENCODING_NAMES.map((name) => `'${name}'`).join(', ')}], levels?: { ${ENCODING_NAMES.map((name) => `${name}?: 0–${ENCODINGS[name].maxLevel}`).join(', ')} }, maxRatio?: a number above 0, at most 1, deltas?: true, false or { versions?: 1–20, minBytes?: bytes, encodings?: [${DELTA_ENCODING_NAMES.map((name) => `'${name}'`).join(', ')}] } }`)
  return config
}

/** A base URL every page can use: root-relative (`/static/`), protocol-relative (`//cdn/`) or absolute (`https://…`). */
export function isBaseUrl(value: string): boolean {
  return value.startsWith('/') || /^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value)
}

function isCompressConfig(value: unknown): boolean {
  if (typeof value === 'boolean') return true
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const compress = value as Record<string, unknown>
  const level = (v: unknown, max: number): boolean => v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max)
  const levels = compress.levels as Record<string, unknown> | undefined
  return (
    Object.keys(compress).every((key) => ['encodings', 'levels', 'maxRatio', 'largeInput', 'deltas', 'gzip', 'brotli'].includes(key)) &&
    isDeltaConfig(compress.deltas) &&
    (compress.encodings === undefined || (Array.isArray(compress.encodings) && compress.encodings.every(isEncodingName))) &&
    (levels === undefined || (typeof levels === 'object' && levels !== null && Object.entries(levels).every(([name, v]) => isEncodingName(name) && level(v, ENCODINGS[name].maxLevel)))) &&
    (compress.maxRatio === undefined || (typeof compress.maxRatio === 'number' && compress.maxRatio > 0 && compress.maxRatio <= 1)) &&
    // The deprecated form: a level, or false for none.
    (compress.gzip === undefined || compress.gzip === false || level(compress.gzip, ENCODINGS.gzip.maxLevel)) &&
    (compress.brotli === undefined || compress.brotli === false || level(compress.brotli, ENCODINGS.br.maxLevel))
  )
}

function isDeltaConfig(value: unknown): boolean {
  if (value === undefined || typeof value === 'boolean') return true
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const deltas = value as Record<string, unknown>
  return (
    Object.keys(deltas).every((key) => ['versions', 'minBytes', 'encodings'].includes(key)) &&
    (deltas.versions === undefined || (Number.isInteger(deltas.versions) && (deltas.versions as number) >= 1 && (deltas.versions as number) <= 20)) &&
    (deltas.minBytes === undefined || (Number.isInteger(deltas.minBytes) && (deltas.minBytes as number) >= 0)) &&
    (deltas.encodings === undefined || (Array.isArray(deltas.encodings) && deltas.encodings.every((name) => (DELTA_ENCODING_NAMES as readonly unknown[]).includes(name))))
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error)
}

function configError(file: string, shown: string, problem: string, cause?: unknown, location?: { line: number; column: number }): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: config ${shown}: ${problem}`, { file, cause, ...(location === undefined ? {} : { line: location.line, column: location.column }) })
}
