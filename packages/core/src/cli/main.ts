import { createHash } from 'node:crypto'
import { watch as watchDirectory } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { clean, readManifest } from '../clean.js'
import { collect, type CollectReport } from '../collect/collect.js'
import type { CollectOptions, CollectProgress } from '../collect/options.js'
import type { Warning } from '../collect/asset.js'
import { formatWarnings, type FormatWarningsOptions } from '../collect/warnings.js'
import { findTemplateCarpools, resolveTemplateSources } from '../carpool-templates.js'
import type { CompressConfig, ConvoyConfig } from '../config.js'
import { loadConfig } from '../load-config.js'
import type { Storage } from '@convoy/storage'
import { createDiskCache, NO_CACHE } from '../work/cache.js'
import { createTaskRunner } from '../work/runner.js'
import { MANIFEST_FILE } from '@convoy/manifest'
import { baseUrlFlag, choiceFlag, formatCommandHelp, parseCommandArgs, secondsFlag, wholeNumberFlag, type CommandSpec, type FlagSpecs } from './args.js'
import { findCollectedOutputs, shellWord } from './find-outputs.js'
import { formatInitReport, initConfig, OUTPUT_CANDIDATES, STATIC_DIRECTORY_CANDIDATES } from './init.js'
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

const STORAGE_FLAGS = {
  config: { type: 'string', value: 'FILE', expects: 'a config file', description: 'config file (default: convoy.config.{ts,mts,js,mjs,json} in the working directory)' },
  out: { type: 'string', value: 'DIR', expects: 'a directory (the output of convoy collect)', description: 'output directory (default: config "out" or "storage")' },
} as const satisfies FlagSpecs

const HELP_FLAG = { help: { type: 'boolean', short: 'h', description: 'show this help' } } as const satisfies FlagSpecs

const LOCK_TIMEOUT_FLAG = {
  'lock-timeout': { type: 'string', value: 'S', expects: 'a number of seconds', description: 'wait up to S seconds for another run\'s lock on the output (default: config "lockTimeout" or 0)' },
} as const satisfies FlagSpecs

const EXIT_CODES = 'Exit codes: 0 success, 1 processing errors (nothing published), 2 usage or config errors.'

const COLLECT: CommandSpec = {
  name: 'collect',
  summary: 'Fingerprint, rewrite, minify and precompress the sources into the storage, then write the manifest.',
  usage: 'collect [--config FILE] [--source DIR]... [--out DIR] [--base-url URL] [--no-minify] [--no-compress] [--no-deltas] [--strict] [--dry-run] [--verify] [--watch] [--json] [--quiet]',
  flags: {
    ...STORAGE_FLAGS,
    source: { type: 'string', multiple: true, value: 'DIR', expects: 'a directory of static files', description: 'a source directory; repeat for several, the first wins (default: config "sources")' },
    'base-url': { type: 'string', value: 'URL', expects: 'a URL such as /static/', description: 'public URL prefix of the outputs (default: config "baseUrl" or /static/)' },
    'no-minify': { type: 'boolean', description: 'do not minify JS and CSS' },
    'no-compress': { type: 'boolean', description: 'do not write .gz and .br siblings' },
    'no-deltas': { type: 'boolean', description: 'do not build deploy deltas (dcb/dcz) against earlier versions' },
    strict: { type: 'boolean', description: 'treat warnings (missing references, minify errors) as errors' },
    'dry-run': { type: 'boolean', description: 'do all the work and report what would be written (files new and changed, the manifest), write nothing' },
    verify: { type: 'boolean', description: 'read and hash every file, even those the stat index says are unchanged (and rebuild the index)' },
    watch: { type: 'boolean', description: 'after collecting, collect again whenever a source changes' },
    ...LOCK_TIMEOUT_FLAG,
    json: { type: 'boolean', description: 'print one machine-readable report instead of the table (every warning included)' },
    quiet: { type: 'boolean', description: 'print only errors and a count of warnings' },
    verbose: { type: 'boolean', description: 'list every warning (by default, many of one kind are grouped into one line)' },
    ...HELP_FLAG,
  },
  notes: ['Flags override the config. Without a config, pass --source and --out (convoy init writes a config).', EXIT_CODES],
}

/** How `ls` and `clean` find the storage they read. */
const STORAGE_LOOKUP_NOTE = 'The storage is found as by convoy collect: --out, else config "storage", else config "out".'

