#!/usr/bin/env node
// Checks every publishable package as the registry would receive it. Each one is packed with `pnpm pack` into a
// temporary directory, and the tarball is linted with publint (strict: its warnings fail too) and with Are the Types
// Wrong (profile esm-only: the packages are ESM only, so node10 and require() resolution are not asked for); the packed
// manifest's metadata and file list are checked; and `pnpm -r publish --dry-run --no-git-checks` must go through.
// Build first (`pnpm build`): a package whose entry points are missing fails, naming them.
//
// Usage: node scripts/check-packages.mjs [--offline] [--root DIR]
//   --offline   skip the publish dry run, the one step that asks the registry (which versions it already has)
//   --root DIR  the workspace to check (default: the one this script is in)
// Exit codes: 0 every package is fine, 1 problems (one line per package, then each problem), 2 the check cannot run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { formatBytes, packPackage, publishablePackages } from './lib/pack.mjs'
import { failure, onInterrupt, run, withoutScriptSettings } from './lib/run.mjs'

/** attw's profile for ESM-only packages, and the resolutions it leaves out (attw's own `profiles.js`). */
export const ATTW_PROFILE = 'esm-only'
export const ATTW_IGNORED_RESOLUTIONS = Object.freeze(['node10', 'node16-cjs'])

/** Files every tarball must contain. */
export const REQUIRED_FILES = Object.freeze(['package.json', 'README.md', 'LICENSE'])

/** Files that belong to the repository, not to a tarball. */
const DEVELOPMENT_FILES = [
  /(^|\/)[^/]+\.test\.[cm]?[jt]sx?$/,
  /(^|\/)tsconfig[^/]*\.json$/,
  /\.tsbuildinfo$/,
  /(^|\/)(tsup|vitest|vite|eslint)\.config\.[cm]?[jt]s$/,
  /(^|\/)(node_modules|\.turbo|coverage)\//,
]

const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies']

/** What each attw problem kind means, in the words of its documentation (attw's `problemKindInfo`). */
const ATTW_KINDS = {
  NoResolution: 'import failed to resolve to type declarations or JavaScript files',
  UntypedResolution: 'import resolved to JavaScript files, but no type declarations were found',
  FalseCJS: 'types are CJS, but the implementation is ESM',
  FalseESM: 'types are ESM, but the implementation is CJS',
  NamedExports: 'named exports TypeScript sees cannot be detected by Node.js',
  CJSResolvesToESM: 'a require() call resolves to an ESM file',
  FallbackCondition: 'types resolved only through a fallback condition',
  CJSOnlyExportsDefault: 'a CJS module uses exports.default without module.exports',
  FalseExportDefault: 'types use export default where the JavaScript uses module.exports =',
  MissingExportEquals: 'types are missing an export =',
  UnexpectedModuleSyntax: 'syntax is incompatible with the detected module kind',
  InternalResolutionError: 'an import inside the type declarations does not resolve',
}

/**
 * Problems of a packed package.json (`manifest`, as it is inside the tarball) published from the workspace folder
 * `dir`: ranges pnpm should have replaced, and the metadata the registry shows or needs.
 */
export function manifestProblems(manifest, dir) {
  const problems = []
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|link|file|portal):/.test(String(range))) {
        problems.push(`${field}["${name}"] is "${range}" in the tarball: a published range must be a version range (publish with pnpm, which replaces workspace: ranges)`)
      }
    }
  }
  if (typeof manifest.license !== 'string' || manifest.license === '') problems.push('package.json has no "license"')
  const repository = manifest.repository
  if (typeof repository !== 'object' || repository === null || typeof repository.url !== 'string') {
    problems.push('package.json has no "repository" with a "url"')
  } else if (repository.directory !== dir) {
    problems.push(`package.json "repository.directory" is ${JSON.stringify(repository.directory)}, expected "${dir}" (the registry links the package's folder with it)`)
  }
  if (typeof manifest.homepage !== 'string' || manifest.homepage === '') problems.push('package.json has no "homepage"')
  const bugs = typeof manifest.bugs === 'string' ? manifest.bugs : manifest.bugs?.url
  if (typeof bugs !== 'string' || bugs === '') problems.push('package.json has no "bugs" URL')
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push('package.json has no "keywords"')
  if (typeof manifest.engines?.node !== 'string') problems.push('package.json has no "engines.node"')
  if (manifest.type !== 'module') problems.push(`package.json "type" is ${JSON.stringify(manifest.type)}, not "module", but the types are checked with attw's ${ATTW_PROFILE} profile`)
  if (typeof manifest.name === 'string' && manifest.name.startsWith('@') && manifest.publishConfig?.access !== 'public') {
    problems.push('package.json has no "publishConfig.access": "public" (a scoped package is published restricted without it)')
  }
  return problems
}

