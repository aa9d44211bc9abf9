import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { contentHash } from '@convoy/hash'
import { resolveCompressOptions, type CompressOptions, type ResolvedCompressOptions } from '@convoy/gzip'
import { DEFAULT_BASE_URL, type CompressConfig, type ConvoyConfig } from '../config.js'
import type { FollowSymlinks } from '../sources.js'
import type { Storage } from '@convoy/storage'
import { NO_CACHE, type TaskCache } from '../work/cache.js'
import { createTaskRunner, type TaskRunner } from '../work/runner.js'
import type { DeclaredCarpool } from '../carpool-templates.js'
import { createCompressStage } from './stages/compress.js'
import { createDeltaStage, resolveDeltaOptions, type ResolvedDeltaOptions } from './stages/delta.js'
import { createMinifyStage } from './stages/minify.js'
import { createReferencesStage } from './stages/references.js'
import type { Stage } from './stage.js'
import { DEFAULT_RACY_WINDOW_MS, type StatIndexOptions } from './stat-index.js'

/** Part of the stat index's signature: a new core may name, rewrite or record outputs differently. */
const CORE_VERSION = (createRequire(import.meta.url)('@convoy/core/package.json') as { version: string }).version

/** Everything `collect()` needs; the CLI builds it from flags and config, with the config's names and defaults. */
export interface CollectOptions extends Pick<ConvoyConfig, 'baseUrl' | 'ignore' | 'hash' | 'minify' | 'compress' | 'useExistingMin' | 'rewriteJsModules'> {
  /** Source directories, first wins. */
  readonly sources: readonly string[]
  readonly storage: Storage
  /** Persistent cache of stage results (`createDiskCache(dir)`). Default: none. */
  readonly cache?: TaskCache
  /** Where minification and compression run. Default: a pool of worker threads started and closed by this run. */
  readonly runner?: TaskRunner
  /**
   * The processing stages, replacing the default `references`, `minify` and `compress` (which `createDefaultStages()`
   * returns for the same options). `read`, `fingerprint` and `write` are the run's own and always run.
   */
  readonly stages?: readonly Stage[]
  /** Warnings become errors. */
  readonly strict?: boolean
  /** Do all the work but write nothing. */
  readonly dryRun?: boolean
  /** Called as files are processed and written (for progress bars). */
  readonly onProgress?: (progress: CollectProgress) => void
  /** Carpool bundles to build now and record in the manifest (config `bundles`, carpool blocks of templates). */
  readonly carpools?: readonly DeclaredCarpool[]
  /** Which symbolic links in the sources are followed. Default `'inside'`: only those that stay inside a source. */
  readonly followSymlinks?: FollowSymlinks
  /** How long to wait for another run's lock on the storage before failing with `ERR_CONVOY_CONFLICT`. Default 0. */
  readonly lockTimeoutMs?: number
  /** Clock for the manifest history (tests). */
  readonly now?: () => Date
  /**
   * The stat index, so an unchanged file is not even read: `{ file }` names where it is kept. Default: none (every
   * file is read and hashed); the CLI keeps one in the cache directory.
   */
  readonly statIndex?: StatIndexOptions | false
  /** Read and hash every file even where the stat index says it is unchanged, and rebuild the index (`--verify`). */
  readonly verify?: boolean
}

export interface CollectProgress {
  readonly phase: 'process' | 'write'
  readonly done: number
  readonly total: number
}

/** {@link CollectOptions} with every default filled in, checked once; the stages and the run read only this. */
export interface ResolvedCollectOptions {
  readonly sources: readonly string[]
  readonly storage: Storage
  readonly baseUrl: string
  readonly ignore: readonly string[]
  readonly hash: { readonly algorithm: string; readonly length: number }
  readonly compress: ResolvedCompressOptions
  /** The processing stages, in order. */
  readonly stages: readonly Stage[]
  readonly runner: TaskRunner
  /** True when the run made the runner, so it closes it. */
  readonly ownsRunner: boolean
  readonly cache: TaskCache
  readonly strict: boolean
  readonly dryRun: boolean
  readonly followSymlinks: FollowSymlinks
  readonly lockTimeoutMs: number
  readonly carpools: readonly DeclaredCarpool[]
  readonly onProgress: ((progress: CollectProgress) => void) | undefined
  readonly now: () => Date
  /** Deprecated options that were given, each with what to write instead (shown as warnings). */
  readonly deprecations: readonly string[]
  /** What the run will not do on this Node although configured (an encoding it cannot build), and why: said once. */
  readonly notices: readonly string[]
  readonly statIndex: Required<StatIndexOptions> | undefined
  readonly verify: boolean
  /** Everything besides a file's bytes that decides its outputs: the stat index is only used under the same one. */
  readonly signature: string
}

