import type { EncodingName } from '@convoy/gzip'
import type { ManifestDictionary } from '@convoy/manifest'
import type { DeltaEncoding } from '@convoy/storage'

/** A problem that does not stop the run (unless `strict`), reported with where it was found. */
export interface Warning {
  /** The stage that found it, e.g. `references` or `minify`. */
  readonly step: string
  /** What sort of problem, for grouping (`missing-reference`, `minify-error`, `symlink-outside` …). */
  readonly kind?: string
  readonly message: string
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

/**
 * What an output is to the run:
 * - `original`: the source bytes under the logical path (short cache);
 * - `fingerprinted`: references rewritten, named by its own hash;
 * - `served`: what URLs point at when it differs from the fingerprinted file (minified);
 * - `map`: a source map of the served file;
 * - `encoded`: a precompressed sibling of the served file (`encoding` says which);
 * - `delta`: the served file compressed against an earlier version (`encoding` `dcb` or `dcz`, `dictionary` which).
 */
export type OutputRole = 'original' | 'fingerprinted' | 'served' | 'map' | 'encoded' | 'delta'

/**
 * Files larger than this (8 MiB) are never held whole in memory: the read stage hashes them chunk by chunk, the
 * compress stage streams them into temporary files, the write stage streams those into the storage. Below it, a
 * file's bytes are handled in memory (faster for the many small files of a tree); above it, memory stays bounded
 * whatever the file's size.
 */
export const STREAM_THRESHOLD_BYTES = 8 * 1024 * 1024

/** One file an asset adds to the storage: its bytes in memory, or a file streamed from disk. */
export interface AssetOutput {
  readonly role: OutputRole
  /** Storage path. Every role but `original` is content-addressed. */
  readonly name: string
  /** The `Content-Encoding` of an `encoded` or `delta` output. */
  readonly encoding?: EncodingName | DeltaEncoding
  /** The dictionary a `delta` output was compressed against: the SHA-256 (base64) of that earlier version. */
  readonly dictionary?: string
  readonly bytes?: Uint8Array
  /** A file to stream instead of `bytes`: the source file (large files nobody needed to read) or a temporary file. */
  readonly file?: string
  /** The byte length of a `file` output (for the manifest); without it, a `file` output is the source file, of the asset's size. */
  readonly size?: number
  /** The `file` is the run's temporary file (a streamed compression): the write stage removes it once stored. */
  readonly temporary?: boolean
}

/**
 * One logical path on its way through the stages. Stages read it and add outputs; the write stage turns the outputs
 * into storage writes and a manifest entry.
 */
export interface Asset {
  readonly logicalPath: string
  /** Absolute path of the source file. */
  readonly sourceFile: string
  readonly size: number
  readonly contentType: string
  /**
   * A file of a text type (`.css`, `.js`) whose first 8 KiB hold a NUL byte (really binary), or one above
   * {@link STREAM_THRESHOLD_BYTES}: no stage reads it as text (no reference scan, no minifier); it is copied and
   * compressed like any other bytes, with a warning saying so.
   */
  binary: boolean
  /** Full-length content hash of the original bytes (set by the read stage). */
  sourceHash: string
  /** SRI of the original bytes, computed while streaming a file no stage reads (so it is read once). */
  sourceIntegrity: string | undefined
  /** The original bytes, or `null` while the file is only streamed from disk. */
  original: Uint8Array | null
  /**
   * The bytes to fingerprint: the original, then whatever the content stages (those before `fingerprint`) made of it.
   * `null` for a large file no stage needs to look at: it is copied by streaming.
   */
  contents: Uint8Array | null
  /** What the asset adds to the storage, in the order the stages added them. */
  readonly outputs: AssetOutput[]
  /** Stage-private state (keyed by stage name). */
  readonly state: Map<string, unknown>
  /** The served file as a dictionary for later versions (set by the `deltas` stage), recorded in the manifest. */
  dictionary: ManifestDictionary | undefined
}

/** A fresh asset: nothing processed yet, nothing loaded unless `bytes` is given. */
export function createAsset(fields: { logicalPath: string; sourceFile: string; size: number; contentType: string; sourceHash?: string; bytes?: Uint8Array }): Asset {
  const bytes = fields.bytes ?? null
  return {
    logicalPath: fields.logicalPath,
    sourceFile: fields.sourceFile,
    size: fields.size,
    contentType: fields.contentType,
    binary: false,
    sourceHash: fields.sourceHash ?? '',
    sourceIntegrity: undefined,
    original: bytes,
    contents: bytes,
    outputs: [],
    state: new Map(),
    dictionary: undefined,
  }
}

/** How much of a text-typed file is looked at for a NUL byte, as git and file(1) do. */
export const TEXT_SNIFF_BYTES = 8192

/** True when bytes said to be text are binary: a NUL byte in the first {@link TEXT_SNIFF_BYTES}. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, TEXT_SNIFF_BYTES).includes(0)
}

/** The byte length of an output: of its bytes, its recorded size, or (the source file streamed) the asset's size. */
export function sizeOf(asset: Asset, output: AssetOutput): number {
  return output.bytes?.byteLength ?? output.size ?? asset.size
}

/** The asset's output of a role (the last one added), if any. */
export function outputOf(asset: Asset, role: OutputRole): AssetOutput | undefined {
  return asset.outputs.findLast((output) => output.role === role)
}

/** The file URLs point at: the `served` output when a stage made one, else the fingerprinted file. */
export function servedOf(asset: Asset): AssetOutput {
  const served = outputOf(asset, 'served') ?? outputOf(asset, 'fingerprinted')
  if (served === undefined) throw new Error(`@convoy/core: ${asset.logicalPath} has no fingerprinted name yet`)
  return served
}

/** Adds an output, replacing an earlier one of the same role, encoding and dictionary (a stage run again in a cycle). */
export function addOutput(asset: Asset, output: AssetOutput): void {
  const index = asset.outputs.findIndex((existing) => existing.role === output.role && existing.encoding === output.encoding && existing.dictionary === output.dictionary)
  if (index === -1) asset.outputs.push(output)
  else asset.outputs[index] = output
}
