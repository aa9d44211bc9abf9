import { watch as watchDirectory } from 'node:fs'
import { relative, resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { clean, readManifest } from '../clean.js'
import { collect, type CollectReport } from '../collect/collect.js'
import type { CollectOptions, CollectProgress } from '../collect/options.js'
import type { Warning } from '../collect/asset.js'
import { formatWarnings, type FormatWarningsOptions } from '../collect/warnings.js'
import { findTemplateCarpools, resolveTemplateSources } from '../carpool-templates.js'
import type { ConvoyConfig } from '../config.js'
import { loadConfig } from '../load-config.js'
import type { Storage } from '@convoy/storage'
import { createDiskCache, NO_CACHE } from '../work/cache.js'
import { createTaskRunner } from '../work/runner.js'
import { formatAssetTable, listAssets } from './ls.js'
import { createProgressBar } from './progress.js'
import { formatBytes, formatSummary } from './summary.js'

/** Where the CLI reads and writes; injectable so tests can capture it. */
export interface CliIo {
  readonly cwd: string
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }
  /** Resolves when a long-running command (`collect --watch`) should stop. Default: SIGINT or SIGTERM. */
  readonly stopSignal?: Promise<void>
}

const USAGE = `Usage: convoy <command> [options]

Commands:
  collect [options]             fingerprint, rewrite, minify and precompress the sources into the storage, then write the manifest
  ls [PATTERN] [--json]         list the manifest: logical path, served file, sizes, integrity (PATTERN: a glob or a substring)
  clean [--keep N] [--age S]    delete outputs no recent manifest version names (default: keep 2 versions, age 3600 s)

Where the storage is (every command):
  --config FILE     config file (default: convoy.config.{ts,mts,js,mjs,json} in the working directory)
  --out DIR         output directory (default: config "out" or "storage")

Options of collect:
  --source DIR      a source directory; repeat for several, the first wins (default: config "sources")
  --base-url URL    public URL prefix of the outputs (default: config "baseUrl" or /static/)
  --no-minify       do not minify JS and CSS
  --no-compress     do not write .gz and .br siblings
  --strict          treat warnings (missing references, minify errors) as errors
  --dry-run         do all the work, write nothing
  --watch           after collecting, collect again whenever a source changes
  --lock-timeout S  wait up to S seconds for another run's lock on the output (default: config "lockTimeout" or 0)
  --json            print one machine-readable report instead of the table (every warning included)
  --quiet           print only errors and a count of warnings
  --verbose         list every warning (by default, many of one kind are grouped into one line)

Options of clean:
  --keep N          manifest versions whose files are kept, the current one included (default 2)
  --age SECONDS     only delete files superseded at least this long ago (default 3600)
  --dry-run         list what would be deleted and how many bytes
  --json            machine-readable report

  -h, --help        show this help
  -v, --version     show the version

Exit codes: 0 success, 1 processing errors (nothing published), 2 usage or config errors.`

