import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConvoyError } from '@convoy/errors'
import { createManifest, entryStoragePaths, MANIFEST_FILE, supersede, type Manifest, type ManifestCarpool, type ManifestEntry } from '@convoy/manifest'
import { contentTypeOf } from '@convoy/storage'
import { carpoolName } from '@convoy/carpool'
import { findSourceFiles, isInside, realPathOfFutureDirectory, type FileStamp, type SkipReason } from '../sources.js'
import type { Storage } from '@convoy/storage'
import { addOutput, createAsset, type Asset, type Warning } from './asset.js'
import type { DeclaredCarpool } from '../carpool-templates.js'
import { buildDeclaredCarpool } from './carpools.js'
import { openDeployGuard, readPublishedManifest, type DeployGuard } from './deploy-guard.js'
import { asConvoyError, collectFailed, type CollectFailure } from './failures.js'
import { resolveCollectOptions, type CollectOptions, type ResolvedCollectOptions } from './options.js'
import { createVersionsOf } from './earlier-versions.js'
import { runStages, type ReuseCandidate } from './run-stages.js'
import { isSettled, readStatIndex, writeStatIndex, type IndexedFile } from './stat-index.js'
import { createFingerprintStage } from './stages/fingerprint.js'
import { createReadStage } from './stages/read.js'
import { createWriteStage } from './stages/write.js'
import { boundWarning } from './warnings.js'
import { WriteQueue } from './write-queue.js'

/** What a run did, for the summary table and `--json`. */
export interface CollectReport {
  readonly files: number
  readonly bytes: ByteTotals
  /** The same totals per kind of file (css, js, image, font, map, other). */
  readonly kinds: Readonly<Record<string, ByteTotals & { readonly files: number }>>
  /** Outputs reused from the persistent cache instead of being computed again. */
  readonly cacheHits: number
  /** Storage writes made (or, in a dry run, that would be made), the manifest included. */
  readonly written: number
  /** Outputs already in storage, not written again. */
  readonly unchanged: number
  /** Files the stat index vouched for: their previous outputs and manifest entry were kept without reading them. */
  readonly reused: number
  readonly warnings: readonly Warning[]
  /** What was configured but not done on this Node, and why (an encoding it cannot build): not a problem of the files. */
  readonly notices: readonly string[]
  /** The manifest; `written` is whether it was (in a dry run: would be) written, i.e. whether it changed. */
  readonly manifest: { readonly path: string; readonly id: string; readonly written: boolean }
  /** How the manifest's files differ from the previous manifest's, by logical path (sorted). */
  readonly changes: ManifestChanges
  readonly dryRun: boolean
  readonly seconds: number
}

export interface ManifestChanges {
  /** Logical paths the previous manifest did not list (all of them on a first run). */
  readonly added: readonly string[]
  /** Logical paths whose served file, variants or source changed. */
  readonly changed: readonly string[]
  /** Logical paths the previous manifest listed and this one does not. */
  readonly removed: readonly string[]
}

export interface ByteTotals {
  readonly original: number
  readonly served: number
  /** Bytes a gzip-capable client downloads (the served size where no `.gz` was kept). */
  readonly gzip: number
  /** Bytes a brotli-capable client downloads. */
  readonly br: number
}

/** Warnings about the setup rather than the files (skipped sources, lock notices, deprecated options): never fatal under `strict`. */
const SETUP_STEPS = new Set(['sources', 'read', 'deploy', 'config'])

/**
 * Collects the sources into the storage: originals, fingerprinted copies and whatever the stages add, then the
 * manifest, last and atomically. Throws a `ConvoyError` (with every failure in `failures`) without touching the
 * manifest when anything fails, so what was served before stays intact.
 *
 * @example
 * import { collect } from '@convoy/core/collect'
 * import { createFsStorage } from '@convoy/storage-fs'
 * const report = await collect({ sources: ['static'], storage: createFsStorage({ root: 'public/static' }) })
 */
export async function collect(options: CollectOptions): Promise<CollectReport> {
  const started = performance.now()
  const resolved = resolveCollectOptions(options)
  try {
    return await collectResolved(resolved, started)
  } finally {
    if (resolved.ownsRunner) await resolved.runner.close()
  }
}

