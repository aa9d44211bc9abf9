// Packs the workspace's publishable packages with `pnpm pack`: exactly the tarballs `pnpm publish` uploads, with every
// `workspace:` range replaced by a version. Shared by check-packages.mjs and consumer-smoke.mjs.
import { existsSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { readWorkspace } from '../check-cycles.mjs'
import { failure, run } from './run.mjs'

/** One `pnpm pack` takes about a second; a minute means it hangs. */
export const PACK_TIMEOUT_MS = 60_000

/** The workspace packages that would be published: every one under pnpm-workspace.yaml's globs not marked private. */
export function publishablePackages(root) {
  return readWorkspace(root).filter(({ manifest }) => manifest.private !== true)
}

/** The file name npm and pnpm give a package's tarball: `@convoy/core`, `1.2.0` → `convoy-core-1.2.0.tgz`. */
export function tarballName(name, version) {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}

/** `./dist/index.js` → `dist/index.js`. */
function normalize(file) {
  return file.replace(/^\.\//, '').replace(/\/+$/, '')
}

/** Whether `file` (normalized) is published by the `files` list (absent: everything is). */
function published(file, files) {
  if (!Array.isArray(files)) return true
  return files.some((entry) => {
    const clean = normalize(entry)
    const star = clean.indexOf('*')
    if (star !== -1) return file.startsWith(clean.slice(0, star))
    return file === clean || file.startsWith(`${clean}/`)
  })
}

/**
 * The files a manifest's `main`, `types`, `bin` and `exports` point at, each `{ field, file }` (`file` relative to the
 * package, without `./`), limited to those its `files` list publishes: a target outside it (a development-only
 * condition such as `"@convoy/source": "./src/index.ts"`) is not an entry point of the tarball. Pattern targets (`*`)
 * and `package.json` are left out.
 */
export function entryFiles(manifest) {
  const found = []
  const add = (field, target) => {
    if (typeof target !== 'string' || target.includes('*')) return
    const file = normalize(target)
    if (file === 'package.json' || !published(file, manifest.files)) return
    found.push({ field, file })
  }
  add('main', manifest.main)
  add('types', manifest.types)
  add('typings', manifest.typings)
  if (typeof manifest.bin === 'string') add('bin', manifest.bin)
  else for (const [name, target] of Object.entries(manifest.bin ?? {})) add(`bin.${name}`, target)
  const walk = (field, value) => {
    if (typeof value === 'string') add(field, value)
    else if (Array.isArray(value)) value.forEach((item, index) => walk(`${field}[${index}]`, item))
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(`${field}[${JSON.stringify(key)}]`, item)
  }
  walk('exports', manifest.exports)
  return found
}

/** The entries of `entryFiles(manifest)` for which `exists(file)` is false. */
export function missingEntryFiles(manifest, exists) {
  return entryFiles(manifest).filter(({ file }) => !exists(file))
}

/**
 * What `pnpm pack --json` printed: `{ filename, files }` (the tarball's path and the paths of the files in it). Any
 * line pnpm printed around the JSON object is ignored.
 */
export function parsePackReport(stdout) {
  const start = stdout.indexOf('{')
  const end = stdout.lastIndexOf('}')
  let report
  try {
    report = JSON.parse(stdout.slice(start, end + 1))
  } catch {
    report = undefined
  }
  if (start === -1 || typeof report?.filename !== 'string' || !Array.isArray(report.files)) {
    throw new Error(`pnpm pack --json printed no report (expected a JSON object with "filename" and "files"):\n${stdout.trim() || '(nothing)'}`)
  }
  return { filename: report.filename, files: report.files.map((file) => (typeof file === 'string' ? file : file.path)) }
}

/**
 * Packs one workspace package (`{ name, dir, manifest }` of `publishablePackages`) into `destination` and resolves
 * `{ name, version, dir, tarball, files, bytes }`. Fails, naming the package, when an entry point is missing (not built
 * yet) or `pnpm pack` fails.
 */
export async function packPackage(root, pkg, destination, { timeoutMs = PACK_TIMEOUT_MS } = {}) {
  const dir = join(root, pkg.dir)
  const missing = missingEntryFiles(pkg.manifest, (file) => existsSync(join(dir, file)))
  if (missing.length > 0) {
    const list = missing.map(({ field, file }) => `${file} (${field})`).join(', ')
    throw new Error(`${pkg.dir}: ${list} ${missing.length === 1 ? 'does' : 'do'} not exist: build it first (pnpm build)`)
  }
  const args = ['pack', '--pack-destination', destination, '--json']
  const result = await run('pnpm', args, { cwd: dir, timeoutMs })
  if (result.code !== 0 || result.timedOut) throw new Error(`${pkg.name}: ${failure(result, 'pnpm', args, { cwd: dir, timeoutMs })}`)
  const report = parsePackReport(result.stdout)
  const tarball = isAbsolute(report.filename) ? report.filename : resolve(destination, report.filename)
  if (!existsSync(tarball)) throw new Error(`${pkg.name}: pnpm pack reported ${tarball}, which does not exist`)
  return { name: pkg.name, version: pkg.manifest.version, dir: pkg.dir, tarball, files: report.files, bytes: statSync(tarball).size }
}

/**
 * Packs `packages` into `destination`, `concurrency` at a time, and resolves one `{ pkg, packed }` or `{ pkg, error }`
 * per package in the order given. `onPacked` is called with each as soon as it is done.
 */
export async function packPackages(root, packages, destination, { concurrency = 2, onPacked, timeoutMs } = {}) {
  const results = new Array(packages.length)
  let next = 0
  const worker = async () => {
    while (next < packages.length) {
      const index = next++
      const pkg = packages[index]
      try {
        results[index] = { pkg, packed: await packPackage(root, pkg, destination, { timeoutMs }) }
      } catch (error) {
        results[index] = { pkg, error }
      }
      onPacked?.(results[index])
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, packages.length) }, worker))
  return results
}

/**
 * npm `overrides` that make every `@convoy/*` package a consumer does not install directly resolve to its packed
 * tarball (`file:` + absolute path), so a consumer project gets the packages of this tree and never the registry's.
 * npm refuses an override for a direct dependency whose spec differs, so the direct ones are left out.
 */
export function tarballOverrides(packed, directNames) {
  const direct = new Set(directNames)
  const overrides = {}
  for (const { name, tarball } of [...packed].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!direct.has(name)) overrides[name] = `file:${tarball}`
  }
  return overrides
}

/** `118541` → `118.5 kB`: 1000-based units, as npm prints tarball sizes. */
export function formatBytes(bytes) {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1000 * 1000) return `${(bytes / 1000).toFixed(1)} kB`
  return `${(bytes / 1000 / 1000).toFixed(1)} MB`
}
