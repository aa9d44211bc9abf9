import { CONTENT_ENCODING_NAMES, DELTA_ENCODING_NAMES } from '@convoy/storage'
import type { EncodedVariants, Manifest, ManifestCarpool, ManifestEntry } from './types.js'

/** Options of {@link supersede}. */
export interface SupersedeOptions {
  /** When the previous version was replaced. Default: now. */
  readonly now?: Date
  /** How many earlier versions the history keeps, newest first. Default `50`. */
  readonly historyLimit?: number
}

const DEFAULT_HISTORY_LIMIT = 50

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`@convoy/manifest: ${name} must be an integer ≥ ${min}, got ${String(value)}`)
  }
}

/**
 * Every storage path the manifest names: each logical path (the original bytes are stored there), and each entry's
 * `fingerprinted`, `served`, `map`, encoded siblings and deltas, and each carpool's `served` and encoded siblings. Not the
 * manifest file itself, and not paths named only by earlier versions (see {@link pathsNamedByNewest}).
 *
 * @example
 * storagePathsOf(manifest).has('css/base.25b23dfca187.cmin.css.gz') // true
 */
export function storagePathsOf(manifest: Manifest): Set<string> {
  const paths = new Set<string>()
  forEachStoragePath(manifest, (path) => paths.add(path))
  return paths
}

/**
 * The storage paths one files entry names: its logical path (the original), fingerprinted, served, map, siblings
 * and deltas.
 *
 * @example
 * entryStoragePaths('css/base.css', manifest.files['css/base.css']).has('css/base.css') // true
 */
export function entryStoragePaths(logicalPath: string, entry: ManifestEntry): Set<string> {
  const paths = new Set<string>()
  visitEntry(logicalPath, entry, (path) => paths.add(path))
  return paths
}

/** The storage paths of one files entry (its logical path first) or carpool, each given to `visit`. */
function visitEntry(logicalPath: string | undefined, entry: ManifestEntry | ManifestCarpool, visit: (path: string) => void): void {
  if (logicalPath !== undefined) visit(logicalPath)
  if ('fingerprinted' in entry) visit(entry.fingerprinted)
  visit(entry.served)
  if ('map' in entry && entry.map !== undefined) visit(entry.map)
  const encodings: EncodedVariants | undefined = entry.encodings
  if (encodings !== undefined) {
    for (const name of CONTENT_ENCODING_NAMES) {
      const variant = encodings[name]
      if (variant) visit(variant.path)
    }
  }
  // A delta belongs to its target: it is named, and dropped, with the version it rebuilds.
  if ('deltas' in entry && entry.deltas !== undefined) {
    for (const variants of Object.values(entry.deltas)) {
      for (const name of DELTA_ENCODING_NAMES) {
        const variant = variants[name]
        if (variant) visit(variant.path)
      }
    }
  }
}

/** Every path {@link storagePathsOf} lists, given to `visit` (some more than once), without building a set. */
function forEachStoragePath(manifest: Manifest, visit: (path: string) => void): void {
  for (const [logicalPath, entry] of Object.entries(manifest.files)) visitEntry(logicalPath, entry, visit)
  for (const carpool of Object.values(manifest.carpools)) visitEntry(undefined, carpool, visit)
}

/** Whether two entries (or two carpools) name the same storage paths, in the same fields. */
function samePaths(a: ManifestEntry | ManifestCarpool, b: ManifestEntry | ManifestCarpool): boolean {
  if (a === b) return true
  if (a.served !== b.served) return false
  if (('fingerprinted' in a ? a.fingerprinted : undefined) !== ('fingerprinted' in b ? b.fingerprinted : undefined)) return false
  if (('map' in a ? a.map : undefined) !== ('map' in b ? b.map : undefined)) return false
  for (const name of CONTENT_ENCODING_NAMES) if (a.encodings?.[name]?.path !== b.encodings?.[name]?.path) return false
  return sameDeltaPaths('deltas' in a ? a.deltas : undefined, 'deltas' in b ? b.deltas : undefined)
}

