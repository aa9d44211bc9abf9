import { CONTENT_ENCODING_NAMES } from '@convoy/storage'
import type { EncodedVariants, Manifest } from './types.js'

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
 * `fingerprinted`, `served`, `map` and encoded siblings, and each carpool's `served` and encoded siblings. Not the
 * manifest file itself, and not paths named only by earlier versions (see {@link pathsNamedByNewest}).
 *
 * @example
 * storagePathsOf(manifest).has('css/base.25b23dfca187.cmin.css.gz') // true
 */
export function storagePathsOf(manifest: Manifest): Set<string> {
  const paths = new Set<string>()
  for (const [logicalPath, entry] of Object.entries(manifest.files)) {
    paths.add(logicalPath).add(entry.fingerprinted).add(entry.served)
    if (entry.map !== undefined) paths.add(entry.map)
    addEncoded(paths, entry.encodings)
  }
  for (const carpool of Object.values(manifest.carpools)) {
    paths.add(carpool.served)
    addEncoded(paths, carpool.encodings)
  }
  return paths
}

/** Adds the path of each encoded sibling, for every encoding in `CONTENT_ENCODINGS`. */
function addEncoded(paths: Set<string>, encodings: EncodedVariants | undefined): void {
  if (encodings === undefined) return
  for (const name of CONTENT_ENCODING_NAMES) {
    const variant = encodings[name]
    if (variant) paths.add(variant.path)
  }
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
  const kept = storagePathsOf(next)
  const dropped = [...storagePathsOf(previous)].filter((path) => !kept.has(path)).sort()
  const entry = { supersededAt: now.toISOString(), id: previous.id, dropped }
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