const STORAGE_OPTIONS = {
  config: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options']

const COLLECT_OPTIONS = {
  ...STORAGE_OPTIONS,
  source: { type: 'string', multiple: true },
  'base-url': { type: 'string' },
  'no-minify': { type: 'boolean' },
  'no-compress': { type: 'boolean' },
  strict: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  watch: { type: 'boolean' },
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'lock-timeout': { type: 'string' },
} as const satisfies ParseArgsConfig['options']

const CLEAN_OPTIONS = {
  ...STORAGE_OPTIONS,
  keep: { type: 'string' },
  age: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options']

/** Exit code for an error: 2 for usage and configuration mistakes, 1 for everything found while processing. */
export function exitCodeOf(error: unknown): 1 | 2 {
  if (!isConvoyError(error)) return 1
  return error.code === 'ERR_CONVOY_USAGE' || error.code === 'ERR_CONVOY_CONFIG' || error.code === 'ERR_CONVOY_SOURCE' ? 2 : 1
}

/** Runs the `convoy` command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.stdout.write(`${USAGE}\n`)
      return command === undefined ? 2 : 0
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${await version()}\n`)
      return 0
    }
    if (command === 'collect') return await runCollect(rest, io)
    if (command === 'ls') return await runLs(rest, io)
    if (command === 'clean') return await runClean(rest, io)
    throw new ConvoyError('ERR_CONVOY_USAGE', `unknown command "${command}" (run convoy --help)`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`convoy: ${message.replace(/^@convoy\/core: /, '')}\n`)
    return exitCodeOf(error)
  }
}

async function runCollect(args: readonly string[], io: CliIo): Promise<number> {
  const { values: flags } = parseFlags(args, COLLECT_OPTIONS, false)
  if (flags.help === true) return help(io)
  const { config, directory, storage } = await openStorage(flags, io)
  const sources = flags.source !== undefined ? flags.source.map((source) => resolve(io.cwd, source)) : (config.sources ?? []).map((source) => resolve(directory, source))
  if (sources.length === 0) {
    throw new ConvoyError('ERR_CONVOY_USAGE', 'no source directory: pass --source DIR or set "sources" in convoy.config')
  }
  const json = flags.json === true
  const quiet = flags.quiet === true
  const warningMode = quiet ? 'count' : flags.verbose === true ? 'verbose' : 'grouped'
  const lockTimeout = flags['lock-timeout'] === undefined ? (config.lockTimeout ?? 0) : seconds(flags['lock-timeout'], 'lock-timeout')
  const baseUrl = flags['base-url'] ?? config.baseUrl
  const cacheDir = config.cacheDir === undefined ? resolve(directory, 'node_modules/.cache/convoy') : config.cacheDir === false ? undefined : resolve(directory, config.cacheDir)
  // One pool for every run of `--watch`, closed when the command ends.
  const runner = createTaskRunner()
  const options: CollectOptions = {
    sources,
    storage,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(config.ignore === undefined ? {} : { ignore: config.ignore }),
    ...(config.hash === undefined ? {} : { hash: config.hash }),
    minify: flags['no-minify'] === true ? false : (config.minify ?? true),
    compress: flags['no-compress'] === true ? false : (config.compress ?? true),
    ...(config.useExistingMin === undefined ? {} : { useExistingMin: config.useExistingMin }),
    ...(config.rewriteJsModules === undefined ? {} : { rewriteJsModules: config.rewriteJsModules }),
    runner,
    cache: cacheDir === undefined ? NO_CACHE : createDiskCache(cacheDir),
    strict: flags.strict === true || config.strict === true,
    dryRun: flags['dry-run'] === true,
    ...(config.followSymlinks === undefined ? {} : { followSymlinks: config.followSymlinks }),
    lockTimeoutMs: lockTimeout * 1000,
    carpools: [
      ...Object.entries(config.bundles ?? {}).map(([name, bundle]) => ({ name, kind: bundle.kind, members: bundle.members })),
      ...(config.templates === undefined ? [] : await findTemplateCarpools(await resolveTemplateSources(config.templates, directory), directory)),
    ],
  }
  try {
    const progress = !json && !quiet && io.stderr.isTTY === true ? createProgressBar(io.stderr) : undefined
    let report: CollectReport
    try {
      report = await collect({ ...options, ...(progress === undefined ? {} : { onProgress: (event: CollectProgress) => progress.update(event) }) })
    } finally {
      progress?.stop()
    }
    if (json) io.stdout.write(`${JSON.stringify({ ok: true, ...report }, null, 2)}\n`)
    else {
      writeWarnings(report.warnings, io, warningMode)
      if (!quiet) io.stdout.write(formatSummary(report, storage.name))
    }
    if (flags.watch === true) await watchSources(options, io, warningMode)
    return 0
  } finally {
    await runner.close()
  }
}

/**
 * `collect --watch`: every change to a source (debounced) runs collect again. Thanks to the cache, only changed files
 * and the files that reference them do any work. One line per rebuild; errors are printed and watching goes on.
 */
async function watchSources(options: CollectOptions, io: CliIo, warningMode: FormatWarningsOptions['mode']): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  let again = false
  const rebuild = (): void => {
    if (again) return
    again = true
    running = running.then(async () => {
      again = false
      try {
        const report = await collect(options)
        writeWarnings(report.warnings, io, warningMode)
        io.stdout.write(`convoy: rebuilt in ${report.seconds.toFixed(2)} s: ${report.written} object${report.written === 1 ? '' : 's'} written, manifest ${report.manifest.id}${report.manifest.written ? '' : ' (unchanged)'}\n`)
      } catch (error) {
        io.stderr.write(`convoy: rebuild failed (the previous manifest stays in force): ${error instanceof Error ? error.message.replace(/^@convoy\/core: /, '') : String(error)}\n`)
      }
    })
  }
  const watchers = options.sources.map((source) =>
    watchDirectory(source, { recursive: true }, () => {
      clearTimeout(timer)
      timer = setTimeout(rebuild, 100)
    }),
  )
  io.stdout.write(`convoy: watching ${options.sources.map((source) => relative(io.cwd, source) || '.').join(', ')} (Ctrl-C to stop)\n`)
  await (io.stopSignal ?? new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop())
    process.once('SIGTERM', () => resolveStop())
  }))
  clearTimeout(timer)
  for (const watcher of watchers) watcher.close()
  await running
}

