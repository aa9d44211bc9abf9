import { MANIFEST_FILE, type DeltaVariants, type EncodedVariants, type Manifest, type ManifestDictionary, type ManifestEntry } from '@convoy/manifest'
import {
  CONTENT_ENCODING_NAMES,
  DELTA_ENCODING_NAMES,
  DELTA_ENCODINGS,
  contentEncodingOfPath,
  deltaOfPath,
  encodedSiblingPath,
  withoutEncodingExtension,
  type ContentEncoding,
} from '@convoy/storage'

/**
 * How a path the index may serve is cached: `SHORT` for a mutable name (an original, a file of an earlier version,
 * anything served without a manifest), `IMMUTABLE` for a content-addressed name the manifest gives (fingerprinted,
 * served, map, compressed sibling, carpool), `MANIFEST` for `convoy-manifest.json` itself.
 */
export type Caching = typeof SHORT | typeof IMMUTABLE | typeof MANIFEST
export const SHORT = 0
export const IMMUTABLE = 1
export const MANIFEST = 2

/**
 * What the manifest says of a served file for Compression Dictionary Transport (RFC 9842): that it is offered as a
 * dictionary for its later versions, and the deltas there are of it against earlier ones.
 */
export interface DictionaryInfo {
  /** This version as a dictionary: its hash and the storage-path pattern of its later versions. */
  readonly dictionary: ManifestDictionary | undefined
  /**
   * Its deltas, by the hash (standard base64, canonical) of the dictionary each was made against, then by delta
   * encoding: storage paths and sizes, as the manifest names them. Never servable by their own names.
   */
  readonly deltas: ReadonlyMap<string, DeltaVariants> | undefined
}

/** The paths an index may serve, each with how it is cached. */
export interface Candidates {
  /**
   * How `path` is cached, or `undefined` when the index may not serve it. Never a delta's name (`deltaOfPath` of
   * `@convoy/storage`): a client without its dictionary could not decode it, so it is only sent by negotiation.
   */
  cachingOf(path: string): Caching | undefined
  /** The dictionary and deltas of a served `path`, or `undefined` for a file the manifest gives neither (most). */
  dictionaryOf(path: string): DictionaryInfo | undefined
}

const DELTA_EXTENSIONS = DELTA_ENCODING_NAMES.map((name) => DELTA_ENCODINGS[name].extension)

/** True for a delta's name (`<served>.<16 hex>.dcb|dcz`): a suffix test first, the pattern only for those. */
export function isDeltaPath(path: string): boolean {
  return DELTA_EXTENSIONS.some((extension) => path.endsWith(extension)) && deltaOfPath(path) !== undefined
}

/** A dictionary hash as `dictionaryHash()` writes it, whatever padding bits a hand-written manifest gave it. */
const canonicalHash = (hash: string): string => Buffer.from(hash, 'base64').toString('base64')

/**
 * Notes the dictionary and deltas of `entry` under its served path (a path served by two entries gets both's: the
 * first dictionary, every delta).
 */
function noteDictionary(dictionaries: Map<string, DictionaryInfo>, entry: Pick<ManifestEntry, 'served' | 'dictionary' | 'deltas'>): void {
  if (entry.dictionary === undefined && entry.deltas === undefined) return
  const old = dictionaries.get(entry.served)
  let deltas = old?.deltas
  if (entry.deltas !== undefined) {
    const merged = new Map(deltas)
    for (const [hash, variants] of Object.entries(entry.deltas)) {
      const key = canonicalHash(hash)
      if (!merged.has(key)) merged.set(key, variants)
    }
    deltas = merged
  }
  dictionaries.set(entry.served, { dictionary: old?.dictionary ?? entry.dictionary, deltas })
}

const CACHING_BITS = 0b11
/** Bit of a path's value saying the manifest names its conventional sibling in that encoding (`<path>.gz`). */
const SIBLING_BIT = Object.fromEntries(CONTENT_ENCODING_NAMES.map((name, i) => [name, 1 << (2 + i)])) as Record<ContentEncoding, number>

