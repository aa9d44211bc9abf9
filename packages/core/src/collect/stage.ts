import type { Asset, AssetOutput, Warning } from './asset.js'

/** Work a stage wants cached: the run keys it by the stage's name and signature plus `input` and `key`. */
export interface CachedWork<T> {
  /** The input the result is a function of: a full hash already known for it, or the bytes themselves. */
  readonly input: { readonly hash: string } | { readonly bytes: Uint8Array }
  /** Anything else this one result depends on (the engine chosen for the file, its output name). */
  readonly key?: unknown
  compute(): Promise<T>
  /** The result as byte parts for the cache file, and back; `decode` returns `undefined` for an entry it cannot use. */
  encode(value: T): readonly Uint8Array[]
  decode(parts: readonly Uint8Array[]): T | undefined
}

/** The reference cycle (or the single file) an asset is processed with: files in one cycle share one hash. */
export interface AssetComponent {
  readonly members: readonly Asset[]
  readonly cyclic: boolean
  /** One hash over every member's bytes (cycles only): their names depend on each other, so none can be hashed alone. */
  sharedFingerprint(): string
}

/** What a stage can ask of the run it is part of. */
export interface StageContext {
  /** Record a warning (an error under `strict`), labelled with the stage's name. */
  warn(warning: Omit<Warning, 'step'>): void
  /** Fingerprint some bytes with the run's hash settings. */
  fingerprint(contents: Uint8Array | readonly Uint8Array[]): string
  /**
   * The content-addressed name of an output of `asset` made of `bytes` (`css/a.<h>.cmin.css` for marker `cmin`). In a
   * reference cycle the hash is the cycle's shared one: the other members were told the name before the bytes existed.
   */
  outputName(asset: Asset, bytes: Uint8Array, marker?: string): string
  /** In a reference cycle, the served name already promised to the other members; `undefined` otherwise. */
  promisedServedName(asset: Asset): string | undefined
  /**
   * The served storage path of another logical path once it is processed; `pending` while its name is not known yet
   * (it is in the same reference cycle); `missing` when it is not collected.
   */
  servedPathOf(logicalPath: string): { readonly status: 'named'; readonly path: string } | { readonly status: 'pending' | 'missing' }
  /** The bytes another processed logical path was fingerprinted with (references rewritten), if it is processed. */
  fingerprintedContentsOf(logicalPath: string): Uint8Array | undefined
  /** True when this logical path is collected in this run. */
  has(logicalPath: string): boolean
  /** The bytes of an output, read from its file when it is streamed. */
  bytesOf(output: AssetOutput): Promise<Uint8Array>
  /**
   * The family of `asset`'s served file and its earlier versions: `match`, its storage path with `*` for the
   * fingerprint (`js/app.*.cmin.js`, what its later versions share), and `earlier`, the served paths of those
   * versions that the manifest in force names, then those its history names, newest first (never its own).
   * `undefined` for a file with no such family.
   */
  versionsOf(asset: Asset): { readonly match: string; readonly earlier: readonly string[] } | undefined
  /** The bytes of a file in the storage (an earlier version's), or `null` when it is not there. */
  readStored(path: string): Promise<Uint8Array | null>
  /** Runs `work` through the persistent cache (a hit is counted in the summary). */
  cached<T>(work: CachedWork<T>): Promise<T>
  /** The component being processed (set for the stages that run after the dependency order is known). */
  readonly component: AssetComponent | undefined
}

/**
 * One stage of `convoy collect`: a name plus what it does to an asset. The run is
 * `read → content stages → fingerprint → output stages → write`; the default content stage is `references`, the
 * default output stages are `minify` and `compress`. A failure is reported with the stage's name and the file.
 *
 * - `content` stages change the bytes that get fingerprinted. In a reference cycle they run twice: once before the
 *   shared fingerprint is known (leaving references inside the cycle for later), once after.
 * - `output` stages add outputs derived from the fingerprinted file (minified file, source map, precompressed siblings).
 */
export interface Stage {
  readonly name: string
  readonly phase: 'content' | 'output'
  /** Whether the stage has anything to do for this asset; decided from its name and type only. */
  applies(asset: Asset): boolean
  /**
   * Logical paths this stage needs processed before it can run on the asset (reference targets, a shipped `.min`
   * sibling). The run processes those first; cycles are processed as one component.
   */
  dependencies?(asset: Asset, context: StageContext): readonly string[] | Promise<readonly string[]>
  /** For an output stage that makes the served file: the marker it puts after the hash (`cmin`). */
  readonly servedMarker?: string
  /** Everything besides the input that decides the stage's output (tool versions, options): part of cache keys and cycle hashes. */
  readonly signature?: string
  /**
   * Checks what the stage needs (an optional engine is installed…) once, before the run reads, locks or writes
   * anything; a throw ends the run there, so a setup mistake never costs a whole run nor passes as warnings.
   */
  prepare?(): Promise<void> | void
  run(asset: Asset, context: StageContext): Promise<void> | void
}
