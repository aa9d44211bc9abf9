import type { ContentEncoding, DeltaEncoding } from '@convoy/storage'

/** The manifest format version this package reads and writes. */
export const MANIFEST_VERSION = 1

/** The conventional file name of the manifest, at the storage root. */
export const MANIFEST_FILE = 'convoy-manifest.json'

/** A precompressed sibling of a served file. */
export interface EncodedVariant {
  /** Storage path of the sibling, e.g. `css/base.25b23dfca187.cmin.css.gz`. */
  readonly path: string
  readonly size: number
}

/** The precompressed siblings of a served file, by encoding (a name in `CONTENT_ENCODINGS` of `@convoy/storage`). */
export type EncodedVariants = { readonly [E in ContentEncoding]?: EncodedVariant }

/** The deltas of a served file against one dictionary, by delta encoding (`dcb`, `dcz`: `DELTA_ENCODINGS` of `@convoy/storage`). */
export type DeltaVariants = { readonly [E in DeltaEncoding]?: EncodedVariant }

/**
 * A served file offered to browsers as a compression dictionary for its later versions (RFC 9842): servers send
 * `Use-As-Dictionary: match="<prefix><match>"` with it, and a browser holding it announces it in
 * `Available-Dictionary` when it asks for a URL the pattern matches.
 */
export interface ManifestDictionary {
  /** SHA-256 of the served bytes, standard base64: the value a browser sends in `Available-Dictionary: :<hash>:`. */
  readonly hash: string
  /** The storage paths of this file's future versions, with `*` where the fingerprint goes: `js/app.*.cmin.js`. */
  readonly match: string
}

/** Everything Convoy knows about one collected logical path. */
export interface ManifestEntry {
  /** The file to serve: the minified one when minification applied, else the fingerprinted one. */
  readonly served: string
  /** Size in bytes of `served`. */
  readonly size: number
  /** SRI integrity of `served`, `sha384-…`. */
  readonly integrity: string
  /** The fingerprinted, unminified file (references rewritten). Equals `served` when nothing was minified. */
  readonly fingerprinted: string
  /** Content hash of the original bytes (the configured algorithm, full length): what the incremental cache keys on. */
  readonly sourceHash: string
  /** MIME type of the served file, e.g. `text/css; charset=utf-8`. */
  readonly contentType: string
  /** Precompressed siblings of `served`, when they were kept (≤ 95% of the size). */
  readonly encodings?: EncodedVariants
  /** Source map of `served`, when one was written (`….cmin.js.map`). */
  readonly map?: string
  /** This version as a dictionary for the next ones, when collect builds deltas (`compress.deltas`) for its type. */
  readonly dictionary?: ManifestDictionary
  /**
   * Deltas of `served` against earlier versions, by the {@link ManifestDictionary.hash} of the version each was
   * compressed against (a browser that holds that version downloads only the delta), when smaller than the best
   * precompressed sibling.
   */
  readonly deltas?: Readonly<Record<string, DeltaVariants>>
}

/** A carpool bundle built by `convoy collect` (declared in config or found in templates). */
export interface ManifestCarpool {
  readonly kind: 'css' | 'js'
  /** The logical paths joined, in order. */
  readonly members: readonly string[]
  readonly served: string
  readonly size: number
  readonly integrity: string
  readonly contentType: string
  readonly encodings?: EncodedVariants
  /** As for files: the bundle as a dictionary for its later versions (`CARPOOL/js/*.cmin.js`). */
  readonly dictionary?: ManifestDictionary
  /** As for files: deltas of `served` against the bundle's earlier version. */
  readonly deltas?: Readonly<Record<string, DeltaVariants>>
}

/**
 * One earlier version of the manifest: the storage paths it named that the version after it no longer names,
 * and when that happened. The newest entry comes first. Together with the current files this tells `convoy clean`
 * exactly which files the newest N versions name, and since when the others are superseded.
 */
export interface ManifestHistoryEntry {
  /** ISO 8601 time at which this version was replaced. */
  readonly supersededAt: string
  /** The id of the manifest version that was replaced. */
  readonly id: string
  /** Storage paths named by that version and no longer by its successor. */
  readonly dropped: readonly string[]
}

/** The manifest document, `convoy-manifest.json`. */
export interface Manifest {
  readonly version: typeof MANIFEST_VERSION
  /** Content hash of this version (files + carpools): equal manifests have equal ids. */
  readonly id: string
  /** The base URL the outputs were collected for (root-relative references were resolved against it). */
  readonly baseUrl: string
  /** The fingerprint settings used. */
  readonly hash: { readonly algorithm: string; readonly length: number }
  /** Logical path (`css/base.css`) → entry, sorted by logical path. */
  readonly files: Readonly<Record<string, ManifestEntry>>
  /** Carpool name → bundle, sorted by name. */
  readonly carpools: Readonly<Record<string, ManifestCarpool>>
  /** Earlier versions, newest first. */
  readonly history: readonly ManifestHistoryEntry[]
}
