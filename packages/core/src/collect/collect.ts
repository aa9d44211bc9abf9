import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { contentHash, fingerprintedName, integrity, integrityOfFile } from '@convoy/hash'
import {
  contentTypeOf,
  createManifest,
  MANIFEST_FILE,
  supersede,
  type Manifest,
  type ManifestCarpool,
  type ManifestEntry,
} from '@convoy/manifest'
import { IMMUTABLE_CACHE_CONTROL, SHORT_CACHE_CONTROL } from '../cache-control.js'
import { findSourceFiles, isInside, realPathOfFutureDirectory, type FollowSymlinks, type SkipReason, type SourceFile } from '../sources.js'
import type { Storage, StorageWriteOptions } from '../storage.js'
import { createAsset, looksBinary, servedOf, type Asset, type Warning } from './asset.js'
import type { DeclaredCarpool } from '../carpool-templates.js'
import { buildDeclaredCarpool } from './carpools.js'
import { componentsInDependencyOrder } from './graph.js'
import pLimit from 'p-limit'
import type { Step, StepContext } from './step.js'
import { openDeployGuard, readPublishedManifest } from './deploy-guard.js'
import { boundWarning } from './warnings.js'

/** Everything `collect()` needs; the CLI builds it from flags and config. */
export interface CollectOptions {
  /** Absolute source directories, first wins. */
  readonly sources: readonly string[]
  readonly storage: Storage
  /** Public URL prefix of the outputs. Default `/static/`. */
  readonly baseUrl?: string
  readonly ignore?: readonly string[]
  readonly hash?: { readonly algorithm?: string; readonly length?: number }
  /** The processing steps, in order. `createDefaultSteps()` gives the standard ones. */
  readonly steps?: readonly Step[]
  /** Warnings become errors. */
  readonly strict?: boolean
  /** Do all the work but write nothing. */
  readonly dryRun?: boolean
  /** Called as files are processed and written (for progress bars). */
  readonly onProgress?: (progress: CollectProgress) => void
  /** Carpool bundles to build now and record in the manifest (config `bundles`, `{% carpool %}` blocks of templates). */
  readonly carpools?: readonly DeclaredCarpool[]
  /** Which symbolic links in the sources are followed. Default `'inside'`: only those that stay inside a source. */
  readonly followSymlinks?: FollowSymlinks
  /** How long to wait for another run's lock on the storage before failing with `ERR_CONVOY_CONFLICT`. Default 0. */
  readonly lockTimeoutMs?: number
  /** Clock for the manifest history (tests). */
  readonly now?: () => Date
}

export interface CollectProgress {
  readonly phase: 'process' | 'write'
  readonly done: number
  readonly total: number
}

/** What a run did, for the summary table and `--json`. */
export interface CollectReport {
  readonly files: number
  readonly bytes: ByteTotals
  /** The same totals per kind of file (css, js, image, font, map, other). */
  readonly kinds: Readonly<Record<string, ByteTotals & { readonly files: number }>>
  /** Outputs reused from the persistent cache instead of being computed again. */
  readonly cacheHits: number
  /** Storage writes made (or, in a dry run, that would be made). */
  readonly written: number
  /** Outputs already in storage, not written again. */
  readonly unchanged: number
  readonly warnings: readonly Warning[]
  readonly manifest: { readonly path: string; readonly id: string; readonly written: boolean }
  readonly dryRun: boolean
  readonly seconds: number
}

export interface ByteTotals {
  readonly original: number
  readonly served: number
  /** Bytes a gzip-capable client downloads (the served size where no `.gz` was kept). */
  readonly gzip: number
  /** Bytes a brotli-capable client downloads. */
  readonly br: number
}

/** A failed run: every problem found, so one run shows them all. */
export interface CollectFailure {
  readonly step: string
  readonly file: string
  readonly error: ConvoyError
}

const READ_CONCURRENCY = 16
const WRITE_CONCURRENCY = 16
const COMPONENT_CONCURRENCY = 64

/**
 * Collects the sources into the storage: originals, fingerprinted copies and whatever the steps add, then the manifest,
 * last and atomically. Throws a `ConvoyError` (with every failure in `failures`) without touching the manifest when
 * anything fails, so what was served before stays intact.
 *
 * @example
 * const report = await collect({ sources: ['/app/static'], storage: createFsStorage({ root: '/app/public' }), steps: createDefaultSteps() })
 */