const LS: CommandSpec = {
  name: 'ls',
  summary: 'List the manifest: logical path, served file, sizes, integrity.',
  usage: 'ls [PATTERN] [--config FILE] [--out DIR] [--json]',
  positional: { name: 'PATTERN', description: 'only paths matching this glob (css/**) or containing this text' },
  flags: { ...STORAGE_FLAGS, json: { type: 'boolean', description: 'print the entries as JSON' }, ...HELP_FLAG },
  notes: [STORAGE_LOOKUP_NOTE, EXIT_CODES],
}

const CLEAN: CommandSpec = {
  name: 'clean',
  summary: 'Delete outputs that no recent manifest version names and that were superseded long enough ago; never the current ones.',
  usage: 'clean [--keep N] [--age SECONDS] [--dry-run] [--json] [--config FILE] [--out DIR]',
  flags: {
    ...STORAGE_FLAGS,
    keep: { type: 'string', value: 'N', expects: 'a number of manifest versions', description: 'manifest versions whose files are kept, the current one included (default 2)' },
    age: { type: 'string', value: 'SECONDS', expects: 'a number of seconds', description: 'only delete files superseded at least this long ago (default 3600)' },
    'dry-run': { type: 'boolean', description: 'list what would be deleted and how many bytes, delete nothing' },
    ...LOCK_TIMEOUT_FLAG,
    json: { type: 'boolean', description: 'machine-readable report' },
    ...HELP_FLAG,
  },
  notes: [STORAGE_LOOKUP_NOTE, EXIT_CODES],
}

const INIT: CommandSpec = {
  name: 'init',
  summary: 'Write a commented convoy.config.ts (convoy.config.mjs without TypeScript) and print how to serve the output from Express.',
  usage: 'init [--source DIR]... [--out DIR] [--base-url URL] [--format ts|mjs] [--force]',
  flags: {
    source: { type: 'string', multiple: true, value: 'DIR', expects: 'a directory of static files', description: `a source directory; repeat for several (default: the first of ${STATIC_DIRECTORY_CANDIDATES.slice(0, 4).join(', ')}… that holds files)` },
    out: { type: 'string', value: 'DIR', expects: 'a directory', description: `output directory (default: ${OUTPUT_CANDIDATES[0]}, or ${OUTPUT_CANDIDATES[1]} when ${OUTPUT_CANDIDATES[0]}/ holds other files or is the source)` },
    'base-url': { type: 'string', value: 'URL', expects: 'a URL such as /static/', description: 'public URL prefix of the outputs (default /static/)' },
    format: { type: 'string', value: 'ts|mjs', expects: 'ts or mjs', description: 'config language (default: ts when the project has a tsconfig.json or depends on typescript)' },
    force: { type: 'boolean', description: 'replace an existing convoy.config.*' },
    ...HELP_FLAG,
  },
  notes: ['Then: npx convoy collect, and npx convoy ls.', EXIT_CODES],
}

const COMMANDS: readonly CommandSpec[] = [INIT, COLLECT, LS, CLEAN]

function formatUsage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length))
  return [
    'Usage: convoy <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run convoy <command> --help for its options.',
    '',
    '  -h, --help     show this help',
    '  -v, --version  show the version',
    '',
    'Start with: npx convoy init, then npx convoy collect.',
    EXIT_CODES,
    '',
  ].join('\n')
}

/** Exit code for an error: 2 for usage and configuration mistakes, 1 for everything found while processing. */
export function exitCodeOf(error: unknown): 1 | 2 {
  if (!isConvoyError(error)) return 1
  return error.code === 'ERR_CONVOY_USAGE' || error.code === 'ERR_CONVOY_CONFIG' || error.code === 'ERR_CONVOY_SOURCE' ? 2 : 1
}

