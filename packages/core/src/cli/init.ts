import { existsSync } from 'node:fs'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { ConvoyError } from '@convoy/errors'
import { MANIFEST_FILE } from '@convoy/manifest'
import { DEFAULT_BASE_URL } from '../config.js'
import { CONFIG_FILES } from '../load-config.js'

/** Where a project's static files usually are, in the order `convoy init` tries them. */
export const STATIC_DIRECTORY_CANDIDATES = ['static', 'public', 'assets', 'src/static', 'src/public', 'src/assets', 'app/static', 'app/assets', 'web/static', 'resources/static'] as const

/** Where `convoy init` puts the output, the first one that holds nothing but an earlier output. */
export const OUTPUT_CANDIDATES = ['public', 'dist/static', 'collected-static'] as const

export interface InitOptions {
  readonly cwd: string
  /** Source directories (relative to `cwd`); default: the first of {@link STATIC_DIRECTORY_CANDIDATES} that holds files. */
  readonly sources?: readonly string[] | undefined
  /** Output directory; default: the first usable of {@link OUTPUT_CANDIDATES}. */
  readonly out?: string | undefined
  readonly baseUrl?: string | undefined
  /** Default: `ts` when the project uses TypeScript (a `tsconfig.json`, or `typescript` in package.json), else `mjs`. */
  readonly format?: 'ts' | 'mjs' | undefined
  /** Replace an existing config. */
  readonly force?: boolean | undefined
}

export interface InitResult {
  /** The config file written, absolute. */
  readonly file: string
  /** Config files that were replaced (`--force`), absolute. */
  readonly replaced: readonly string[]
  readonly sources: readonly string[]
  /** Whether the sources were found in the project (rather than given, or guessed). */
  readonly detected: boolean
  /** Sources that do not exist yet. */
  readonly missing: readonly string[]
  readonly out: string
  readonly baseUrl: string
  readonly format: 'ts' | 'mjs'
  /** Whether `@convoy/core` can be imported from the project (the `.ts` config imports `defineConfig` from it). */
  readonly coreInstalled: boolean
}

/**
 * `convoy init`: writes a commented `convoy.config.ts` (or `.mjs` in a project without TypeScript) with the
 * project's static directory and an output directory that holds nothing else. Refuses to replace an existing
 * config unless `force`.
 */
export async function initConfig(options: InitOptions): Promise<InitResult> {
  const { cwd } = options
  const existing = CONFIG_FILES.filter((name) => existsSync(join(cwd, name)))
  if (existing.length > 0 && options.force !== true) {
    throw new ConvoyError('ERR_CONVOY_USAGE', `${existing.join(' and ')} already exists: edit it, or run convoy init --force to replace it`)
  }
  const format = options.format ?? ((await usesTypeScript(cwd)) ? 'ts' : 'mjs')
  const found = options.sources === undefined ? await findStaticDirectory(cwd) : undefined
  const sources = (options.sources ?? [found ?? 'static']).map((source) => configPath(cwd, source))
  const out = configPath(cwd, options.out ?? (await chooseOutput(cwd, sources)))
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL
  const file = join(cwd, `convoy.config.${format}`)
  const replaced = existing.map((name) => join(cwd, name))
  // With --force the old config goes: another name left beside the new one could still be the one that loads.
  for (const old of replaced) if (old !== file) await rm(old, { force: true })
  await writeFile(file, renderConfig({ sources, out, baseUrl, format }), { flag: options.force === true ? 'w' : 'wx' })
  const missing: string[] = []
  for (const source of sources) if (!(await isDirectory(resolve(cwd, source)))) missing.push(source)
  return { file, replaced, sources, detected: found !== undefined, missing, out, baseUrl, format, coreInstalled: canImport(cwd, '@convoy/core') }
}

/** What `convoy init` prints: what it wrote, the next commands, and the lines to add to an Express app. */
export function formatInitReport(result: InitResult, cwd: string): string {
  const name = relative(cwd, result.file)
  const list = (paths: readonly string[]): string => paths.join(', ')
  const lines = [`convoy init: wrote ${name}${result.replaced.length > 0 ? ` (replacing ${list(result.replaced.map((file) => relative(cwd, file)))})` : ''}`]
  lines.push(`  sources  ${list(result.sources)}${result.detected ? ' (found)' : ''}`)
  lines.push(`  out      ${result.out}`, `  baseUrl  ${result.baseUrl}`)
  if (result.missing.length > 0) {
    lines.push('', `${list(result.missing)} does not exist yet: put your CSS, JS, images and fonts there, or change "sources" in ${name}.`)
  }
  if (!result.coreInstalled) {
    lines.push('', `Install Convoy in this project (${result.format === 'ts' ? `${name} imports defineConfig from it` : 'your app imports createConvoy from it'}): npm install @convoy/core`)
  }
  lines.push('', 'Next:', `  npx convoy collect    # ${list(result.sources)} → fingerprinted, minified, compressed files in ${result.out}`, '  npx convoy ls         # what was collected')
  const mount = result.baseUrl.startsWith('/') && !result.baseUrl.startsWith('//') ? result.baseUrl.replace(/\/+$/, '') || '/' : undefined
  const manifest = `${result.out}/${MANIFEST_FILE}`
  if (mount === undefined) {
    lines.push('', `baseUrl is ${result.baseUrl}: publish ${result.out} there (or set "storage"), and resolve URLs in your app with:`, '', "  import { createConvoy } from '@convoy/core'", `  const convoy = await createConvoy({ manifest: '${manifest}' })`)
  } else {
    lines.push(
      '',
      'Then serve it from your Express app (npm install @convoy/serve):',
      '',
      "  import { createConvoy } from '@convoy/core'",
      "  import { serveStatic } from '@convoy/serve'",
      '',
      `  const convoy = await createConvoy({ manifest: '${manifest}' })`,
      `  app.use('${mount}', serveStatic({ root: '${result.out}' }))`,
      `  app.locals.asset = (path${result.format === 'ts' ? ': string' : ''}) => convoy.url(path) // in a template: asset('css/site.css') → the fingerprinted URL`,
    )
  }
  return `${lines.join('\n')}\n`
}

