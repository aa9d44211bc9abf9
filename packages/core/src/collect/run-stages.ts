import { readFile } from 'node:fs/promises'
import { ConvoyError } from '@convoy/errors'
import { contentHash, fingerprintedName } from '@convoy/hash'
import type { ManifestEntry } from '@convoy/manifest'
import pLimit from 'p-limit'
import type { TaskCache } from '../work/cache.js'
import { cacheKey } from '../work/cache-key.js'
import { servedOf, type Asset, type AssetOutput, type Warning } from './asset.js'
import { asConvoyError, type CollectFailure } from './failures.js'
import { componentsInDependencyOrder } from './graph.js'
import type { AssetComponent, Stage, StageContext } from './stage.js'
import type { IndexedFile } from './stat-index.js'

/** A file the stat index says is unchanged, with the manifest entry of the outputs the last run stored for it. */
export interface ReuseCandidate {
  readonly indexed: IndexedFile
  readonly entry: ManifestEntry
}

/** What a run learnt about a file for the next run's stat index. */
export type IndexRecord = Omit<IndexedFile, 'logicalPath' | 'stamp'>

export interface StageRunOptions {
  readonly assets: readonly Asset[]
  /** The run's own first stage, run on every asset before the dependency order is known. */
  readonly read: Stage
  /** The processing stages, content ones first. */
  readonly stages: readonly Stage[]
  /** The run's own stages around the output stages. */
  readonly fingerprint: Stage
  readonly write: Stage
  readonly hash: { readonly algorithm: string; readonly length: number }
  readonly cache: TaskCache
  readonly warn: (warning: Warning) => void
  readonly onProcessed?: (done: number, total: number) => void
  /** Files that may be reused without being read: their stat matched the index and their outputs are all stored. */
  readonly candidateOf?: (asset: Asset) => ReuseCandidate | undefined
  /** Read and hash the candidates anyway, and warn where the index was wrong (`--verify`). */
  readonly verify?: boolean
  /** The bytes of a stored output: a reused file's fingerprinted bytes, when a stage of another file asks for them. */
  readonly readStored?: (path: string) => Promise<Uint8Array | null>
  /** The family and earlier versions of a served file (see `StageContext.versionsOf`). */
  readonly versionsOf?: (logicalPath: string, served: string) => { readonly match: string; readonly earlier: readonly string[] } | undefined
  /** Told each reused file and the manifest entry it keeps. */
  readonly onReused?: (asset: Asset, entry: ManifestEntry) => void
  /**
   * Files whose bytes are needed after the stages (carpool members). Every other file's bytes are let go once it is
   * stored and every file depending on it is processed, so memory follows the files in flight, not the tree.
   */
  readonly keepBytes?: (asset: Asset) => boolean
}

export interface StageRunResult {
  /** The assets that were read (whatever happened to them later), by logical path. */
  readonly assets: ReadonlyMap<string, Asset>
  readonly failures: readonly CollectFailure[]
  readonly cacheHits: number
  /** The files reused from the last run without being read. */
  readonly reused: ReadonlySet<Asset>
  /** What the next run's stat index should know of each processed or reused file. */
  readonly records: () => Map<Asset, IndexRecord>
  /** A context for work outside the per-asset stages (carpool bundles), labelled with `stageName`. */
  readonly contextFor: (stage: Stage) => StageContext
}

const READ_CONCURRENCY = 16
// Bounds the files in flight (and so memory) while keeping every worker thread busy.
const COMPONENT_CONCURRENCY = 64

/** A failure inside a stage, with the stage and the asset the runner was at. */
class StageFailure extends Error {
  constructor(
    readonly stage: string,
    readonly asset: Asset,
    override readonly cause: unknown,
  ) {
    super(`stage ${stage} failed on ${asset.logicalPath}`)
  }
}

/**
 * Runs the stages over the assets: `read` for all (with each file's dependency scan; the bytes are then let go and
 * read again, checked against their hash, at the file's turn), then in dependency order (reference cycles as one component):
 * content stages, (in a cycle: the names promised, the content stages again), `fingerprint`, output stages, `write`.
 * A failure is recorded with the stage and file the runner was at; the assets that depend on a failed one fail too,
 * and the others go on, so one run reports every problem.
 */