function sameDeltaPaths(a: ManifestEntry['deltas'], b: ManifestEntry['deltas']): boolean {
  if (a === b) return true
  const hashes = Object.keys(a ?? {})
  if (hashes.length !== Object.keys(b ?? {}).length) return false
  for (const hash of hashes) {
    const other = b !== undefined && Object.hasOwn(b, hash) ? b[hash] : undefined
    if (other === undefined) return false
    for (const name of DELTA_ENCODING_NAMES) if (a![hash]![name]?.path !== other[name]?.path) return false
  }
  return true
}

/**
 * The paths `previous` names and `next` does not, sorted. An entry (or carpool) that names the same paths in both
 * drops none of them, so only the paths of entries that changed or went are candidates, and one pass over `next`
 * removes those it still names: a deploy that changed one file of 100,000 builds no set of every path.
 */
function droppedPaths(previous: Manifest, next: Manifest): string[] {
  const candidates = new Set<string>()
  for (const [logicalPath, entry] of Object.entries(previous.files)) {
    const successor = Object.hasOwn(next.files, logicalPath) ? next.files[logicalPath] : undefined
    if (successor === undefined || !samePaths(entry, successor)) visitEntry(logicalPath, entry, (path) => candidates.add(path))
  }
  for (const [name, carpool] of Object.entries(previous.carpools)) {
    const successor = Object.hasOwn(next.carpools, name) ? next.carpools[name] : undefined
    if (successor === undefined || !samePaths(carpool, successor)) visitEntry(undefined, carpool, (path) => candidates.add(path))
  }
  if (candidates.size > 0) forEachStoragePath(next, (path) => candidates.delete(path))
  return [...candidates].sort()
}

/**
 * `next` as the successor of `previous`: its history is a new entry for `previous` (its id, the time, and the
 * sorted storage paths it named that `next` does not) followed by `previous.history`, keeping at most
 * `historyLimit` entries. With no previous manifest the history is empty. When both have the same id, `previous`
 * is returned unchanged, so re-collecting an unchanged tree writes byte-identical text.
 *
 * @example
 * const manifest = supersede(await readPrevious(), createManifest({ files, baseUrl, hash }))
 */
export function supersede(previous: Manifest | null, next: Manifest, options: SupersedeOptions = {}): Manifest {
  const { now = new Date(), historyLimit = DEFAULT_HISTORY_LIMIT } = options
  checkCount('historyLimit', historyLimit, 0)
  if (previous === null) return { ...next, history: [] }
  if (previous.id === next.id) return previous
  const entry = { supersededAt: now.toISOString(), id: previous.id, dropped: droppedPaths(previous, next) }
  return { ...next, history: [entry, ...previous.history].slice(0, historyLimit) }
}

/**
 * The storage paths named by the newest `versions` versions: the current one plus the newest `versions − 1`
 * history entries. Exact, because each entry lists what its version named that the next one did not. Versions
 * beyond the kept history are unknown, so asking for more gives all that is known.
 *
 * @example
 * // `convoy clean --keep 3` never deletes these
 * const keep = pathsNamedByNewest(manifest, 3)
 */
export function pathsNamedByNewest(manifest: Manifest, versions: number): Set<string> {
  checkCount('versions', versions, 1)
  const paths = storagePathsOf(manifest)
  for (const entry of manifest.history.slice(0, versions - 1)) for (const path of entry.dropped) paths.add(path)
  return paths
}

/**
 * For every path some earlier version named and the current one does not: when it was last superseded (a path
 * dropped, named again, and dropped again counts from the newest drop).
 *
 * @example
 * // `convoy clean --age 3600`: superseded for more than an hour
 * const old = [...supersededSince(manifest)].filter(([, at]) => Date.now() - at.getTime() > 3_600_000)
 */
export function supersededSince(manifest: Manifest): Map<string, Date> {
  const current = storagePathsOf(manifest)
  const since = new Map<string, Date>()
  for (const entry of manifest.history) {
    const at = new Date(entry.supersededAt)
    for (const path of entry.dropped) if (!current.has(path) && !since.has(path)) since.set(path, at)
  }
  return since
}