/**
 * Every path the manifest names — each logical path, fingerprinted, served, map and compressed sibling, the carpool
 * bundles and theirs, the files of earlier versions — and `convoy-manifest.json`. A year of caching for the names
 * the manifest says are content-addressed, unless it also names the path as something mutable (an original, a
 * file of an earlier version): a clash can only shorten caching, never make a mutable file immutable.
 *
 * One `Map` entry per path, but a sibling named as collect names them (`<served>.gz`) is one bit of its file's
 * entry instead: at 100,000 entries that is a third fewer keys to hash and hold. The manifest itself is not kept;
 * the `dictionary` and `deltas` of the entries that have them are (one more `Map`, only as large as those entries).
 * Deltas are no candidates: `dictionaryOf` names them, for their file's resolution.
 */
export function manifestCandidates(manifest: Manifest): Candidates {
  const table = new Map<string, number>()
  const dictionaries = new Map<string, DictionaryInfo>()
  /** Marks `path` immutable, keeping the sibling bits it may already have (a path named twice). */
  const immutable = (path: string, bits = 0): void => {
    const old = table.get(path)
    table.set(path, (old ?? 0) | IMMUTABLE | bits)
  }
  const withSiblings = (served: string, encodings: EncodedVariants | undefined): void => {
    let bits = 0
    if (encodings !== undefined) {
      for (const name of CONTENT_ENCODING_NAMES) {
        const sibling = encodings[name]
        if (sibling === undefined) continue
        if (sibling.path === encodedSiblingPath(served, name)) bits |= SIBLING_BIT[name]
        else immutable(sibling.path)
      }
    }
    immutable(served, bits)
  }
  const { files } = manifest
  const logicalPaths = Object.keys(files)
  for (const logicalPath of logicalPaths) {
    const entry = files[logicalPath]!
    withSiblings(entry.served, entry.encodings)
    if (entry.fingerprinted !== entry.served) immutable(entry.fingerprinted)
    if (entry.map !== undefined) immutable(entry.map)
    noteDictionary(dictionaries, entry)
  }
  for (const carpool of Object.values(manifest.carpools)) {
    withSiblings(carpool.served, carpool.encodings)
    noteDictionary(dictionaries, carpool)
  }
  // The originals stay where they are, a sorted list (a binary search, only for paths the table misses) rather
  // than 100,000 more keys; one named as something immutable too is marked mutable in the table, so it wins.
  const mutable = (path: string): void => {
    const old = table.get(path)
    table.set(path, old === undefined ? SHORT : (old & ~CACHING_BITS) | SHORT)
  }
  for (const logicalPath of logicalPaths) if (table.has(logicalPath)) mutable(logicalPath)
  if (!isSorted(logicalPaths)) logicalPaths.sort(byCodeUnits)
  // Earlier versions' files stay servable while they exist: pages rendered before a deploy still ask for them. Not
  // their deltas, which only an index of the version they rebuild could send.
  for (const entry of manifest.history) for (const path of entry.dropped) if (!isDeltaPath(path)) mutable(path)
  table.set(MANIFEST_FILE, MANIFEST)

  return {
    dictionaryOf: (path) => dictionaries.get(path),
    cachingOf(path) {
      if (isDeltaPath(path)) return undefined
      const value = table.get(path)
      if (value !== undefined) return (value & CACHING_BITS) as Caching
      if (includesSorted(logicalPaths, path)) return SHORT
      // A sibling by convention: its file names it with a bit. A sibling path named otherwise is a key itself.
      const encoding = contentEncodingOfPath(path)
      if (encoding === undefined) return undefined
      const inner = table.get(withoutEncodingExtension(path))
      return inner !== undefined && (inner & SIBLING_BIT[encoding]) !== 0 ? IMMUTABLE : undefined
    },
  }
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Whether `list` is in strictly ascending UTF-16 order (a manifest's keys are, unless some look like integers). */
function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1]! < list[i]!)) return false
  return true
}

/** Binary search of a sorted list. */
function includesSorted(list: readonly string[], value: string): boolean {
  let low = 0
  let high = list.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const item = list[middle]!
    if (item === value) return true
    if (item < value) low = middle + 1
    else high = middle - 1
  }
  return false
}

/**
 * Every path a listing found (no manifest): short caching, and `no-cache` for `convoy-manifest.json`. Not the deltas
 * among them: without a manifest nothing says which dictionary a delta needs, so it is never sent.
 */
export function listedCandidates(paths: Iterable<string>): Candidates {
  const table = new Set<string>()
  for (const path of paths) if (!isDeltaPath(path)) table.add(path)
  return {
    cachingOf: (path) => (!table.has(path) ? undefined : path === MANIFEST_FILE ? MANIFEST : SHORT),
    dictionaryOf: () => undefined,
  }
}