async function collectResolved(options: ResolvedCollectOptions, started: number): Promise<CollectReport> {
  const { storage, dryRun } = options
  for (const stage of options.stages) await stage.prepare?.()
  const output = await assertNoOverlap(options.sources, storage)

  // Every warning is bounded and escaped once, here, whoever raised it.
  const warnings: Warning[] = []
  const pushWarning = (warning: Warning): void => {
    warnings.push(boundWarning(warning))
  }
  for (const message of options.deprecations) pushWarning({ step: 'config', kind: 'deprecated', message })
  const sources = await distinctSources(options.sources, pushWarning)
  // Changes from this moment on may not show in the stats the walk takes (see the stat index's racy window).
  const walkStartedNs = BigInt(Date.now()) * 1_000_000n
  const found = await findSourceFiles({ sources, ignore: options.ignore, followSymlinks: options.followSymlinks, exclude: output === undefined ? [] : [output] })
  // The manifest's own name is reserved at the storage root: a source file there would overwrite it.
  const files = found.files.filter((file) => file.logicalPath !== MANIFEST_FILE)
  for (const file of found.files.filter((candidate) => candidate.logicalPath === MANIFEST_FILE)) {
    pushWarning({ step: 'sources', kind: 'reserved-name', file: file.absolutePath, message: `${MANIFEST_FILE} is reserved for the manifest; this source file is not collected` })
  }
  for (const entry of found.skipped) {
    pushWarning({ step: 'sources', kind: entry.reason, file: entry.path, message: `not collected: ${SKIP_REASONS[entry.reason]}: ${entry.detail}` })
  }
  // One warning per logical path, however many sources hold it: which file is collected, which are not, and why.
  const shadowed = new Map<string, { used: string; ignored: string[] }>()
  for (const shadow of found.shadowed) {
    const known = shadowed.get(shadow.logicalPath)
    if (known === undefined) shadowed.set(shadow.logicalPath, { used: shadow.used, ignored: [shadow.ignored] })
    else known.ignored.push(shadow.ignored)
  }
  for (const [logicalPath, { used, ignored }] of shadowed) {
    const others = ignored.length === 1 ? `${ignored[0]!} is ignored` : `${ignored.slice(0, -1).join(', ')} and ${ignored.at(-1)!} are ignored`
    pushWarning({ step: 'sources', kind: 'shadowed', file: ignored[0]!, message: `${logicalPath} is in ${ignored.length + 1} sources and the first one listed wins: ${used} is collected, ${others}` })
  }
  // A dry run writes nothing, so it needs no lock and leaves leftovers alone.
  const guard = dryRun
    ? undefined
    : await openDeployGuard(storage, { purpose: 'convoy collect', lockTimeoutMs: options.lockTimeoutMs, warn: (warning) => pushWarning({ step: 'deploy', ...warning }) }).catch((error: unknown) => {
        throw asConvoyError(error, 'ERR_CONVOY_STORAGE', `cannot open ${storage.name}`, storage.name)
      })
  try {
    const stamps = new Map<Asset, FileStamp>()
    const assets = files.map((file) => {
      const asset = createAsset({ logicalPath: file.logicalPath, sourceFile: file.absolutePath, size: file.size, contentType: contentTypeOf(file.logicalPath) })
      stamps.set(asset, file.stamp)
      return asset
    })
    return await collectLocked(options, { started, warnings, pushWarning, assets, stamps, walkStartedNs, guard })
  } finally {
    await guard?.release()
  }
}

interface RunState {
  readonly started: number
  readonly warnings: Warning[]
  readonly pushWarning: (warning: Warning) => void
  readonly assets: readonly Asset[]
  /** What the walk's stat of each file was. */
  readonly stamps: ReadonlyMap<Asset, FileStamp>
  readonly walkStartedNs: bigint
  readonly guard: DeployGuard | undefined
}