async function runLs(args: readonly string[], io: CliIo): Promise<number> {
  const { values: flags, positionals } = parseFlags(args, STORAGE_OPTIONS, true)
  if (flags.help === true) return help(io)
  if (positionals.length > 1) throw new ConvoyError('ERR_CONVOY_USAGE', 'convoy ls takes at most one PATTERN')
  const { storage } = await openStorage(flags, io)
  const assets = listAssets(await readManifest(storage), positionals[0])
  io.stdout.write(flags.json === true ? `${JSON.stringify(assets, null, 2)}\n` : formatAssetTable(assets))
  return 0
}

async function runClean(args: readonly string[], io: CliIo): Promise<number> {
  const { values: flags } = parseFlags(args, CLEAN_OPTIONS, false)
  if (flags.help === true) return help(io)
  const { storage } = await openStorage(flags, io)
  const keep = flags.keep === undefined ? undefined : seconds(flags.keep, 'keep')
  const age = flags.age === undefined ? undefined : seconds(flags.age, 'age')
  const report = await clean({ storage, ...(keep === undefined ? {} : { keep }), ...(age === undefined ? {} : { age }), dryRun: flags['dry-run'] === true, onNotice: (message) => io.stderr.write(`convoy: notice: ${message}\n`) })
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    return 0
  }
  const verb = report.dryRun ? 'would delete' : 'deleted'
  for (const object of report.deleted) io.stdout.write(`  ${verb} ${object.path} (${formatBytes(object.size)})\n`)
  if (report.leftovers.length > 0) io.stdout.write(`convoy clean: removed ${report.leftovers.length} temporary file${report.leftovers.length === 1 ? '' : 's'} left by interrupted runs\n`)
  io.stdout.write(`convoy clean: ${verb} ${report.deleted.length} object${report.deleted.length === 1 ? '' : 's'} (${formatBytes(report.bytes)}), kept ${report.kept}\n`)
  return 0
}

/** A whole number flag (`--age 3600`, `--lock-timeout 60`). */
function seconds(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new ConvoyError('ERR_CONVOY_USAGE', `--${name} takes a whole number, got "${value}"`)
  return Number(value)
}

function parseFlags<Options extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: Options, allowPositionals: boolean): ReturnType<typeof parseArgs<{ options: Options; allowPositionals: boolean; args: string[] }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true })
  } catch (error) {
    throw new ConvoyError('ERR_CONVOY_USAGE', `${(error as Error).message} (run convoy --help)`, { cause: error })
  }
}

/** The config and the storage every command works on: `--out` first, then config `storage`, then config `out`. */
async function openStorage(flags: { config?: string | undefined; out?: string | undefined; 'base-url'?: string | undefined }, io: CliIo): Promise<{ config: ConvoyConfig; directory: string; storage: Storage }> {
  const { config, directory } = await loadConfig({ cwd: io.cwd, file: flags.config })
  const out = flags.out !== undefined ? resolve(io.cwd, flags.out) : config.out === undefined ? undefined : resolve(directory, config.out)
  const baseUrl = flags['base-url'] ?? config.baseUrl
  // `--out` wins over everything; in the config a `storage` wins over `out`.
  if (flags.out === undefined && config.storage !== undefined) return { config, directory, storage: config.storage }
  if (out !== undefined) {
    const { createFsStorage } = await import('@convoy/storage-fs')
    return { config, directory, storage: createFsStorage({ root: out, ...(baseUrl === undefined ? {} : { baseUrl }) }) }
  }
  throw new ConvoyError('ERR_CONVOY_USAGE', 'no output: pass --out DIR or set "out" or "storage" in convoy.config')
}

function writeWarnings(warnings: readonly Warning[], io: CliIo, mode: FormatWarningsOptions['mode']): void {
  const displayFile = (file: string): string => (relative(io.cwd, file).startsWith('..') ? file : relative(io.cwd, file))
  for (const line of formatWarnings(warnings, { mode, displayFile })) io.stderr.write(`${line}\n`)
}

function help(io: CliIo): number {
  io.stdout.write(`${USAGE}\n`)
  return 0
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module')
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string }
  return pkg.version
}