export async function collect(options: CollectOptions): Promise<CollectReport> {
  const started = performance.now()
  const storage = options.storage
  const baseUrl = options.baseUrl ?? '/static/'
  const hash = { algorithm: options.hash?.algorithm ?? 'md5', length: options.hash?.length ?? 12 }
  const steps = options.steps ?? []
  const dryRun = options.dryRun ?? false
  const sources = options.sources.map((source) => resolve(source))
  const output = await assertNoOverlap(sources, storage)
  contentHash('', hash) // fail fast on a bad algorithm or length, before reading anything

  // Every warning is bounded and escaped once, here, whoever raised it.
  const warnings: Warning[] = []
  const pushWarning = (warning: Warning): void => {
    warnings.push(boundWarning(warning))
  }
  const failures: CollectFailure[] = []
  const found = await findSourceFiles({ sources, ignore: options.ignore ?? [], followSymlinks: options.followSymlinks ?? 'inside', exclude: output === undefined ? [] : [output] })
  // The manifest's own name is reserved at the storage root: a source file there would overwrite it.
  const files = found.files.filter((file) => file.logicalPath !== MANIFEST_FILE)
  for (const file of found.files.filter((candidate) => candidate.logicalPath === MANIFEST_FILE)) {
    pushWarning({ step: 'sources', kind: 'reserved-name', file: file.absolutePath, message: `${MANIFEST_FILE} is reserved for the manifest; this source file is not collected` })
  }
  for (const entry of found.skipped) {
    pushWarning({ step: 'sources', kind: entry.reason, file: entry.path, message: `not collected: ${SKIP_REASONS[entry.reason]}: ${entry.detail}` })
  }
  const shadowed = found.shadowed
  for (const shadow of shadowed) {
    pushWarning({ step: 'sources', kind: 'shadowed', file: shadow.ignored, message: `${shadow.logicalPath} is shadowed: ${shadow.used} is used, ${shadow.ignored} is ignored` })
  }
  // A dry run writes nothing, so it needs no lock and leaves leftovers alone.
  const guard = dryRun
    ? undefined
    : await openDeployGuard(storage, { purpose: 'convoy collect', lockTimeoutMs: options.lockTimeoutMs ?? 0, warn: (warning) => pushWarning({ step: 'deploy', ...warning }) }).catch((error: unknown) => {
        throw asConvoyError(error, 'ERR_CONVOY_STORAGE', `cannot open ${storage.name}`, storage.name)
      })
  try {
    return await collectLocked(options, { started, storage, baseUrl, hash, steps, dryRun, warnings, pushWarning, failures, files, guard })
  } finally {
    await guard?.release()
  }
}

interface RunState {
  readonly started: number
  readonly storage: Storage
  readonly baseUrl: string
  readonly hash: { readonly algorithm: string; readonly length: number }
  readonly steps: readonly Step[]
  readonly dryRun: boolean
  readonly warnings: Warning[]
  readonly pushWarning: (warning: Warning) => void
  readonly failures: CollectFailure[]
  readonly files: readonly SourceFile[]
  readonly guard: Awaited<ReturnType<typeof openDeployGuard>> | undefined
}

