import { readFile } from 'node:fs/promises'
import { ConvoyError } from '@convoy/errors'
import { contentHash, fingerprintedName } from '@convoy/hash'
import pLimit from 'p-limit'
import type { TaskCache } from '../work/cache.js'
import { cacheKey } from '../work/cache-key.js'
import { servedOf, type Asset, type AssetOutput, type Warning } from './asset.js'
import { asConvoyError, type CollectFailure } from './failures.js'
import { componentsInDependencyOrder } from './graph.js'
import type { AssetComponent, Stage, StageContext } from './stage.js'

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
}

export interface StageRunResult {
  /** The assets that were read (whatever happened to them later), by logical path. */
  readonly assets: ReadonlyMap<string, Asset>
  readonly failures: readonly CollectFailure[]
  readonly cacheHits: number
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
 * Runs the stages over the assets: `read` for all, then in dependency order (reference cycles as one component):
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

  const fingerprint = (contents: Uint8Array | readonly Uint8Array[]): string => contentHash(Array.isArray(contents) ? contents : [contents as Uint8Array], hash)
  const promisedServedName = (asset: Asset): string | undefined => {
    const shared = cycleHashes.get(asset)
    if (shared === undefined) return undefined
    const marker = output.find((stage) => stage.servedMarker !== undefined && stage.applies(asset))?.servedMarker
    return fingerprintedName(asset.logicalPath, shared, marker === undefined ? {} : { marker })
  }
  const contextFor = (stage: Stage, component?: AssetComponent): StageContext => ({
    component,
    warn: (warning) => options.warn({ step: stage.name, ...warning }),
    fingerprint,
    outputName: (asset, bytes, marker) => fingerprintedName(asset.logicalPath, cycleHashes.get(asset) ?? fingerprint(bytes), marker === undefined ? {} : { marker }),
    promisedServedName,
    servedPathOf: (logicalPath) => {
      const path = servedPaths.get(logicalPath)
      if (path !== undefined) return { status: 'named', path }
      return byLogicalPath.has(logicalPath) ? { status: 'pending' } : { status: 'missing' }
    },
    has: (logicalPath) => byLogicalPath.has(logicalPath),
    fingerprintedContentsOf: (logicalPath) => (servedPaths.has(logicalPath) ? (byLogicalPath.get(logicalPath)?.contents ?? undefined) : undefined),
    bytesOf: async (output: AssetOutput) => output.bytes ?? new Uint8Array(await readFile(output.file!)),
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
  })
  const contexts = new Map(stages.map((stage) => [stage, contextFor(stage)]))
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

  // Read (hash) every file; a file that cannot be read is a failure and is not collected.
  const readLimit = pLimit(READ_CONCURRENCY)
  const readContext = contextFor(options.read)
  const read = await Promise.all(
    options.assets.map((asset) =>
      readLimit(async () => {
        try {
          await run(options.read, asset, readContext)
          return asset
        } catch (error) {
          const failure = error as StageFailure
          failures.push({ step: 'read', file: asset.sourceFile, error: asConvoyError(failure.cause, 'ERR_CONVOY_READ', `cannot read ${asset.sourceFile}`, asset.sourceFile) })
          return undefined
        }
      }),
    ),
  )
  const assets = read.filter((asset): asset is Asset => asset !== undefined)
  for (const asset of assets) byLogicalPath.set(asset.logicalPath, asset)

  // Dependencies between files (references, shipped .min siblings), then processing in dependency order.
  const failed = new Set<Asset>()
  const dependencies = new Map<Asset, Asset[]>()
  await Promise.all(
    assets.map(async (asset) => {
      const targets = new Set<Asset>()
      for (const stage of stages) {
        if (stage.dependencies === undefined || !stage.applies(asset)) continue
        try {
          for (const target of await stage.dependencies(asset, contexts.get(stage)!)) {
            const dependency = byLogicalPath.get(target)
            if (dependency !== undefined) targets.add(dependency)
          }
        } catch (error) {
          record(new StageFailure(stage.name, asset, error))
          failed.add(asset)
        }
      }
      dependencies.set(asset, [...targets])
    }),
  )
  const cycleSignature = stages.map((stage) => `${stage.name}:${stage.signature ?? ''}`).join('|')
  let processed = 0

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
        for (const stage of phase) await run(stage, asset, contextFor(stage, component))
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
      await each(content)
      if (cyclic) {
        for (const asset of members) cycleHashes.set(asset, component.sharedFingerprint())
        for (const asset of members) servedPaths.set(asset.logicalPath, promisedServedName(asset) ?? fingerprintedName(asset.logicalPath, component.sharedFingerprint()))
        await each(content)
      }
      await each([options.fingerprint, ...output])
      for (const asset of members) servedPaths.set(asset.logicalPath, servedOf(asset).name)
      await each([options.write])
    } catch (error) {
      for (const member of members) failed.add(member)
      if (error instanceof StageFailure) record(error)
      else throw error
    }
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
  return { assets: byLogicalPath, failures, get cacheHits() { return cacheHits }, contextFor: (stage) => contextFor(stage) }
}
