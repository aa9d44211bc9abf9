import { parseCarpoolPath } from '@convoy/carpool'
import { ENCODING_NAMES } from '@convoy/gzip'
import { encodedSiblingPath } from '@convoy/storage'
import { addFiles, immutableCacheControl, type FileIndex, type IndexOptions } from './file-index.js'
import { eachLimit, type FileSource, type FoundFile } from './sources.js'

/** At most this many misses are remembered; the oldest is forgotten first, so random names cannot fill memory. */
const MAX_MISSES = 1000

/**
 * The storage path of the bundle `path` names (the bundle itself or a sibling), or `undefined` when it names none.
 * Only the names the runtime's carpool builder writes at request time are admitted (`@convoy/carpool`'s
 * `parseCarpoolPath`: a fixed prefix, hex digits and a fixed suffix, no `/`, `.`-segment, `%` or backslash), so a
 * name that matches cannot leave the root.
 */
export function bundleOf(path: string): string | undefined {
  return parseCarpoolPath(path)?.bundle
}

/** Finds carpool bundles written after the index was built, one lookup per bundle, and adds them to the index. */
export interface BundleLookup {
  /**
   * The bundle to look up for a request `path` the index does not have, or `undefined` when there is nothing to look
   * up: not a bundle name, a bundle the index already has (its siblings were indexed with it), or a recent miss.
   */
  candidate(index: FileIndex, path: string): string | undefined
  /** Looks `bundle` up (concurrent calls share one lookup); resolves `true` when it and its siblings were added. */
  lookup(index: FileIndex, bundle: string): Promise<boolean>
  /** Adds to `to` the bundles found in `from` that still exist (a reload keeps them while they are there). */
  carryOver(from: FileIndex, to: FileIndex): Promise<void>
  /** Forgets every miss. */
  forgetMisses(): void
}

interface Found {
  /** Bundles added to this index at request time. */
  readonly bundles: Set<string>
  /** Lookups in progress. */
  readonly pending: Map<string, Promise<boolean>>
}

export function createBundleLookup(source: FileSource, options: IndexOptions, missTtlMs: number): BundleLookup {
  const cacheControl = immutableCacheControl(options)
  const byIndex = new WeakMap<FileIndex, Found>()
  /** Bundle → when its miss may be looked up again (`Date.now()` milliseconds). Insertion order is age order. */
  const misses = new Map<string, number>()

  const foundIn = (index: FileIndex): Found => {
    let found = byIndex.get(index)
    if (found === undefined) {
      found = { bundles: new Set(), pending: new Map() }
      byIndex.set(index, found)
    }
    return found
  }

  const remember = (bundle: string): void => {
    if (missTtlMs === 0) return
    misses.delete(bundle)
    if (misses.size >= MAX_MISSES) {
      const oldest = misses.keys().next()
      if (oldest.done !== true) misses.delete(oldest.value)
    }
    misses.set(bundle, Date.now() + missTtlMs)
  }

  const find = async (index: FileIndex, bundle: string): Promise<boolean> => {
    // One stat for the bundle. The builder writes it last, after its siblings, so once it is there they are too.
    const main = (await index.listing.find([bundle])).get(bundle)
    if (main === undefined) {
      remember(bundle)
      return false
    }
    const siblings = await index.listing.find(ENCODING_NAMES.map((name) => encodedSiblingPath(bundle, name)))
    const files: FoundFile[] = [main, ...siblings.values()]
    // Content-addressed names: immutable, like every fingerprinted file, whatever the manifest says.
    await addFiles(source, index, files, () => true, () => cacheControl, options)
    foundIn(index).bundles.add(bundle)
    return true
  }

  const lookup = (index: FileIndex, bundle: string): Promise<boolean> => {
    const { pending } = foundIn(index)
    let job = pending.get(bundle)
    if (job === undefined) {
      job = find(index, bundle).finally(() => pending.delete(bundle))
      pending.set(bundle, job)
    }
    return job
  }

  return {
    candidate(index, path) {
      const bundle = bundleOf(path)
      if (bundle === undefined || index.resources.has(bundle)) return undefined
      const until = misses.get(bundle)
      if (until !== undefined) {
        if (Date.now() < until) return undefined
        misses.delete(bundle)
      }
      return bundle
    },

    lookup,

    async carryOver(from, to) {
      const bundles = byIndex.get(from)?.bundles
      if (bundles === undefined) return
      const wanted = [...bundles].filter((bundle) => !to.resources.has(bundle))
      await eachLimit(wanted, 16, async (bundle) => {
        // A failed lookup only leaves the bundle out of the new index: the next request for it looks it up again.
        await lookup(to, bundle).catch(() => false)
      })
    },

    forgetMisses() {
      misses.clear()
    },
  }
}
