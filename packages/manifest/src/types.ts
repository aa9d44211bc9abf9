import type { ContentEncoding } from '@convoy/storage'

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