/**
 * Problems of the workspace's own `@convoy/source` export condition (which siblings, tests and typecheck resolve to
 * `src` through): each target must exist in the package folder `packageDir`, or everything resolving it fails with
 * "cannot find module" before a build hides the mistake.
 */
export function sourceConditionProblems(exportsField, packageDir) {
  const problems = []
  const walk = (value, key) => {
    if (value === null || typeof value !== 'object') return
    for (const [name, target] of Object.entries(value)) {
      if (name === SOURCE_CONDITION) {
        if (typeof target !== 'string' || !existsSync(join(packageDir, target))) {
          problems.push(`exports[${JSON.stringify(key)}]["${SOURCE_CONDITION}"] is ${JSON.stringify(target)}, which does not exist in the package folder`)
        }
      } else walk(target, name.startsWith('.') ? name : key)
    }
  }
  walk(exportsField, '.')
  return problems
}

/** The export condition that points workspace siblings at a package's TypeScript sources. */
const SOURCE_CONDITION = '@convoy/source'

/** Problems of a tarball's file list (paths relative to the package): a required file missing, development files. */
export function fileListProblems(files) {
  const problems = []
  const present = new Set(files)
  for (const required of REQUIRED_FILES) {
    if (!present.has(required)) problems.push(`the tarball has no ${required}${required === 'LICENSE' ? ' (copy the root LICENSE and list it in "files")' : ''}`)
  }
  const development = files.filter((file) => DEVELOPMENT_FILES.some((pattern) => pattern.test(file)))
  if (development.length > 0) problems.push(`the tarball ships development files: ${development.join(', ')} (narrow "files")`)
  return problems
}

/**
 * publint's messages as `{ problems, notes }`: errors and warnings are problems (`publint --strict`), suggestions are
 * notes. `format` is publint's `formatMessage` (from `publint/utils`).
 */
export function publintProblems(messages, manifest, format) {
  const problems = []
  const notes = []
  for (const message of messages) {
    const text = format(message, manifest, { color: false }) ?? `${message.code} at ${message.path.join('.') || 'package.json'}`
    ;(message.type === 'suggestion' ? notes : problems).push(`publint: ${text}`)
  }
  return { problems, notes }
}

/** `/node_modules/@convoy/core/dist/index.d.ts` → `dist/index.d.ts`. */
function packageRelative(file) {
  return typeof file === 'string' ? file.replace(/^\/node_modules\/(@[^/]+\/)?[^/]+\//, '') : String(file)
}

/** Where one attw problem is: its entry point and resolution, its pair of files, or its file and specifier. */
function attwWhere(problem) {
  if ('entrypoint' in problem) return `"${problem.entrypoint}" under ${problem.resolutionKind} resolution`
  if ('typesFileName' in problem) {
    const missing = Array.isArray(problem.missing) && problem.missing.length > 0 ? ` (missing: ${problem.missing.join(', ')})` : ''
    return `${packageRelative(problem.typesFileName)} and ${packageRelative(problem.implementationFileName)}${missing}`
  }
  if ('moduleSpecifier' in problem) return `${packageRelative(problem.fileName)} imports "${problem.moduleSpecifier}" (${problem.resolutionOption} resolution)`
  return packageRelative(problem.fileName)
}

/**
 * The problems in what `attw --format json` printed for one tarball, `{ analysis }`, as lines: those of the
 * resolutions the esm-only profile checks (problems tied to no resolution always count), each with its docs link;
 * and a package without type declarations is a problem too (attw itself passes it).
 */
export function attwProblems(report) {
  const analysis = report?.analysis
  if (!analysis || typeof analysis !== 'object') return ['attw: printed no analysis']
  if (!analysis.types) return ['attw: no type declarations found for any entry point']
  const lines = new Set()
  for (const problem of analysis.problems ?? []) {
    if ('resolutionKind' in problem && ATTW_IGNORED_RESOLUTIONS.includes(problem.resolutionKind)) continue
    const meaning = ATTW_KINDS[problem.kind] ?? problem.kind
    lines.add(`attw: ${meaning}: ${attwWhere(problem)} (https://github.com/arethetypeswrong/arethetypeswrong.github.io/blob/main/docs/problems/${problem.kind}.md)`)
  }
  return [...lines]
}

/**
 * What `pnpm -r publish --dry-run` printed: `published` maps each package it went through (`+ name@version` on
 * stdout) to its version; `warnings` maps a package to npm's warnings inside its block on stderr (npm's "requires you
 * to be logged in (dry-run)" is expected and left out); `errors` are error lines of npm or pnpm.
 */
export function parsePublishOutput(stdout, stderr) {
  const published = new Map()
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^\+ ((?:@[^/\s]+\/)?[^@\s]+)@(\S+)$/.exec(line.trim())
    if (match) published.set(match[1], match[2])
  }
  const warnings = new Map()
  const errors = []
  let current = null
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.trim()
    const block = /^npm notice 📦\s+((?:@[^/\s]+\/)?[^@\s]+)@\S+$/u.exec(line)
    if (block) {
      current = block[1]
      continue
    }
    if (/^npm warn/i.test(line)) {
      if (/requires you to be logged in .*\(dry-run\)/.test(line)) continue
      const key = current ?? ''
      warnings.set(key, [...(warnings.get(key) ?? []), line.replace(/^npm warn\s+(publish\s+)?/i, '')])
    } else if (/^npm (error|ERR!)|\bERR_PNPM_/.test(line)) {
      errors.push(line)
    }
  }
  return { published, warnings, errors }
}