/** The rest of a run, once it holds the storage's lock (when the storage has one). */
async function collectLocked(options: CollectOptions, run: RunState): Promise<CollectReport> {
  const { started, storage, baseUrl, hash, steps, dryRun, warnings, pushWarning, failures, files, guard } = run
  if (guard !== undefined && storage.removeLeftovers !== undefined) {
    // Under the lock nobody else deploys, so temporary files of writers that died are safe to remove.
    const removed = await storage.removeLeftovers()
    if (removed.length > 0) pushWarning({ step: 'deploy', kind: 'leftovers', message: `removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} left by an interrupted run (e.g. ${removed[0]})` })
  }
  const previous = guard !== undefined ? guard.previous : await readPublishedManifest(storage, (warning) => pushWarning({ step: 'deploy', ...warning }))
  const existing = await listExisting(storage)

  // Hash every file; CSS and JS are kept in memory for the reference scan, the rest is read again when needed.
  const sourceHashLength = createHash(hash.algorithm).digest('hex').length
  const readLimit = pLimit(READ_CONCURRENCY)
  const loaded = await Promise.all(
    files.map((file) =>
      readLimit(async (): Promise<Asset | undefined> => {
        try {
          const asset = await loadAsset(file, steps, { algorithm: hash.algorithm, length: sourceHashLength })
          if (asset.binary) pushWarning({ step: 'sources', kind: 'binary-text', file: file.absolutePath, message: `has a NUL byte in its first 8 KiB: treated as binary (references not rewritten, not minified)` })
          return asset
        } catch (error) {
          failures.push({ step: 'read', file: file.absolutePath, error: asConvoyError(error, 'ERR_CONVOY_READ', `cannot read ${file.absolutePath}`, file.absolutePath) })
          return undefined
        }
      }),
    ),
  )
  const assets = loaded.filter((asset): asset is Asset => asset !== undefined)
  const byLogicalPath = new Map(assets.map((asset) => [asset.logicalPath, asset]))

  let cacheHits = 0
  const servedPaths = new Map<string, string>()
  const failed = new Set<string>()
  const context: StepContext = {
    warn: (warning) => pushWarning({ step: 'collect', ...warning }),
    fingerprint: (contents) => contentHash(Array.isArray(contents) ? contents : [contents as Uint8Array], hash),
    servedPathOf: (logicalPath) => {
      const path = servedPaths.get(logicalPath)
      if (path !== undefined) return { status: 'named', path }
      return byLogicalPath.has(logicalPath) ? { status: 'pending' } : { status: 'missing' }
    },
    has: (logicalPath) => byLogicalPath.has(logicalPath),
    fingerprintedContentsOf: (logicalPath) => (servedPaths.has(logicalPath) ? (byLogicalPath.get(logicalPath)?.contents ?? undefined) : undefined),
    cacheHit: () => {
      cacheHits += 1
    },
  }
  // Each step sees the shared context with warnings labelled by its own name.
  const contexts = new Map(steps.map((step) => [step, { ...context, warn: (warning: Omit<Warning, 'step'>) => pushWarning({ step: step.name, ...warning }) }]))

  // Dependencies between files (references), then processing in dependency order, cycles as one group.
  const contentSteps = steps.filter((step) => step.phase === 'content')
  const outputSteps = steps.filter((step) => step.phase === 'output')
  const dependencies = new Map<Asset, Asset[]>()
  await Promise.all(
    assets.map(async (asset) => {
      const targets = new Set<Asset>()
      for (const step of steps) {
        if (!step.applies(asset) || step.dependencies === undefined) continue
        for (const target of await step.dependencies(asset, contexts.get(step)!)) {
          const dependency = byLogicalPath.get(target)
          if (dependency !== undefined) targets.add(dependency)
        }
      }
      dependencies.set(asset, [...targets])
    }),
  )
  const components = componentsInDependencyOrder(assets, (asset) => dependencies.get(asset) ?? [])
  const cycleSignature = steps.map((step) => `${step.name}:${step.signature ?? ''}`).join('|')

  const writes = new WriteQueue(storage, dryRun, existing, options.onProgress)
  let processed = 0
  const entries: Record<string, ManifestEntry> = {}

  const processComponent = async (members: Asset[], cyclic: boolean): Promise<void> => {
    let activeStep = 'fingerprint'
    let activeAsset = members[0]!
    try {
      const blocked = members.flatMap((member) => dependencies.get(member) ?? []).find((dependency) => failed.has(dependency.logicalPath))
      if (blocked !== undefined) {
        throw new ConvoyError('ERR_CONVOY_STEP', `@convoy/core: ${activeAsset.logicalPath} references ${blocked.logicalPath}, which failed`)
      }
      const runAll = async (phaseSteps: readonly Step[]): Promise<void> => {
        for (const asset of members) {
          activeAsset = asset
          for (const step of phaseSteps) {
            if (!step.applies(asset)) continue
            activeStep = step.name
            await step.run(asset, contexts.get(step)!)
          }
        }
      }
      await runAll(contentSteps)
      activeStep = 'fingerprint'
      if (cyclic) {
        // One hash over the whole cycle: each member's name depends on the others', so none can be hashed alone.
        const sorted = [...members].sort((a, b) => (a.logicalPath < b.logicalPath ? -1 : 1))
        const shared = context.fingerprint([Buffer.from(cycleSignature), ...sorted.flatMap((asset) => [Buffer.from(`\0${asset.logicalPath}\0`), asset.contents ?? new Uint8Array()])])
        for (const asset of members) {
          asset.fingerprinted = fingerprintedName(asset.logicalPath, shared)
          const marker = outputSteps.map((step) => (step.applies(asset) ? step.servedMarker?.(asset) : undefined)).find((m) => m !== undefined)
          asset.plannedServed = marker === undefined ? undefined : fingerprintedName(asset.logicalPath, shared, { marker })
          servedPaths.set(asset.logicalPath, asset.plannedServed ?? asset.fingerprinted)
        }
        await runAll(contentSteps)
      } else {
        for (const asset of members) {
          // Bytes no content step changed: the fingerprint is a prefix of the full source hash (same algorithm).
          const untouched = asset.contents === null || asset.contents === asset.original
          const fingerprint = untouched ? asset.sourceHash.slice(0, hash.length) : context.fingerprint(asset.contents!)
          asset.fingerprinted = fingerprintedName(asset.logicalPath, fingerprint)
        }
      }
      activeStep = 'read'
      for (const asset of members) {
        // Files no content step reads are loaded only now, so the whole tree never sits in memory at once.
        if (asset.contents === null && outputSteps.some((step) => step.applies(asset))) asset.contents = new Uint8Array(await readFile(asset.sourceFile))
      }
      await runAll(outputSteps)
      activeStep = 'write'
      for (const asset of members) {
        activeAsset = asset
        servedPaths.set(asset.logicalPath, servedOf(asset).path)
        entries[asset.logicalPath] = await entryOf(asset)
        await writes.write(outputsOf(asset, previous))
      }
    } catch (error) {
      for (const member of members) failed.add(member.logicalPath)
      failures.push({ step: activeStep, file: activeAsset.sourceFile, error: asConvoyError(error, 'ERR_CONVOY_STEP', `step "${activeStep}" failed on ${activeAsset.logicalPath}`, activeAsset.sourceFile) })
    } finally {
      processed += members.length
      options.onProgress?.({ phase: 'process', done: processed, total: assets.length })
    }
  }

  // Each component starts as soon as the components it depends on are done, so independent files run concurrently.
  // Bounds the files in flight (and so memory) while keeping every worker thread busy.
  const componentLimit = pLimit(COMPONENT_CONCURRENCY)
  const done = new Map<Asset, Promise<void>>()
  for (const { members, cyclic } of components) {
    const memberSet = new Set(members)
    const before = [...new Set(members.flatMap((member) => dependencies.get(member) ?? []).filter((dependency) => !memberSet.has(dependency)))]
    // Components come dependencies first, so every dependency already has its promise.
    const promise = Promise.all(before.map((dependency) => done.get(dependency)!)).then(() => componentLimit(() => processComponent(members, cyclic)))
    for (const member of members) done.set(member, promise)
  }
  await Promise.all([...new Set(done.values())])

  // Bundles declared ahead of time, built from the served files exactly as the runtime would build them.
  const carpools: Record<string, ManifestCarpool> = {}
  if (failures.length === 0) {
    const built = new Map<string, ManifestCarpool>()
    for (const carpool of options.carpools ?? []) {
      try {
        const bundle = await buildDeclaredCarpool(carpool, byLogicalPath, entries, { hash, steps, context: (step) => contexts.get(step)! })
        const known = built.get(bundle.record.served)
        if (known !== undefined) {
          carpools[carpool.name] = { ...known, members: [...carpool.members] }
          continue
        }
        built.set(bundle.record.served, bundle.record)
        carpools[carpool.name] = bundle.record
        const immutable = { cacheControl: IMMUTABLE_CACHE_CONTROL, contentType: bundle.asset.contentType }
        await writes.write([
          { path: bundle.record.served, body: bundle.asset.contents!, options: immutable, skipWhenPresent: true },
          { path: `${bundle.record.served}.json`, body: Buffer.from(bundle.membersRecord), options: { ...immutable, contentType: 'application/json; charset=utf-8' }, skipWhenPresent: true },
          ...(['gzip', 'br'] as const).flatMap((encoding) => {
            const variant = bundle.asset.encodings[encoding]
            return variant === undefined ? [] : [{ path: variant.path, body: variant.contents, options: { ...immutable, contentEncoding: encoding }, skipWhenPresent: true }]
          }),
        ])
      } catch (error) {
        failures.push({ step: 'carpool', file: carpool.name, error: asConvoyError(error, 'ERR_CONVOY_CARPOOL', `carpool ${carpool.name} cannot be built`, carpool.name) })
      }
    }
  }

  if (options.strict === true) {
    // Skipped sources, lock notices and an unreadable old manifest are facts about the setup, not about the files: never fatal.
    for (const warning of warnings.filter((w) => w.step !== 'sources' && w.step !== 'deploy')) {
      failures.push({ step: warning.step, file: warning.file ?? '', error: new ConvoyError(warning.step === 'references' ? 'ERR_CONVOY_MISSING_REFERENCE' : 'ERR_CONVOY_STEP', `@convoy/core: ${warning.message} (--strict)`, pick(warning)) })
    }
  }
  if (failures.length > 0) throw collectFailed(failures)

  const next = createManifest({ files: entries, carpools, baseUrl, hash })
  const now = (options.now ?? (() => new Date()))()
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
  // Found concurrently, reported in a stable order: by file, then position.
  warnings.sort((a, b) => compareText(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  return {
    files: assets.length,
    bytes: totals,
    kinds,
    cacheHits,
    written: writes.written + (manifestChanged ? 1 : 0),
    unchanged: writes.unchanged,
    warnings,
    manifest: { path: MANIFEST_FILE, id: manifest.id, written: manifestChanged && !dryRun },
    dryRun,
    seconds: (performance.now() - started) / 1000,
  }
}

async function loadAsset(file: SourceFile, steps: readonly Step[], sourceHashOptions: { algorithm: string; length: number }): Promise<Asset> {
  const asset = createAsset({ logicalPath: file.logicalPath, sourceFile: file.absolutePath, size: file.size, contentType: contentTypeOf(file.logicalPath) })
  // Only what content steps read (CSS, JS) is loaded now: they must be scanned for references up front.
  const needed = steps.some((step) => step.phase === 'content' && step.applies(asset))
  if (needed) {
    const contents = new Uint8Array(await readFile(file.absolutePath))
    const sourceHash = contentHash(contents, sourceHashOptions)
    // A binary file with a text name is not held for the content steps: it is streamed like any other binary.
    if (looksBinary(contents)) return { ...asset, binary: true, size: contents.byteLength, sourceHash, sourceIntegrity: integrity(contents) }
    return { ...asset, original: contents, contents, size: contents.byteLength, sourceHash }
  }
  // One read for both: the fingerprint, and the integrity of the file as it will be served.
  const hash = createHash(sourceHashOptions.algorithm)
  const sri = createHash('sha384')
  for await (const chunk of createReadStream(file.absolutePath)) {
    hash.update(chunk as Buffer)
    sri.update(chunk as Buffer)
  }
  return { ...asset, sourceHash: hash.digest('hex'), sourceIntegrity: `sha384-${sri.digest('base64')}` }
}

async function entryOf(asset: Asset): Promise<ManifestEntry> {
  const served = servedOf(asset)
  const size = served.contents === null ? asset.size : served.contents.byteLength
  const sri = served.contents !== null ? integrity(served.contents) : (asset.sourceIntegrity ?? (await integrityOfFile(asset.sourceFile)))
  const encodings: { gzip?: { path: string; size: number }; br?: { path: string; size: number } } = {}
  if (asset.encodings.gzip !== undefined) encodings.gzip = { path: asset.encodings.gzip.path, size: asset.encodings.gzip.contents.byteLength }
  if (asset.encodings.br !== undefined) encodings.br = { path: asset.encodings.br.path, size: asset.encodings.br.contents.byteLength }
  return {
    served: served.path,
    size,
    integrity: sri,
    fingerprinted: asset.fingerprinted!,
    sourceHash: asset.sourceHash,
    contentType: asset.contentType,
    ...(Object.keys(encodings).length > 0 ? { encodings } : {}),
    ...(asset.map === undefined ? {} : { map: asset.map.path }),
  }
}

interface PendingWrite {
  readonly path: string
  readonly body: Uint8Array | { readonly file: string }
  readonly options: StorageWriteOptions
  /** Content-addressed outputs are skipped when present; originals are compared by source hash instead. */
  readonly skipWhenPresent: boolean
}

function outputsOf(asset: Asset, previous: Manifest | null): PendingWrite[] {
  const body = (contents: Uint8Array | null): PendingWrite['body'] => contents ?? { file: asset.sourceFile }
  const immutable = (path: string, contents: Uint8Array | null, extra: StorageWriteOptions = {}): PendingWrite => ({
    path,
    body: body(contents),
    options: { contentType: contentTypeOf(path), cacheControl: IMMUTABLE_CACHE_CONTROL, ...extra },
    skipWhenPresent: true,
  })
  const writes: PendingWrite[] = []
  const originalUnchanged = previous?.files[asset.logicalPath]?.sourceHash === asset.sourceHash
  writes.push({
    path: asset.logicalPath,
    body: body(asset.original),
    options: { contentType: asset.contentType, cacheControl: SHORT_CACHE_CONTROL },
    skipWhenPresent: originalUnchanged,
  })
  writes.push(immutable(asset.fingerprinted!, asset.contents))
  if (asset.served !== undefined) writes.push(immutable(asset.served.path, asset.served.contents))
  if (asset.map !== undefined) writes.push(immutable(asset.map.path, asset.map.contents))
  if (asset.encodings.gzip !== undefined) writes.push(immutable(asset.encodings.gzip.path, asset.encodings.gzip.contents, { contentType: asset.contentType, contentEncoding: 'gzip' }))
  if (asset.encodings.br !== undefined) writes.push(immutable(asset.encodings.br.path, asset.encodings.br.contents, { contentType: asset.contentType, contentEncoding: 'br' }))
  return writes
}

/** Storage writes, a bounded number at a time; each file's processing waits for its own writes (backpressure). */
class WriteQueue {
  written = 0
  unchanged = 0
  private settled = 0
  private readonly limit = pLimit(WRITE_CONCURRENCY)
  private readonly claimed = new Set<string>()

  constructor(
    private readonly storage: Storage,
    private readonly dryRun: boolean,
    private readonly existing: ReadonlySet<string>,
    private readonly onProgress: CollectOptions['onProgress'],
  ) {}

  async write(writes: readonly PendingWrite[]): Promise<void> {
    const tasks: Promise<void>[] = []
    for (const write of writes) {
      // The same content-addressed name can come from two files with equal bytes: write it once.
      if (this.claimed.has(write.path)) continue
      this.claimed.add(write.path)
      if (write.skipWhenPresent && this.existing.has(write.path)) {
        this.unchanged += 1
        continue
      }
      this.written += 1
      if (this.dryRun) continue
      tasks.push(
        this.limit(async () => {
          const body = write.body instanceof Uint8Array ? write.body : createReadStream(write.body.file)
          await this.storage.write(write.path, body, write.options)
          this.settled += 1
          this.onProgress?.({ phase: 'write', done: this.settled, total: this.written })
        }),
      )
    }
    const results = await Promise.allSettled(tasks)
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failure !== undefined) throw asConvoyError(failure.reason, 'ERR_CONVOY_STORAGE', `cannot write to ${this.storage.name}`, this.storage.name)
  }
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
    for await (const entry of storage.list()) existing.add(entry.path)
  } catch (error) {
    throw asConvoyError(error, 'ERR_CONVOY_STORAGE', `cannot list ${storage.name}`, storage.name)
  }
  return existing
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

function asConvoyError(error: unknown, code: ConvoyError['code'], context: string, file: string): ConvoyError {
  if (isConvoyError(error)) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new ConvoyError(code, `@convoy/core: ${context}: ${reason}`, { cause: error, file })
}

function collectFailed(failures: readonly CollectFailure[]): ConvoyError & { failures: readonly CollectFailure[] } {
  // A dead storage fails every file the same way: show the first few, count the rest.
  const shown = failures.slice(0, 20).map((failure) => `  ${failure.error.message}`)
  const lines = failures.length > shown.length ? [...shown, `  … and ${failures.length - shown.length} more`] : shown
  const error = new ConvoyError(
    failures[0]!.error.code,
    `@convoy/core: collect failed with ${failures.length} error${failures.length === 1 ? '' : 's'}; nothing was published (the previous manifest is still in force):\n${lines.join('\n')}`,
  )
  return Object.assign(error, { failures })
}
