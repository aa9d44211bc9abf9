import type { Asset, Warning } from './asset.js'

/** What a step can ask of the run it is part of. */
export interface StepContext {
  /** Record a warning (an error under `strict`). */
  warn(warning: Omit<Warning, 'step'>): void
  /** Fingerprint some bytes with the run's hash settings. */
  fingerprint(contents: Uint8Array | readonly Uint8Array[]): string
  /**
   * The served storage path of another logical path once it is processed; `pending` while its name is not known yet
   * (it is in the same reference cycle); `missing` when it is not collected.
   */
  servedPathOf(logicalPath: string): { readonly status: 'named'; readonly path: string } | { readonly status: 'pending' | 'missing' }
  /** The bytes another processed logical path was fingerprinted with (references rewritten), if it is processed. */
  fingerprintedContentsOf(logicalPath: string): Uint8Array | undefined
  /** True when this logical path is collected in this run. */
  has(logicalPath: string): boolean
  /** Count an output reused from the persistent cache (shown in the summary). */
  cacheHit(): void
}

/**
 * One stage of `convoy collect`: a name plus what it does to an asset. Failures are reported with the step's name and
 * the file, so a user knows what broke where.
 *
 * - `content` steps change the bytes that get fingerprinted (reference rewriting). In a reference cycle they run twice:
 *   once before the shared fingerprint is known (leaving references inside the cycle for later), once after.
 * - `output` steps derive outputs from the fingerprinted file (minified file, source map, `.gz`/`.br`).
 */
export interface Step {
  readonly name: string
  readonly phase: 'content' | 'output'
  /** Whether the step has anything to do for this asset; decided from its name and type only. */
  applies(asset: Asset): boolean
  /**
   * Logical paths this step needs processed before it can run on the asset (reference targets, a shipped `.min`
   * sibling). The pipeline processes those first; cycles are handled as one group.
   */
  dependencies?(asset: Asset, context: StepContext): readonly string[] | Promise<readonly string[]>
  /** For `output` steps that rename the served file: the marker they put after the hash (`cmin`). */
  servedMarker?(asset: Asset): string | undefined
  /** Part of the cache key and of cycle fingerprints: changes whenever the step's output could change (tool versions, options). */
  readonly signature?: string
  run(asset: Asset, context: StepContext): Promise<void> | void
}