/** The rest of a run, once it holds the storage's lock (when the storage has one). */
async function collectLocked(options: ResolvedCollectOptions, run: RunState): Promise<CollectReport> {
  const { storage, dryRun, hash } = options
  const { warnings, pushWarning, guard } = run
  if (guard !== undefined && storage.removeLeftovers !== undefined) {
    // Under the lock nobody else deploys, so temporary files of writers that died are safe to remove.
    const removed = await storage.removeLeftovers()
    if (removed.length > 0) pushWarning({ step: 'deploy', kind: 'leftovers', message: `removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} left by an interrupted run (e.g. ${removed[0]})` })
  }
  const previous = guard !== undefined ? guard.previous : await readPublishedManifest(storage, (warning) => pushWarning({ step: 'deploy', ...warning }))
  const existing = await listExisting(storage)
  const writes = new WriteQueue(storage, dryRun, existing, options.onProgress)
  const entries: Record<string, ManifestEntry> = {}
  const index = options.statIndex === undefined ? undefined : await readStatIndex(options.statIndex.file, { signature: options.signature, manifestId: previous?.id })
  if (index?.problem !== undefined) pushWarning({ step: 'read', kind: 'stat-index', message: index.problem })
  const candidateOf = (asset: Asset): ReuseCandidate | undefined => {
    const indexed = index?.files.get(asset.sourceFile)
    if (indexed === undefined || indexed.logicalPath !== asset.logicalPath || indexed.stamp !== run.stamps.get(asset)?.key) return undefined
    const entry = previous !== null && Object.hasOwn(previous.files, asset.logicalPath) ? previous.files[asset.logicalPath] : undefined
    if (entry === undefined || entry.sourceHash !== indexed.hash) return undefined
    // Reused only while everything it names is still stored (someone may have deleted outputs by hand).
    return storedPathsOf(asset.logicalPath, entry).every((path) => existing.has(path)) ? { indexed, entry } : undefined
  }

  const bundled = new Set(options.carpools.flatMap((carpool) => carpool.members))
  const result = await runStages({
    assets: run.assets,
    read: createReadStage({ algorithm: hash.algorithm, contentStages: options.stages.filter((stage) => stage.phase === 'content'), stampOf: (asset) => run.stamps.get(asset)?.key }),
    stages: options.stages,
    fingerprint: createFingerprintStage({ length: hash.length }),
    write: createWriteStage({ previous, writes, onEntry: (asset, entry) => (entries[asset.logicalPath] = entry) }),
    hash,
    cache: options.cache,
    warn: pushWarning,
    onProcessed: (done, total) => options.onProgress?.({ phase: 'process', done, total }),
    candidateOf,
    verify: options.verify,
    readStored: (path) => storage.read(path),
    versionsOf: createVersionsOf(previous),
    onReused: (asset, entry) => (entries[asset.logicalPath] = entry),
    // Declared bundles are built after the stages, from their members' served bytes.
    keepBytes: (asset) => bundled.has(asset.logicalPath),
  })
  const failures: CollectFailure[] = [...result.failures]

  // Bundles declared ahead of time, built from the served files exactly as the runtime would build them.
  const carpools: Record<string, ManifestCarpool> = {}
  if (failures.length === 0) {
    const built = new Map<string, ManifestCarpool>()
    for (const carpool of options.carpools) {
      try {
        // Under the same signature, a bundle of the same served members is the same bundle: keep its record.
        const kept = index !== undefined && index.files.size > 0 ? storedCarpool(carpool, previous, entries, existing, hash) : undefined
        if (kept !== undefined) {
          carpools[carpool.name] = kept
          continue
        }
        for (const member of carpool.members) {
          const asset = result.assets.get(member)
          if (asset === undefined || !result.reused.has(asset) || asset.outputs.length > 0) continue
          // A reused member was not read: the bundle is built from its stored served bytes.
          const served = entries[member]!.served
          const bytes = await storage.read(served)
          if (bytes === null) throw new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/core: ${served}, the stored file of ${member}, cannot be read`)
          addOutput(asset, { role: 'served', name: served, bytes })
        }
        const bundle = await buildDeclaredCarpool(carpool, result.assets, entries, {
          hash,
          stages: options.stages,
          contextFor: result.contextFor,
          previous: previous !== null && Object.hasOwn(previous.carpools, carpool.name) ? withStoredDeltas(previous.carpools[carpool.name]!, existing) : undefined,
        })
        const known = built.get(bundle.record.served)
        if (known !== undefined) {
          carpools[carpool.name] = { ...known, members: [...carpool.members] }
          continue
        }
        built.set(bundle.record.served, bundle.record)
        carpools[carpool.name] = bundle.record
        await writes.write(bundle.writes)
      } catch (error) {
        failures.push({ step: 'carpool', file: carpool.name, error: asConvoyError(error, 'ERR_CONVOY_CARPOOL', `carpool ${carpool.name} cannot be built`, carpool.name) })
      }
    }
  }

  if (options.strict) {
    for (const warning of warnings.filter((w) => !SETUP_STEPS.has(w.step))) {
      failures.push({ step: warning.step, file: warning.file ?? '', error: new ConvoyError(warning.step === 'references' ? 'ERR_CONVOY_MISSING_REFERENCE' : 'ERR_CONVOY_STEP', `@convoy/core: ${warning.message} (--strict)`, pick(warning)) })
    }
  }
  if (failures.length > 0) throw collectFailed(failures)

  // Nothing changed at all (every file reused, the same bundles): the manifest in force is this run's, as it is.
  const next = isUnchanged(previous, entries, carpools, options) ? previous! : createManifest({ files: entries, carpools, baseUrl: options.baseUrl, hash })
  const now = options.now()
  let manifest = supersede(previous, next, { now })
  let manifestChanged = previous === null || manifest !== previous
  if (guard !== undefined) {
    // Last, and only after every file it names is stored: a crash before this line leaves the previous manifest in force.
    // Under a conditional write, a manifest another deploy published meanwhile becomes the history this one supersedes.
    const written = await guard.publish((current) => supersede(current, next, { now })).catch((error: unknown) => {
      throw collectFailed([{ step: 'manifest', file: MANIFEST_FILE, error: asConvoyError(error, 'ERR_CONVOY_STORAGE', `cannot write ${MANIFEST_FILE} to ${storage.name}`, MANIFEST_FILE) }])
    })
    manifestChanged = written !== null
    if (written !== null) manifest = written
  }
  // An index of this very manifest, every file reused, none added or gone: it would be written as it is.
  const indexUnchanged = !manifestChanged && index !== undefined && result.reused.size === run.assets.length && index.files.size === run.assets.length
  if (!dryRun && options.statIndex !== undefined && !indexUnchanged) {
    await saveStatIndex(options, run, result.records(), manifest.id).catch((error: unknown) => {
      pushWarning({ step: 'read', kind: 'stat-index', message: `the stat index ${options.statIndex!.file} cannot be written (${(error as Error).message}); the next run reads every file` })
    })
  }

  const collected = [...result.assets.values()]
  const { totals, kinds } = byteTotals(collected, entries)
  // Found concurrently, reported in a stable order: by file, then position.
  warnings.sort((a, b) => compareText(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  return {
    files: collected.length,
    bytes: totals,
    kinds,
    cacheHits: result.cacheHits,
    written: writes.written + (manifestChanged ? 1 : 0),
    unchanged: writes.unchanged + [...result.reused].reduce((sum, asset) => sum + storedPathsOf(asset.logicalPath, entries[asset.logicalPath]!).length, 0),
    reused: result.reused.size,
    warnings,
    notices: options.notices,
    manifest: { path: MANIFEST_FILE, id: manifest.id, written: manifestChanged },
    changes: changesBetween(previous, entries),
    dryRun,
    seconds: (performance.now() - run.started) / 1000,
  }
}

/** Whether this run's files and bundles are exactly those of the manifest in force, under the same settings. */
function isUnchanged(previous: Manifest | null, entries: Readonly<Record<string, ManifestEntry>>, carpools: Readonly<Record<string, ManifestCarpool>>, options: ResolvedCollectOptions): boolean {
  if (previous === null || previous.baseUrl !== options.baseUrl || previous.hash.algorithm !== options.hash.algorithm || previous.hash.length !== options.hash.length) return false
  const paths = Object.keys(entries)
  // Reused entries are the previous manifest's own objects: identity is enough.
  if (paths.length !== Object.keys(previous.files).length || !paths.every((path) => Object.hasOwn(previous.files, path) && previous.files[path] === entries[path])) return false
  const names = Object.keys(carpools)
  return names.length === Object.keys(previous.carpools).length && names.every((name) => Object.hasOwn(previous.carpools, name) && JSON.stringify(previous.carpools[name]) === JSON.stringify(carpools[name]))
}

/** Every storage path a manifest entry relies on: the original, the fingerprinted and served files, map, variants, deltas. */
function storedPathsOf(logicalPath: string, entry: ManifestEntry): string[] {
  return [...entryStoragePaths(logicalPath, entry)]
}

/** The previous manifest's record of this bundle, when its members are served by the same files and all of it is stored. */
function storedCarpool(carpool: DeclaredCarpool, previous: Manifest | null, entries: Readonly<Record<string, ManifestEntry>>, existing: ReadonlySet<string>, hash: { algorithm: string; length: number }): ManifestCarpool | undefined {
  const served = carpool.members.map((member) => (Object.hasOwn(entries, member) ? entries[member]?.served : undefined))
  if (previous === null || served.some((name) => name === undefined)) return undefined
  const path = carpoolName(carpool.kind, served as string[], hash)
  const record = Object.values(previous.carpools ?? {}).find((candidate) => candidate.served === path && candidate.kind === carpool.kind)
  if (record === undefined) return undefined
  const paths = [record.served, `${record.served}.json`, ...Object.values(record.encodings ?? {}).flatMap((variant) => (variant === undefined ? [] : [variant.path])), ...deltaPathsOf(record)]
  return paths.every((stored) => existing.has(stored)) ? { ...record, members: [...carpool.members] } : undefined
}

/** The storage paths of a carpool record's deltas. */
function deltaPathsOf(record: ManifestCarpool): string[] {
  return Object.values(record.deltas ?? {}).flatMap((variants) => Object.values(variants).flatMap((variant) => (variant === undefined ? [] : [variant.path])))
}

/** A carpool record without its deltas when any of them is no longer stored (removed by hand). */
function withStoredDeltas(record: ManifestCarpool, existing: ReadonlySet<string>): ManifestCarpool {
  if (record.deltas === undefined) return record
  if (deltaPathsOf(record).every((path) => existing.has(path))) return record
  const { deltas: _deltas, ...rest } = record
  return rest
}

/**
 * Writes the stat index for the next run: every file collected, by the stat the walk saw, except files changed so
 * shortly before the walk that a second change would not show in their stat (they are read again next time).
 */
async function saveStatIndex(options: ResolvedCollectOptions, run: RunState, records: ReadonlyMap<Asset, Omit<IndexedFile, 'logicalPath' | 'stamp'>>, manifestId: string): Promise<void> {
  const { file, racyWindowMs } = options.statIndex!
  const files = new Map<string, IndexedFile>()
  for (const [asset, record] of records) {
    const stamp = run.stamps.get(asset)
    if (stamp === undefined || !isSettled(stamp.changedNs, run.walkStartedNs, racyWindowMs)) continue
    files.set(asset.sourceFile, { logicalPath: asset.logicalPath, stamp: stamp.key, ...record })
  }
  await writeStatIndex(file, { signature: options.signature, manifestId, files })
}

function changesBetween(previous: Manifest | null, entries: Readonly<Record<string, ManifestEntry>>): ManifestChanges {
  const before = previous?.files ?? {}
  const added: string[] = []
  const changed: string[] = []
  for (const [path, entry] of Object.entries(entries)) {
    const old = Object.hasOwn(before, path) ? before[path] : undefined
    if (old === undefined) added.push(path)
    else if (!sameEntry(old, entry)) changed.push(path)
  }
  const removed = Object.keys(before).filter((path) => !Object.hasOwn(entries, path))
  return { added: added.sort(compareText), changed: changed.sort(compareText), removed: removed.sort(compareText) }
}

/** Whether two manifest entries name the same files (key order aside: one was read back from JSON). */
function sameEntry(a: ManifestEntry, b: ManifestEntry): boolean {
  const variants = (entry: ManifestEntry): string =>
    Object.entries(entry.encodings ?? {})
      .map(([encoding, variant]) => `${encoding}=${variant?.path ?? ''}`)
      .sort()
      .join(',')
  return a.served === b.served && a.fingerprinted === b.fingerprinted && a.sourceHash === b.sourceHash && a.integrity === b.integrity && a.map === b.map && variants(a) === variants(b)
}

function byteTotals(assets: readonly Asset[], entries: Readonly<Record<string, ManifestEntry>>): { totals: ByteTotals; kinds: Record<string, ByteTotals & { files: number }> } {
  const totals = { original: 0, served: 0, gzip: 0, br: 0 }
  const kinds: Record<string, { files: number; original: number; served: number; gzip: number; br: number }> = {}
  for (const asset of assets) {
    const entry = entries[asset.logicalPath]!
    const kind = (kinds[kindOf(asset.logicalPath)] ??= { files: 0, original: 0, served: 0, gzip: 0, br: 0 })
    for (const sums of [totals, kind]) {
      sums.original += asset.size
      sums.served += entry.size
      sums.gzip += entry.encodings?.gzip?.size ?? entry.size
      sums.br += entry.encodings?.br?.size ?? entry.size
    }
    kind.files += 1
  }
  return { totals, kinds }
}

const SKIP_REASONS: Record<SkipReason, string> = {
  'symlink-outside': 'a symbolic link that leaves the sources',
  'symlink-loop': 'a symbolic link that loops',
  'symlink-alias': 'a symbolic link to a folder already collected',
  'symlink-dangling': 'a dangling symbolic link',
  'symlink-output': 'a symbolic link into the output directory',
  'unsafe-name': 'an unsafe file name',
  'special-file': 'not a regular file',
}

async function listExisting(storage: Storage): Promise<Set<string>> {
  const existing = new Set<string>()
  try {
    // Only the names are needed: where sizes cost a stat per object (a local disk), the storage can skip them.
    if (storage.listPaths !== undefined) for await (const path of storage.listPaths()) existing.add(path)
    else for await (const entry of storage.list()) existing.add(entry.path)
  } catch (error) {
    throw asConvoyError(error, 'ERR_CONVOY_STORAGE', `cannot list ${storage.name}`, storage.name)
  }
  return existing
}

/**
 * The sources without repeats: a directory listed twice (by the same path, or through a link or another spelling) is
 * walked once, in its first place, with one warning, instead of every file in it warning that it shadows itself.
 */
async function distinctSources(sources: readonly string[], warn: (warning: Warning) => void): Promise<string[]> {
  const seen = new Map<string, string>()
  const distinct: string[] = []
  for (const source of sources) {
    const real = await realpath(source).catch(() => source) // a missing source is reported by the walk
    const first = seen.get(real)
    if (first === undefined) {
      seen.set(real, source)
      distinct.push(source)
      continue
    }
    const same = first === source ? `the source directory ${source} is listed twice` : `the source directories ${first} and ${source} are the same directory${real === first ? '' : ` (${real})`}`
    warn({ step: 'sources', kind: 'duplicate-source', message: `${same}; it is collected once, in its first place` })
  }
  return distinct
}

/**
 * Refuses a run whose output directory is inside a source, or a source inside the output, judged by real paths (a
 * link can hide either), before anything is written. Returns the output's real path.
 */
async function assertNoOverlap(sources: readonly string[], storage: Storage): Promise<string | undefined> {
  const out = storage.capabilities.localDirectory
  if (out === undefined) return undefined
  const realOut = await realPathOfFutureDirectory(out)
  for (const source of sources) {
    const realSource = await realpath(source).catch(() => resolve(source)) // a missing source is reported by the walk
    const shown = (path: string, real: string): string => (path === real ? path : `${path} (really ${real})`)
    if (isInside(realOut, realSource)) {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: the output directory ${shown(out, realOut)} is inside the source directory ${shown(source, realSource)}: outputs would be collected again on the next run`)
    }
    if (isInside(realSource, realOut)) {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: the source directory ${shown(source, realSource)} is inside the output directory ${shown(out, realOut)}`)
    }
  }
  return realOut
}

const KINDS: Record<string, string> = {
  css: 'css', js: 'js', mjs: 'js', cjs: 'js', map: 'map',
  png: 'image', jpg: 'image', jpeg: 'image', gif: 'image', webp: 'image', avif: 'image', svg: 'image', ico: 'image',
  woff: 'font', woff2: 'font', ttf: 'font', otf: 'font', eot: 'font',
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function kindOf(logicalPath: string): string {
  const extension = /\.([^./]+)$/.exec(logicalPath)?.[1]?.toLowerCase() ?? ''
  return KINDS[extension] ?? 'other'
}

function pick(warning: Warning): { file?: string; line?: number; column?: number } {
  return {
    ...(warning.file === undefined ? {} : { file: warning.file }),
    ...(warning.line === undefined ? {} : { line: warning.line }),
    ...(warning.column === undefined ? {} : { column: warning.column }),
  }
}
