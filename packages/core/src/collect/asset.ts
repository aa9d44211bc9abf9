/** A problem that does not stop the run (unless `strict`), reported with where it was found. */
export interface Warning {
  /** The step that found it, e.g. `references` or `minify`. */
  readonly step: string
  /** What sort of problem, for grouping (`missing-reference`, `minify-error`, `symlink-outside` …). */
  readonly kind?: string
  readonly message: string
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

/** A precompressed sibling produced for the served file. */
export interface EncodedOutput {
  readonly path: string
  readonly contents: Uint8Array
}

/**
 * One logical path on its way through the pipeline. Steps read and update it; the pipeline turns the final
 * state into storage writes and a manifest entry.
 */
export interface Asset {
  readonly logicalPath: string
  /** Absolute path of the source file. */
  readonly sourceFile: string
  readonly size: number
  readonly contentType: string
  /**
   * A file of a text type (`.css`, `.js`) whose first 8 KiB hold a NUL byte: really binary, so no step reads it as
   * text (no reference scan, no minifier); it is copied and compressed like any other bytes.
   */
  readonly binary: boolean
  /** Full-length content hash of the original bytes. */
  readonly sourceHash: string
  /** SRI of the original bytes, computed while streaming a file no step reads (so it is read once). */
  readonly sourceIntegrity?: string
  /** The original bytes, or `null` when the file is streamed from disk. */
  readonly original: Uint8Array | null
  /**
   * The bytes to fingerprint: the original, then whatever `content` steps made of it.
   * `null` for a large file no step needs to look at: it is copied by streaming.
   */
  contents: Uint8Array | null
  /** Storage path of the fingerprinted (unminified) file, set by the pipeline after the `content` steps. */
  fingerprinted: string | undefined
  /**
   * The file to serve when it differs from the fingerprinted one (e.g. minified), set by an `output` step.
   * Its `path` must already be content-addressed.
   */
  served: { path: string; contents: Uint8Array } | undefined
  /**
   * Set by the pipeline for files in a reference cycle: their names are fixed before the `output` steps run,
   * from one hash over the whole cycle, so steps must use this name instead of hashing their own output.
   */
  plannedServed: string | undefined
  /** A source map of the served file. */
  map: { path: string; contents: Uint8Array } | undefined
  /** Precompressed siblings of the served file. */
  encodings: { gzip?: EncodedOutput; br?: EncodedOutput }
  /** Step-private state (keyed by step name). */
  readonly state: Map<string, unknown>
}

/** A fresh asset: nothing processed yet, nothing loaded unless `loaded` gives its bytes. */
export function createAsset(fields: { logicalPath: string; sourceFile: string; size: number; contentType: string; sourceHash?: string; bytes?: Uint8Array }): Asset {
  const bytes = fields.bytes ?? null
  return {
    logicalPath: fields.logicalPath,
    sourceFile: fields.sourceFile,
    size: fields.size,
    contentType: fields.contentType,
    binary: false,
    sourceHash: fields.sourceHash ?? '',
    original: bytes,
    contents: bytes,
    fingerprinted: undefined,
    served: undefined,
    plannedServed: undefined,
    map: undefined,
    encodings: {},
    state: new Map(),
  }
}

/** How much of a text-typed file is looked at for a NUL byte, as git and file(1) do. */
export const TEXT_SNIFF_BYTES = 8192

/** True when bytes said to be text are binary: a NUL byte in the first {@link TEXT_SNIFF_BYTES}. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, TEXT_SNIFF_BYTES).includes(0)
}

/** The served file's path and bytes: the output of the last step that produced one. */
export function servedOf(asset: Asset): { path: string; contents: Uint8Array | null } {
  if (asset.served !== undefined) return asset.served
  if (asset.fingerprinted === undefined) throw new Error(`@convoy/core: ${asset.logicalPath} has no fingerprinted name yet`)
  return { path: asset.fingerprinted, contents: asset.contents }
}