/** Fills in the defaults of `collect()`'s options and checks them, before anything is read. */
export function resolveCollectOptions(options: CollectOptions): ResolvedCollectOptions {
  const hash = { algorithm: options.hash?.algorithm ?? 'md5', length: options.hash?.length ?? 12 }
  contentHash('', hash) // fail fast on a bad algorithm or length, before reading anything
  const deprecations: string[] = []
  const compress = resolveCompressOptions(compressOptionsOf(options.compress ?? true, (message) => deprecations.push(message)))
  const deltas = options.stages === undefined ? deltaOptionsOf(options.compress ?? true) : undefined
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL
  const runner = options.runner ?? createTaskRunner()
  const stages = options.stages ?? createDefaultStages({ ...options, runner })
  // One notice for everything configured that this Node cannot build, each with its reason.
  const skipped = [
    ...compress.skipped.map(({ name, reason }) => `${name} siblings: ${reason}`),
    ...(deltas?.skipped ?? []).map(({ name, reason }) => `${name} deltas: ${reason}`),
  ]
  const notices = skipped.length === 0 ? [] : [`not built on this Node.js: ${skipped.join('; ')}`]
  return {
    sources: options.sources.map((source) => resolve(source)),
    storage: options.storage,
    baseUrl,
    ignore: options.ignore ?? [],
    hash,
    compress,
    stages,
    runner,
    ownsRunner: options.runner === undefined,
    cache: options.cache ?? NO_CACHE,
    strict: options.strict ?? false,
    dryRun: options.dryRun ?? false,
    followSymlinks: options.followSymlinks ?? 'inside',
    lockTimeoutMs: options.lockTimeoutMs ?? 0,
    carpools: options.carpools ?? [],
    onProgress: options.onProgress,
    now: options.now ?? (() => new Date()),
    deprecations,
    notices,
    statIndex: options.statIndex === undefined || options.statIndex === false ? undefined : { file: resolve(options.statIndex.file), racyWindowMs: options.statIndex.racyWindowMs ?? DEFAULT_RACY_WINDOW_MS },
    verify: options.verify ?? false,
    signature: JSON.stringify({
      core: CORE_VERSION,
      baseUrl,
      hash,
      compress,
      minify: options.minify ?? true,
      useExistingMin: options.useExistingMin ?? true,
      rewriteJsModules: options.rewriteJsModules ?? false,
      stages: stages.map((stage) => [stage.name, stage.signature ?? '']),
    }),
  }
}

/** What {@link createDefaultStages} reads: the processing options of {@link CollectOptions}. */
export type DefaultStagesOptions = Pick<CollectOptions, 'baseUrl' | 'minify' | 'useExistingMin' | 'rewriteJsModules'> & {
  readonly compress?: boolean | CompressConfig
  readonly runner: TaskRunner
}

/**
 * The standard processing stages, `references`, `minify` and `compress`, for these options: what `collect()` runs
 * when not given `stages`, to extend with a stage of your own.
 *
 * @example
 * const runner = createTaskRunner()
 * await collect({ sources, storage, runner, stages: [...createDefaultStages({ runner }), myStage] })
 */
export function createDefaultStages(options: DefaultStagesOptions): Stage[] {
  const minify = options.minify === false ? { js: false as const, css: false as const } : options.minify === true || options.minify === undefined ? {} : options.minify
  // collect() reports the deprecated compress shape once, when it resolves its options; here it is only translated.
  const compress = compressOptionsOf(options.compress ?? true, () => undefined)
  const deltas = deltaOptionsOf(options.compress ?? true)
  return [
    createReferencesStage({ baseUrl: withTrailingSlash(options.baseUrl ?? DEFAULT_BASE_URL), rewriteJsModules: options.rewriteJsModules ?? false }),
    createMinifyStage({ js: minify.js ?? 'terser', css: minify.css ?? 'clean-css', useExistingMin: options.useExistingMin ?? true, runner: options.runner }),
    createCompressStage({ compress, runner: options.runner }),
    // After compress: a delta is kept only when it beats the best precompressed sibling.
    ...(deltas.encodings.length === 0 ? [] : [createDeltaStage({ deltas, runner: options.runner })]),
  ]
}

/** The `compress.deltas` setting, resolved (off with `compress: false`: deltas are compression too). */
function deltaOptionsOf(compress: boolean | CompressConfig): ResolvedDeltaOptions {
  return resolveDeltaOptions(compress === false ? false : compress === true ? true : compress.deltas)
}

/**
 * The `compress` setting (config or option) as `@convoy/gzip`'s one shape. The old `{ gzip: 9, brotli: false }` form
 * still works, with a deprecation saying what to write instead.
 */
export function compressOptionsOf(compress: boolean | CompressConfig, deprecated: (message: string) => void): CompressOptions {
  if (compress === false) return { encodings: [] }
  if (compress === true) return {}
  // Deltas are collect's own (they need the manifest's history), not `@convoy/gzip`'s.
  const { gzip, brotli, deltas: _deltas, ...current } = compress
  if (gzip === undefined && brotli === undefined) return current
  const encodings = current.encodings ?? (['gzip', 'br'] as const).filter((name) => (name === 'gzip' ? gzip !== false : brotli !== false))
  const levels = { ...(typeof gzip === 'number' ? { gzip } : {}), ...(typeof brotli === 'number' ? { br: brotli } : {}), ...current.levels }
  const replacement = { ...current, encodings, ...(Object.keys(levels).length > 0 ? { levels } : {}) }
  deprecated(`compress: { gzip, brotli } is deprecated; write compress: ${JSON.stringify(replacement)}`)
  return replacement
}

/** A URL prefix that ends with `/`. */
export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}