/** `{ problems, notes }` of one package from a parsed publish dry run (`null`: the dry run was skipped). */
export function publishProblems(parsed, name, version) {
  if (parsed === null) return { problems: [], notes: [] }
  const problems = (parsed.warnings.get(name) ?? []).map((warning) => `pnpm publish --dry-run: npm warns: ${warning}`)
  const notes = []
  const went = parsed.published.get(name)
  if (went === undefined) notes.push(`not in the publish dry run: pnpm skips a version the registry already has (${name}@${version})`)
  else if (went !== version) problems.push(`pnpm publish --dry-run went through ${name}@${went}, but the workspace has ${version}`)
  return { problems, notes }
}

/** One package's result as printed lines: the status line, then its problems and notes. */
export function formatResult({ name, version, files, bytes, problems, notes }) {
  const size = files === undefined ? '' : `  ${files} files, ${formatBytes(bytes)}`
  const status = problems.length === 0 ? 'ok  ' : 'FAIL'
  const count = problems.length === 0 ? '' : `: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}`
  return [`${status}  ${name}@${version}${size}${count}`, ...problems.map((problem) => `      - ${problem}`), ...notes.map((note) => `      note: ${note}`)]
}

/** Runs `tasks` (functions returning promises) at most `limit` at a time; returns one promise per task, in order. */
function limited(tasks, limit) {
  const settled = tasks.map(() => {
    const handle = {}
    handle.promise = new Promise((resolve, reject) => Object.assign(handle, { resolve, reject }))
    return handle
  })
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++
      try {
        settled[index].resolve(await tasks[index]())
      } catch (error) {
        settled[index].reject(error)
      }
    }
  }
  for (let i = 0; i < Math.min(limit, tasks.length); i++) void worker()
  // A rejection is rethrown where the caller awaits it; until then it is not an unhandled one.
  for (const { promise } of settled) promise.catch(() => {})
  return settled.map(({ promise }) => promise)
}

/** Resolves every tool the check needs, or fails saying to install the root devDependencies. */
async function loadTools() {
  const require = createRequire(import.meta.url)
  try {
    const { publint } = await import('publint')
    const { formatMessage } = await import('publint/utils')
    const attwManifest = require.resolve('@arethetypeswrong/cli/package.json')
    const attwBin = join(dirname(attwManifest), JSON.parse(readFileSync(attwManifest, 'utf8')).bin.attw)
    return { publint, formatMessage, attwBin }
  } catch (error) {
    throw new Error(`publint and @arethetypeswrong/cli (root devDependencies) cannot be loaded: run pnpm install (${error.message})`, { cause: error })
  }
}

/** Packs and lints one package; resolves its result (never rejects: every failure is a problem of that package). */
async function checkOne(root, pkg, temp, tools, publish) {
  const result = { name: pkg.name, version: pkg.manifest.version, problems: [], notes: [] }
  let packed
  try {
    packed = await packPackage(root, pkg, temp)
  } catch (error) {
    result.problems.push(`cannot pack: ${error.message}`)
    return result
  }
  result.files = packed.files.length
  result.bytes = packed.bytes
  result.problems.push(...fileListProblems(packed.files))
  result.problems.push(...sourceConditionProblems(pkg.manifest.exports, join(root, pkg.dir)))

  const bytes = readFileSync(packed.tarball)
  try {
    const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    const { messages, pkg: manifest } = await tools.publint({ pack: { tarball }, strict: true, level: 'suggestion' })
    result.problems.push(...manifestProblems(manifest, pkg.dir))
    const linted = publintProblems(messages, manifest, tools.formatMessage)
    result.problems.push(...linted.problems)
    result.notes.push(...linted.notes)
  } catch (error) {
    result.problems.push(`publint failed on ${packed.tarball}: ${error.message}`)
  }

  const args = [tools.attwBin, packed.tarball, '--profile', ATTW_PROFILE, '--format', 'json', '--no-color']
  const timeoutMs = 120_000
  const attw = await run(process.execPath, args, { cwd: root, timeoutMs })
  if (attw.timedOut || (attw.code !== 0 && attw.code !== 1)) {
    result.problems.push(`attw failed: ${failure(attw, 'attw', args.slice(1), { timeoutMs })}`)
  } else {
    let report
    try {
      report = JSON.parse(attw.stdout)
    } catch {
      report = undefined
    }
    const found = report === undefined ? [`attw printed no JSON report:\n${attw.stdout.slice(0, 2000)}`] : attwProblems(report)
    if (attw.code === 1 && found.length === 0) found.push(`attw --profile ${ATTW_PROFILE} failed, but its report names no problem: run ${failure(attw, 'attw', args.slice(1))}`)
    result.problems.push(...found)
  }

  const published = publishProblems(publish, pkg.name, pkg.manifest.version)
  result.problems.push(...published.problems)
  result.notes.push(...published.notes)
  return result
}