function renderConfig({ sources, out, baseUrl, format }: { sources: readonly string[]; out: string; baseUrl: string; format: 'ts' | 'mjs' }): string {
  const head =
    format === 'ts'
      ? ["import { defineConfig } from '@convoy/core'", '', 'export default defineConfig({']
      : ["/** @type {import('@convoy/core').ConvoyConfig} */", 'export default {']
  return [
    '// Convoy: read by `convoy collect`, `convoy ls` and `convoy clean`, whose flags override it. Paths are relative to',
    "// this file. Every option is in the Config section of @convoy/core's README.",
    ...head,
    '  // Folders of static files (CSS, JS, images, fonts), in order: when two hold the same path, the first one wins.',
    `  sources: [${sources.map(quote).join(', ')}],`,
    '  // Where `convoy collect` writes the fingerprinted, minified, precompressed files and convoy-manifest.json.',
    "  // Serve it with serveStatic() from @convoy/serve; or publish to S3 with storage: createS3Storage({ bucket, region }).",
    `  out: ${quote(out)},`,
    '  // The URL path the files are served under (mount serveStatic() there), or a CDN URL.',
    `  baseUrl: ${quote(baseUrl)},`,
    '',
    '  // More options, with their defaults:',
    "  // ignore: [],         // globs of files to leave out, e.g. ['**/*.scss']",
    "  // minify: true,       // false, or the fast engines: { js: 'swc', css: 'lightningcss' } (npm install -D @swc/core lightningcss)",
    "  // compress: true,     // .gz and .br siblings; or { encodings: ['gzip', 'br'], levels: { gzip: 9, br: 11 } }",
    "  // bundles: {},        // carpools built by collect, e.g. { site: { kind: 'css', members: ['css/base.css', 'css/theme.css'] } }",
    "  // templates: [],      // templates whose {% carpool %} blocks collect builds, e.g. ['views/**/*.njk']",
    "  // strict: false,      // turn warnings (a missing url(), a file that does not minify) into errors",
    format === 'ts' ? '})' : '}',
    '',
  ].join('\n')
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** A path as the config holds it: relative to the config's folder with `/`, or absolute when outside it. */
function configPath(cwd: string, path: string): string {
  const absolute = resolve(cwd, path)
  const inside = relative(cwd, absolute)
  if (inside === '') return '.'
  return inside.startsWith('..') || isAbsolute(inside) ? absolute : inside.split(sep).join('/')
}

async function usesTypeScript(cwd: string): Promise<boolean> {
  if (existsSync(join(cwd, 'tsconfig.json'))) return true
  try {
    const pkg = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as Record<string, unknown>
    return ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].some((field) => {
      const deps = pkg[field]
      return typeof deps === 'object' && deps !== null && Object.hasOwn(deps, 'typescript')
    })
  } catch {
    return false
  }
}

/** The first candidate folder that holds at least one file and is not an earlier output. */
async function findStaticDirectory(cwd: string): Promise<string | undefined> {
  for (const candidate of STATIC_DIRECTORY_CANDIDATES) {
    const folder = join(cwd, candidate)
    if (!(await isDirectory(folder)) || existsSync(join(folder, MANIFEST_FILE))) continue
    if (await holdsAFile(folder, 4)) return candidate
  }
  return undefined
}

/** An output folder that cannot clash with the user's files: missing, empty, or an earlier output; never a source's. */
async function chooseOutput(cwd: string, sources: readonly string[]): Promise<string> {
  const overlaps = (candidate: string): boolean =>
    sources.some((source) => {
      const a = resolve(cwd, candidate)
      const b = resolve(cwd, source)
      return a === b || a.startsWith(`${b}${sep}`) || b.startsWith(`${a}${sep}`)
    })
  for (const candidate of OUTPUT_CANDIDATES) {
    if (overlaps(candidate)) continue
    const folder = join(cwd, candidate)
    if (!existsSync(folder) || existsSync(join(folder, MANIFEST_FILE)) || (await isEmptyDirectory(folder))) return candidate
  }
  return OUTPUT_CANDIDATES[2]
}

async function holdsAFile(folder: string, depth: number): Promise<boolean> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => [])
  if (entries.some((entry) => entry.isFile() && !entry.name.startsWith('.'))) return true
  if (depth === 0) return false
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && (await holdsAFile(join(folder, entry.name), depth - 1))) return true
  }
  return false
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true
}

async function isEmptyDirectory(path: string): Promise<boolean> {
  const entries = await readdir(path).catch(() => undefined)
  return entries !== undefined && entries.length === 0
}

function canImport(cwd: string, name: string): boolean {
  try {
    createRequire(join(cwd, 'package.json')).resolve(`${name}/package.json`)
    return true
  } catch {
    return false
  }
}