export async function runStages(options: StageRunOptions): Promise<StageRunResult> {
  const { hash, stages } = options
  const failures: CollectFailure[] = []
  let cacheHits = 0
  const content = stages.filter((stage) => stage.phase === 'content')
  const output = stages.filter((stage) => stage.phase === 'output')
  const servedPaths = new Map<string, string>()
  /** Shared hashes of reference cycles, set before their members' content stages run a second time. */
  const cycleHashes = new Map<Asset, string>()
  const byLogicalPath = new Map<string, Asset>()
  /** What each file's stages looked up and warned about: the next run reuses it only if the lookups answer the same. */
  const observed = new Map<Asset, { readonly lookups: Set<string>; readonly warnings: Warning[] }>()
  const observe = (asset: Asset): { readonly lookups: Set<string>; readonly warnings: Warning[] } => {
    let seen = observed.get(asset)
    if (seen === undefined) observed.set(asset, (seen = { lookups: new Set(), warnings: [] }))
    return seen
  }
  const candidates = new Map<Asset, ReuseCandidate>()
  const reused = new Set<Asset>()
  /** Files whose bytes were let go (stored, and nothing left depends on them). */
  const released = new Set<Asset>()

  const fingerprint = (contents: Uint8Array | readonly Uint8Array[]): string => contentHash(Array.isArray(contents) ? contents : [contents as Uint8Array], hash)
  const promisedServedName = (asset: Asset): string | undefined => {
    const shared = cycleHashes.get(asset)
    if (shared === undefined) return undefined
    const marker = output.find((stage) => stage.servedMarker !== undefined && stage.applies(asset))?.servedMarker
    return fingerprintedName(asset.logicalPath, shared, marker === undefined ? {} : { marker })
  }
  /** A stage's view of the run; with `asset`, what it looks up and warns about is remembered for the stat index. */
  const contextFor = (stage: Stage, component?: AssetComponent, asset?: Asset): StageContext => {
    const seen = asset === undefined ? undefined : observe(asset)
    const lookup = (logicalPath: string): void => {
      seen?.lookups.add(logicalPath)
    }
    return {
    component,
    warn: (warning) => {
      const labelled = { step: stage.name, ...warning }
      seen?.warnings.push(labelled)
      options.warn(labelled)
    },
    fingerprint,
    outputName: (asset, bytes, marker) => fingerprintedName(asset.logicalPath, cycleHashes.get(asset) ?? fingerprint(bytes), marker === undefined ? {} : { marker }),
    promisedServedName,
    servedPathOf: (logicalPath) => {
      lookup(logicalPath)
      const path = servedPaths.get(logicalPath)
      if (path !== undefined) return { status: 'named', path }
      return byLogicalPath.has(logicalPath) ? { status: 'pending' } : { status: 'missing' }
    },
    has: (logicalPath) => {
      lookup(logicalPath)
      return byLogicalPath.has(logicalPath)
    },
    fingerprintedContentsOf: (logicalPath) => {
      lookup(logicalPath)
      const target = byLogicalPath.get(logicalPath)
      if (target !== undefined && released.has(target)) throw new Error(`@convoy/core: stage ${stage.name} asked for the bytes of ${logicalPath} without naming it in dependencies()`)
      return servedPaths.has(logicalPath) ? (target?.contents ?? undefined) : undefined
    },
    bytesOf: async (output: AssetOutput) => output.bytes ?? new Uint8Array(await readFile(output.file!)),
    versionsOf: (of) => options.versionsOf?.(of.logicalPath, servedOf(of).name),
    readStored: async (path) => (await options.readStored?.(path)) ?? null,
    // One cache for every stage: keyed by the stage, everything that decides its output, and the input.
    async cached(work) {
      const signature = { stage: stage.name, signature: stage.signature ?? '', key: work.key ?? null, input: 'hash' in work.input ? work.input.hash : undefined }
      const key = 'hash' in work.input ? cacheKey(signature) : cacheKey(signature, work.input.bytes)
      const parts = await options.cache.get(key)
      const hit = parts === undefined ? undefined : work.decode(parts)
      if (hit !== undefined) {
        cacheHits += 1
        return hit
      }
      const value = await work.compute()
      await options.cache.set(key, work.encode(value))
      return value
    },
    }
  }
  const run = async (stage: Stage, asset: Asset, context: StageContext): Promise<void> => {
    if (!stage.applies(asset)) return
    try {
      await stage.run(asset, context)
    } catch (error) {
      throw new StageFailure(stage.name, asset, error)
    }
  }
  const record = (failure: StageFailure): void => {
    const { stage, asset, cause } = failure
    failures.push({ step: stage, file: asset.sourceFile, error: asConvoyError(cause, 'ERR_CONVOY_STEP', `step "${stage}" failed on ${asset.logicalPath}`, asset.sourceFile) })
  }

  const readFailure = (asset: Asset, error: unknown): CollectFailure => {
    const cause = error instanceof StageFailure ? error.cause : error
    return { step: 'read', file: asset.sourceFile, error: asConvoyError(cause, 'ERR_CONVOY_READ', `cannot read ${asset.sourceFile}`, asset.sourceFile) }
  }
  const readOne = (asset: Asset): Promise<void> => run(options.read, asset, contextFor(options.read, undefined, asset))

  /** The collected files the stages of `asset` need processed first; throws a {@link StageFailure}. */
  const dependenciesOf = async (asset: Asset): Promise<Asset[]> => {
    const targets = new Set<Asset>()
    const candidate = candidates.get(asset)
    // An unread file's dependencies are what its stages looked up last time (the same bytes ask the same questions).
    const found = candidate !== undefined ? [Object.keys(candidate.indexed.lookups ?? {})] : []
    for (const stage of candidate === undefined ? stages : []) {
      if (stage.dependencies === undefined || !stage.applies(asset)) continue
      try {
        found.push([...(await stage.dependencies(asset, contextFor(stage, undefined, asset)))])
      } catch (error) {
        throw new StageFailure(stage.name, asset, error)
      }
    }
    for (const target of found.flat()) {
      const dependency = byLogicalPath.get(target)
      if (dependency !== undefined) targets.add(dependency)
    }
    return [...targets]
  }

  // Dependencies between files (references, shipped .min siblings), found as each file is read.
  const failed = new Set<Asset>()
  const dependencies = new Map<Asset, Asset[]>()
  /**
   * Files whose bytes were let go after their read and dependency scan, to be read again when their component is
   * processed: holding every stylesheet and script from the read until its turn would make memory grow with the tree.
   */
  const dropped = new Set<Asset>()
  const scan = async (asset: Asset): Promise<void> => {
    try {
      dependencies.set(asset, await dependenciesOf(asset))
    } catch (error) {
      record(error as StageFailure)
      failed.add(asset)
      dependencies.set(asset, [])
    }
  }

  // Read (hash) every file; a file that cannot be read is a failure and is not collected (and fails the run). A
  // file the stat index vouches for is not read now: only if its outputs turn out to be needed after all. Every file
  // counts as collected while the others are read, so that a scan's answers do not depend on the order of reads.
  for (const asset of options.assets) byLogicalPath.set(asset.logicalPath, asset)
  const readLimit = pLimit(READ_CONCURRENCY)
  const read = await Promise.all(
    options.assets.map((asset) =>
      readLimit(async () => {
        const candidate = options.candidateOf?.(asset)
        if (candidate !== undefined && options.verify !== true) {
          candidates.set(asset, candidate)
          asset.sourceHash = candidate.indexed.hash
          asset.binary = candidate.indexed.binary === true
          await scan(asset)
          return asset
        }
        try {
          await readOne(asset)
        } catch (error) {
          failures.push(readFailure(asset, error))
          return undefined
        }
        if (candidate !== undefined && candidate.indexed.hash !== asset.sourceHash) {
          options.warn({ step: 'read', kind: 'stat-index-stale', file: asset.sourceFile, message: 'changed although its size, times and inode did not: only --verify noticed (the stat index is rebuilt)' })
        }
        await scan(asset)
        if (asset.contents !== null && asset.contents === asset.original) {
          asset.original = null
          asset.contents = null
          dropped.add(asset)
        }
        return asset
      }),
    ),
  )
  const assets = read.filter((asset): asset is Asset => asset !== undefined)
  if (assets.length < options.assets.length) {
    const collected = new Set(assets)
    const unread = new Set(options.assets.filter((asset) => !collected.has(asset)))
    for (const asset of unread) byLogicalPath.delete(asset.logicalPath)
    for (const [asset, targets] of dependencies) dependencies.set(asset, targets.filter((target) => !unread.has(target)))
  }

  /** Reads a dropped file again for its turn: it must still be the bytes it was hashed as. */
  const reread = async (asset: Asset): Promise<void> => {
    if (!dropped.delete(asset)) return
    const hashed = asset.sourceHash
    await readOne(asset)
    if (asset.sourceHash !== hashed) {
      throw new StageFailure('read', asset, new ConvoyError('ERR_CONVOY_READ', `@convoy/core: ${asset.sourceFile} changed while collect was running; nothing is published: run collect again`, { file: asset.sourceFile }))
    }
  }

  // How many files still to be processed depend on each file: its bytes are kept until that is none.
  const dependents = new Map<Asset, number>()
  const counted = new Map(assets.map((asset) => [asset, dependencies.get(asset) ?? []]))
  for (const targets of counted.values()) for (const target of targets) dependents.set(target, (dependents.get(target) ?? 0) + 1)
  const finished = new Set<Asset>()
  const release = (asset: Asset): void => {
    if (!finished.has(asset) || (dependents.get(asset) ?? 0) > 0 || options.keepBytes?.(asset) === true || released.has(asset)) return
    released.add(asset)
    asset.original = null
    asset.contents = null
    asset.outputs.length = 0
  }
  const finish = (members: readonly Asset[]): void => {
    for (const member of members) finished.add(member)
    for (const member of members) {
      for (const target of counted.get(member) ?? []) {
        dependents.set(target, (dependents.get(target) ?? 1) - 1)
        release(target)
      }
    }
    for (const member of members) release(member)
  }
  const cycleSignature = stages.map((stage) => `${stage.name}:${stage.signature ?? ''}`).join('|')
  let processed = 0

  /** Whether every member can keep its last outputs: all unread, and every lookup answered as it was last time. */
  const stillHolds = (members: readonly Asset[]): boolean => {
    if (!members.every((member) => candidates.has(member))) return false
    const promised = new Map(members.map((member) => [member.logicalPath, candidates.get(member)!.entry.served]))
    const answer = (logicalPath: string): string | null | undefined => promised.get(logicalPath) ?? servedPaths.get(logicalPath) ?? (byLogicalPath.has(logicalPath) ? undefined : null)
    return members.every((member) => Object.entries(candidates.get(member)!.indexed.lookups ?? {}).every(([logicalPath, served]) => answer(logicalPath) === served))
  }
  /** Reused files whose fingerprinted bytes a stage of another file may ask for, loaded once from the storage. */
  const loading = new Map<Asset, Promise<void>>()
  const loadContents = (asset: Asset, dependent: Asset): Promise<void> => {
    let promise = loading.get(asset)
    if (promise === undefined) {
      const path = candidates.get(asset)!.entry.fingerprinted
      promise = (async () => {
        const bytes = (await options.readStored?.(path)) ?? null
        if (bytes === null) throw new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/core: ${path}, the stored file of ${asset.logicalPath}, cannot be read`)
        asset.contents = bytes
      })()
      loading.set(asset, promise)
    }
    return promise.catch((error: unknown) => {
      throw new StageFailure('read', dependent, error)
    })
  }

  const processComponent = async (members: readonly Asset[], cyclic: boolean): Promise<void> => {
    let shared: string | undefined
    const component: AssetComponent = {
      members,
      cyclic,
      sharedFingerprint() {
        // Over the content stages' first pass: each member's name depends on the others', so none can be hashed alone.
        shared ??= fingerprint([Buffer.from(cycleSignature), ...[...members].sort((a, b) => (a.logicalPath < b.logicalPath ? -1 : 1)).flatMap((asset) => [Buffer.from(`\0${asset.logicalPath}\0`), asset.contents ?? new Uint8Array()])])
        return shared
      },
    }
    const each = async (phase: readonly Stage[]): Promise<void> => {
      for (const asset of members) {
        for (const stage of phase) await run(stage, asset, contextFor(stage, component, asset))
      }
    }
    // A member whose dependencies could not be found has its failure recorded already.
    if (members.some((member) => failed.has(member))) {
      for (const member of members) failed.add(member)
      processed += members.length
      return
    }
    try {
      for (const member of members) {
        const cause = (dependencies.get(member) ?? []).find((dependency) => failed.has(dependency))
        if (cause !== undefined) throw new StageFailure('references', member, new ConvoyError('ERR_CONVOY_STEP', `@convoy/core: ${member.logicalPath} references ${cause.logicalPath}, which failed`))
      }
      if (stillHolds(members)) {
        for (const member of members) servedPaths.set(member.logicalPath, candidates.get(member)!.entry.served)
        for (const member of members) {
          const { indexed, entry } = candidates.get(member)!
          reused.add(member)
          for (const warning of indexed.warnings ?? []) options.warn(warning)
          options.onReused?.(member, entry)
        }
      } else {
        // Unread members are needed after all: read them now, and they must still be what the index said.
        for (const member of members) {
          const candidate = candidates.get(member)
          if (candidate === undefined) continue
          candidates.delete(member)
          member.binary = false
          await readOne(member)
          if (member.sourceHash !== candidate.indexed.hash) {
            throw new StageFailure('read', member, new ConvoyError('ERR_CONVOY_READ', `@convoy/core: ${member.sourceFile} changed while collect was running; nothing is published: run collect again`, { file: member.sourceFile }))
          }
          dependencies.set(member, await dependenciesOf(member))
        }
        for (const member of members) await reread(member)
        const memberSet = new Set(members)
        for (const member of members) {
          for (const dependency of dependencies.get(member) ?? []) {
            if (!memberSet.has(dependency) && reused.has(dependency) && dependency.contents === null && content.some((stage) => stage.applies(dependency))) await loadContents(dependency, member)
          }
        }
        await each(content)
        if (cyclic) {
          for (const asset of members) cycleHashes.set(asset, component.sharedFingerprint())
          for (const asset of members) servedPaths.set(asset.logicalPath, promisedServedName(asset) ?? fingerprintedName(asset.logicalPath, component.sharedFingerprint()))
          await each(content)
        }
        await each([options.fingerprint, ...output])
        for (const asset of members) servedPaths.set(asset.logicalPath, servedOf(asset).name)
        await each([options.write])
      }
    } catch (error) {
      for (const member of members) failed.add(member)
      if (error instanceof StageFailure) record(error)
      else throw error
    }
    finish(members)
    processed += members.length
    options.onProcessed?.(processed, assets.length)
  }

  const components = componentsInDependencyOrder(assets, (asset) => dependencies.get(asset) ?? [])
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

  const records = (): Map<Asset, IndexRecord> => {
    const result = new Map<Asset, IndexRecord>()
    for (const asset of byLogicalPath.values()) {
      if (failed.has(asset)) continue
      if (reused.has(asset)) {
        const { logicalPath: _path, stamp: _stamp, ...kept } = candidates.get(asset)!.indexed
        result.set(asset, kept)
        continue
      }
      const seen = observed.get(asset)
      const lookups = seen === undefined || seen.lookups.size === 0 ? undefined : Object.fromEntries([...seen.lookups].sort().map((logicalPath) => [logicalPath, servedPaths.get(logicalPath) ?? null]))
      result.set(asset, {
        hash: asset.sourceHash,
        ...(asset.binary ? { binary: true as const } : {}),
        ...(lookups === undefined ? {} : { lookups }),
        ...(seen === undefined || seen.warnings.length === 0 ? {} : { warnings: seen.warnings }),
      })
    }
    return result
  }
  return { assets: byLogicalPath, failures, get cacheHits() { return cacheHits }, reused, records, contextFor: (stage) => contextFor(stage) }
}