/** `pnpm -r publish --dry-run --no-git-checks` at the root: `{ parsed, problems }`. */
async function publishDryRun(root) {
  const args = ['-r', 'publish', '--dry-run', '--no-git-checks']
  const timeoutMs = 300_000
  const result = await run('pnpm', args, { cwd: root, timeoutMs, env: withoutScriptSettings(process.env) })
  const parsed = parsePublishOutput(result.stdout, result.stderr)
  const problems = []
  if (result.code !== 0 || result.timedOut) problems.push(failure(result, 'pnpm', args, { cwd: root, timeoutMs }))
  else problems.push(...parsed.errors)
  problems.push(...(parsed.warnings.get('') ?? []).map((warning) => `npm warns: ${warning}`))
  return { parsed, problems, seconds: result.seconds }
}

/** `{ offline, root }` from the command line, or `{ error }` naming what is wrong. */
export function parseArguments(argv, defaultRoot) {
  const options = { offline: false, root: defaultRoot }
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    if (arg === '--offline') options.offline = true
    else if (arg === '--root' && argv[index + 1] !== undefined) options.root = resolve(argv[++index])
    else return { error: `${arg === '--root' ? '--root needs a directory' : `unknown argument ${arg}`} (usage: node scripts/check-packages.mjs [--offline] [--root DIR])` }
  }
  return options
}

export async function main(argv, defaultRoot) {
  const options = parseArguments(argv, defaultRoot)
  if (options.error) {
    console.error(`check-packages: ${options.error}`)
    return 2
  }
  const { offline, root } = options
  const started = performance.now()
  let packages
  let tools
  try {
    packages = publishablePackages(root)
    if (packages.length === 0) throw new Error(`no publishable package under ${root}`)
    tools = await loadTools()
  } catch (error) {
    console.error(`check-packages: ${error.message}`)
    return 2
  }

  let publish = null
  const general = []
  if (offline) console.log('check-packages: --offline, skipping pnpm -r publish --dry-run')
  else {
    console.log('check-packages: pnpm -r publish --dry-run --no-git-checks …')
    try {
      const dryRun = await publishDryRun(root)
      publish = dryRun.parsed
      general.push(...dryRun.problems.map((problem) => `pnpm -r publish --dry-run: ${problem}`))
      console.log(`check-packages: publish dry run went through ${publish.published.size} packages in ${dryRun.seconds.toFixed(1)} s`)
    } catch (error) {
      console.error(`check-packages: ${error.message}`)
      return 2
    }
  }

  const temp = mkdtempSync(join(tmpdir(), 'convoy-check-packages-'))
  const removeTemp = () => rmSync(temp, { recursive: true, force: true })
  const stopListening = onInterrupt(removeTemp)
  const results = []
  try {
    console.log(`check-packages: packing ${packages.length} packages into ${temp}; publint --strict, attw --profile ${ATTW_PROFILE}`)
    const pending = limited(
      packages.map((pkg) => () => checkOne(root, pkg, temp, tools, publish)),
      2,
    )
    for (const promise of pending) {
      // Printed in workspace order, each as soon as it and those before it are done.
      const result = await promise
      results.push(result)
      console.log(formatResult(result).join('\n'))
    }
  } finally {
    removeTemp()
    stopListening()
  }

  const failed = results.filter((result) => result.problems.length > 0)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const steps = `publint --strict, attw ${ATTW_PROFILE}, metadata${offline ? '' : ', pnpm publish --dry-run'}`
  if (failed.length === 0 && general.length === 0) {
    console.log(`check-packages: OK, ${results.length} packages (${steps}) in ${seconds} s`)
    return 0
  }
  const lines = [
    ...general.map((problem) => `check-packages: ${problem}`),
    `check-packages: ${failed.length} of ${results.length} packages have problems (${steps}), ${seconds} s: ${failed.map((result) => result.name).join(', ') || 'none'}`,
  ]
  console.error(lines.join('\n'))
  return 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  process.exitCode = await main(process.argv.slice(2), root)
}
