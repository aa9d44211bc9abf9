import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { collect, type CollectProgress } from '../collect/collect.js'
import { createDefaultSteps } from '../collect/default-steps.js'
import { loadConfig } from '../config.js'
import type { Storage } from '../storage.js'
import { createDiskCache, NO_CACHE } from '../work/cache.js'
import { createTaskRunner } from '../work/runner.js'
import { createProgressBar } from './progress.js'
import { formatSummary } from './summary.js'

/** Where the CLI writes; injectable so tests can capture it. */
export interface CliIo {
  readonly cwd: string
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

const USAGE = `Usage: convoy <command> [options]

Commands:
  collect   fingerprint, rewrite, minify and precompress the sources into the storage, then write the manifest

Options of collect:
  --config FILE     config file (default: convoy.config.{ts,mts,js,mjs,json} in the working directory)
  --source DIR      a source directory; repeat for several, the first wins (default: config "sources")
  --out DIR         output directory (default: config "out" or "storage")
  --base-url URL    public URL prefix of the outputs (default: config "baseUrl" or /static/)
  --no-minify       do not minify JS and CSS
  --no-compress     do not write .gz and .br siblings
  --strict          treat warnings (missing references, minify errors) as errors
  --dry-run         do all the work, write nothing
  --json            print one machine-readable report instead of the table
  --quiet           print only warnings and errors
  -h, --help        show this help
  -v, --version     show the version

Exit codes: 0 success, 1 processing errors (nothing published), 2 usage or config errors.`

const COLLECT_OPTIONS = {
  config: { type: 'string' },
  source: { type: 'string', multiple: true },
  out: { type: 'string' },
  'base-url': { type: 'string' },
  'no-minify': { type: 'boolean' },
  'no-compress': { type: 'boolean' },
  strict: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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
    throw new ConvoyError('ERR_CONVOY_USAGE', `unknown command "${command}" (run convoy --help)`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`convoy: ${message.replace(/^@convoy\/core: /, '')}\n`)
    return exitCodeOf(error)
  }
}

async function runCollect(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args)
  if (flags.help === true) {
    io.stdout.write(`${USAGE}\n`)
    return 0
  }
  const { config, directory } = await loadConfig({ cwd: io.cwd, file: flags.config })
  const sources = flags.source !== undefined ? flags.source.map((source) => resolve(io.cwd, source)) : (config.sources ?? []).map((source) => resolve(directory, source))
  if (sources.length === 0) {
    throw new ConvoyError('ERR_CONVOY_USAGE', 'no source directory: pass --source DIR or set "sources" in convoy.config')
  }
  const storage = await resolveStorage(flags.out !== undefined ? resolve(io.cwd, flags.out) : config.out === undefined ? undefined : resolve(directory, config.out), config.storage, flags['base-url'] ?? config.baseUrl)
  const json = flags.json === true
  const quiet = flags.quiet === true
  const progress = !json && !quiet && io.stderr.isTTY === true ? createProgressBar(io.stderr) : undefined
  const strict = flags.strict === true || config.strict === true
  const baseUrl = flags['base-url'] ?? config.baseUrl ?? '/static/'
  const cacheDir = config.cacheDir === undefined ? resolve(directory, 'node_modules/.cache/convoy') : config.cacheDir === false ? undefined : resolve(directory, config.cacheDir)
  const runner = createTaskRunner()
  let report
  try {
    report = await collect({
      sources,
      storage,
      baseUrl,
      ignore: config.ignore ?? [],
      ...(config.hash === undefined ? {} : { hash: config.hash }),
      steps: createDefaultSteps({
        minify: flags['no-minify'] === true ? false : (config.minify ?? true),
        compress: flags['no-compress'] === true ? false : (config.compress ?? true),
        useExistingMin: config.useExistingMin ?? true,
        rewriteJsModules: config.rewriteJsModules ?? false,
        baseUrl,
        runner,
        cache: cacheDir === undefined ? NO_CACHE : createDiskCache(cacheDir),
      }),
      strict,
      dryRun: flags['dry-run'] === true,
      ...(progress === undefined ? {} : { onProgress: (event: CollectProgress) => progress.update(event) }),
    })
  } finally {
    progress?.stop()
    await runner.close()
  }
  if (json) {
    io.stdout.write(`${JSON.stringify({ ok: true, ...report }, null, 2)}\n`)
    return 0
  }
  for (const warning of report.warnings) io.stderr.write(`convoy: warning: ${formatWarning(warning)}\n`)
  if (!quiet) io.stdout.write(formatSummary(report, storage.name))
  return 0
}

function parseFlags(args: readonly string[]): ReturnType<typeof parseArgs<{ options: typeof COLLECT_OPTIONS; allowPositionals: false; args: string[] }>>['values'] {
  try {
    return parseArgs({ args: [...args], options: COLLECT_OPTIONS, allowPositionals: false, strict: true }).values
  } catch (error) {
    throw new ConvoyError('ERR_CONVOY_USAGE', `${(error as Error).message} (run convoy collect --help)`, { cause: error })
  }
}

async function resolveStorage(out: string | undefined, configured: Storage | undefined, baseUrl: string | undefined): Promise<Storage> {
  if (out !== undefined) {
    const { createFsStorage } = await import('@convoy/storage-fs')
    return createFsStorage({ root: out, ...(baseUrl === undefined ? {} : { baseUrl }) })
  }
  if (configured !== undefined) return configured
  throw new ConvoyError('ERR_CONVOY_USAGE', 'no output: pass --out DIR or set "out" or "storage" in convoy.config')
}

function formatWarning(warning: { step: string; message: string; file?: string; line?: number; column?: number }): string {
  const where = warning.file === undefined ? '' : `${warning.file}${warning.line === undefined ? '' : `:${warning.line}${warning.column === undefined ? '' : `:${warning.column}`}`}: `
  return `${where}${warning.message} [${warning.step}]`
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module')
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string }
  return pkg.version
}