/** Runs the `convoy` command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined) {
      io.stderr.write(formatUsage())
      return 2
    }
    if (name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined
      if (topic === undefined) io.stdout.write(formatUsage())
      else io.stdout.write(formatCommandHelp(commandNamed(topic)))
      return 0
    }
    if (name === '-v' || name === '--version') {
      io.stdout.write(`${await version()}\n`)
      return 0
    }
    const command = commandNamed(name)
    // Help first: `convoy collect --bogus --help` is someone looking for the right flag.
    const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
    if (options.includes('--help') || options.includes('-h')) {
      io.stdout.write(formatCommandHelp(command))
      return 0
    }
    const { flags, positionals } = parseCommandArgs(command, rest, COMMANDS)
    if (command === COLLECT) return await runCollect(flags, io)
    if (command === LS) return await runLs(flags, positionals, io)
    if (command === CLEAN) return await runClean(flags, io)
    return await runInit(flags, io)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`convoy: ${message.replace(/^@convoy\/core: /, '')}\n`)
    return exitCodeOf(error)
  }
}

function commandNamed(name: string): CommandSpec {
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (command === undefined) throw new ConvoyError('ERR_CONVOY_USAGE', `unknown command "${name}": the commands are ${COMMANDS.map((candidate) => candidate.name).join(', ')} (run convoy --help)`)
  return command
}

interface StorageFlags {
  readonly config?: string
  readonly out?: string
}

interface CollectFlags extends StorageFlags {
  readonly source?: readonly string[]
  readonly 'base-url'?: string
  readonly 'no-minify'?: boolean
  readonly 'no-compress'?: boolean
  readonly 'no-deltas'?: boolean
  readonly strict?: boolean
  readonly 'dry-run'?: boolean
  readonly verify?: boolean
  readonly watch?: boolean
  readonly 'lock-timeout'?: string
  readonly json?: boolean
  readonly quiet?: boolean
  readonly verbose?: boolean
}

interface CleanFlags extends StorageFlags {
  readonly keep?: string
  readonly age?: string
  readonly 'dry-run'?: boolean
  readonly 'lock-timeout'?: string
  readonly json?: boolean
}

interface InitFlags {
  readonly source?: readonly string[]
  readonly out?: string
  readonly 'base-url'?: string
  readonly format?: string
  readonly force?: boolean
}

async function runCollect(flags: CollectFlags, io: CliIo): Promise<number> {
  // Every flag value is checked before anything is loaded or read.
  const flagLockTimeout = secondsFlag(flags['lock-timeout'], '--lock-timeout', '60')
  const flagBaseUrl = baseUrlFlag(flags['base-url'])
  const { config, directory, storage } = await openStorage(COLLECT, flags, io)
  const sources = flags.source !== undefined ? flags.source.map((source) => resolve(io.cwd, source)) : (config.sources ?? []).map((source) => resolve(directory, source))
  if (sources.length === 0) {
    throw new ConvoyError('ERR_CONVOY_USAGE', 'no source directory: pass --source DIR (e.g. convoy collect --source static --out public) or set "sources" in convoy.config (convoy init writes one)')
  }
  const json = flags.json === true
  const quiet = flags.quiet === true
  const warningMode = quiet ? 'count' : flags.verbose === true ? 'verbose' : 'grouped'
  const lockTimeout = flagLockTimeout ?? config.lockTimeout ?? 0
  const baseUrl = flagBaseUrl ?? config.baseUrl
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
    compress: flags['no-compress'] === true ? false : flags['no-deltas'] === true ? withoutDeltas(config.compress ?? true) : (config.compress ?? true),
    ...(config.useExistingMin === undefined ? {} : { useExistingMin: config.useExistingMin }),
    ...(config.rewriteJsModules === undefined ? {} : { rewriteJsModules: config.rewriteJsModules }),
    runner,
    cache: cacheDir === undefined ? NO_CACHE : createDiskCache(cacheDir),
    strict: flags.strict === true || config.strict === true,
    dryRun: flags['dry-run'] === true,
    // Beside the cache: one index per storage and list of sources, as each describes what one deploy target holds.
    statIndex: cacheDir === undefined ? false : { file: join(cacheDir, 'stat-index', `${createHash('sha256').update(JSON.stringify([storage.name, sources])).digest('hex').slice(0, 16)}.json`) },
    verify: flags.verify === true,
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

/** The `compress` setting with deploy deltas turned off (`--no-deltas`). */
function withoutDeltas(compress: boolean | CompressConfig): false | CompressConfig {
  if (compress === false) return false
  return { ...(compress === true ? {} : compress), deltas: false }
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

async function runLs(flags: StorageFlags & { json?: boolean }, positionals: readonly string[], io: CliIo): Promise<number> {
  const { storage } = await openStorage(LS, flags, io)
  const assets = listAssets(await readManifest(storage), positionals[0])
  io.stdout.write(flags.json === true ? `${JSON.stringify(assets, null, 2)}\n` : formatAssetTable(assets))
  return 0
}

async function runClean(flags: CleanFlags, io: CliIo): Promise<number> {
  const keep = wholeNumberFlag(flags.keep, '--keep', 'manifest versions', 1)
  const age = secondsFlag(flags.age, '--age', '3600')
  const flagLockTimeout = secondsFlag(flags['lock-timeout'], '--lock-timeout', '60')
  const { config, storage } = await openStorage(CLEAN, flags, io)
  const lockTimeout = flagLockTimeout ?? config.lockTimeout ?? 0
  const report = await clean({
    storage,
    ...(keep === undefined ? {} : { keep }),
    ...(age === undefined ? {} : { age }),
    dryRun: flags['dry-run'] === true,
    lockTimeoutMs: lockTimeout * 1000,
    onNotice: (message) => io.stderr.write(`convoy: notice: ${message}\n`),
  })
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

async function runInit(flags: InitFlags, io: CliIo): Promise<number> {
  const format = choiceFlag(flags.format, '--format', ['ts', 'mjs'] as const)
  const baseUrl = baseUrlFlag(flags['base-url'])
  const result = await initConfig({ cwd: io.cwd, sources: flags.source, out: flags.out, baseUrl, format, force: flags.force === true })
  io.stdout.write(formatInitReport(result, io.cwd))
  return 0
}

/** The config and the storage every command works on: `--out` first, then config `storage`, then config `out`. */
async function openStorage(command: CommandSpec, flags: StorageFlags & { 'base-url'?: string }, io: CliIo): Promise<{ config: ConvoyConfig; directory: string; storage: Storage }> {
  const { config, directory, file } = await loadConfig({ cwd: io.cwd, file: flags.config })
  const out = flags.out !== undefined ? resolve(io.cwd, flags.out) : config.out === undefined ? undefined : resolve(directory, config.out)
  const baseUrl = flags['base-url'] ?? config.baseUrl
  // `--out` wins over everything; in the config a `storage` wins over `out`.
  if (flags.out === undefined && config.storage !== undefined) return { config, directory, storage: config.storage }
  if (out !== undefined) {
    const { createFsStorage } = await import('@convoy/storage-fs')
    return { config, directory, storage: createFsStorage({ root: out, ...(baseUrl === undefined ? {} : { baseUrl }) }) }
  }
  throw new ConvoyError('ERR_CONVOY_USAGE', await noOutputMessage(command, file === undefined ? undefined : relative(io.cwd, file) || file, io.cwd))
}

/**
 * What to say when a command does not know where the output is: the exact command line to run. `ls` and `clean` run
 * after a `collect --out DIR` look for the manifest it wrote, so the newcomer is told which `--out` to pass.
 */
async function noOutputMessage(command: CommandSpec, configFile: string | undefined, cwd: string): Promise<string> {
  const inConfig = configFile === undefined ? 'set "out" in a convoy.config (convoy init writes one)' : `set "out" (or "storage") in ${configFile}`
  if (command === COLLECT) return `no output: pass --out DIR (e.g. convoy collect --source static --out public) or ${inConfig}`
  const outputs = configFile === undefined ? await findCollectedOutputs(cwd) : []
  if (outputs.length === 0) return `no output: pass --out DIR, the directory convoy collect wrote to (e.g. convoy ${command.name} --out public), or ${inConfig}`
  const lines = outputs.slice(0, 3).map((output) => `convoy ${command.name} --out ${shellWord(output)}`)
  const found = outputs.length === 1 ? `${outputs[0]!}/${MANIFEST_FILE} is there` : `${outputs.length} folders here hold a ${MANIFEST_FILE}`
  return `no output: pass --out DIR, the directory convoy collect wrote to: ${lines.join(' or ')} (${found}); or ${inConfig}`
}

function writeWarnings(warnings: readonly Warning[], io: CliIo, mode: FormatWarningsOptions['mode']): void {
  const displayFile = (file: string): string => (relative(io.cwd, file).startsWith('..') ? file : relative(io.cwd, file))
  // Messages name files by absolute path (the pipeline has no working directory); on a terminal, paths under it read better relative.
  const here = `${io.cwd.replace(/[\\/]+$/, '')}${sep}`
  const shown = warnings.map((warning) => (warning.message.includes(here) ? { ...warning, message: warning.message.split(here).join('') } : warning))
  for (const line of formatWarnings(shown, { mode, displayFile })) io.stderr.write(`${line}\n`)
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module')
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string }
  return pkg.version
}
