import { carpoolFiles, parseCarpoolRecordPath } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import { MANIFEST_FILE, parseManifest, pathsNamedByNewest, supersededSince, type Manifest } from '@convoy/manifest'
import type { Storage } from '@convoy/storage'

export interface CleanOptions {
  readonly storage: Storage
  /** How many manifest versions (the current one included) keep their files. Default 2. */
  readonly keep?: number
  /** Only delete files superseded at least this many seconds ago. Default 3600. */
  readonly age?: number
  /** List what would be deleted; delete nothing. */
  readonly dryRun?: boolean
  /** How long to wait for another run's lock on the storage. Default 0. */
  readonly lockTimeoutMs?: number
  /** Told when a stale lock is taken over or leftovers are removed. */
  readonly onNotice?: (message: string) => void
  /** Clock (tests). */
  readonly now?: () => Date
}

export interface CleanReport {
  /** Deleted (or, in a dry run, to be deleted) objects, sorted by path. */
  readonly deleted: readonly { readonly path: string; readonly size: number }[]
  readonly bytes: number
  /** Objects kept because a recent manifest version names them or they are too recent. */
  readonly kept: number
  /** Temporary files of interrupted runs removed (none in a dry run). */
  readonly leftovers: readonly string[]
  readonly dryRun: boolean
}

/**
 * Deletes outputs that none of the newest `keep` manifest versions names AND that were superseded more than `age`
 * seconds ago (both rules, as Rails Propshaft does: an old version stays available for `age` after a deploy no matter
 * how many deploys followed). Never deletes the manifest, a file the current manifest names, or a request-time carpool
 * bundle whose members are all kept. Objects no manifest version knows (left by a failed run, or older than the
 * manifest's history) count as superseded when they were last written.
 *
 * Safe to interrupt: it only deletes files no kept version names, and never rewrites the manifest.
 */
export async function clean(options: CleanOptions): Promise<CleanReport> {
  const keepVersions = options.keep ?? 2
  const ageSeconds = options.age ?? 3600
  if (!Number.isInteger(keepVersions) || keepVersions < 1) throw new ConvoyError('ERR_CONVOY_USAGE', `@convoy/core: --keep must be a whole number of at least 1, got ${String(keepVersions)}`)
  if (!Number.isFinite(ageSeconds) || ageSeconds < 0) throw new ConvoyError('ERR_CONVOY_USAGE', `@convoy/core: --age must be a number of seconds, at least 0, got ${String(ageSeconds)}`)
  const storage = options.storage
  // Under the lock no collect runs, so nothing this deletes can be about to be named by a new manifest.
  const lock = options.dryRun === true || storage.lock === undefined ? undefined : await storage.lock({ purpose: 'convoy clean', timeoutMs: options.lockTimeoutMs ?? 0, ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }) })
  try {
    const leftovers = lock === undefined || storage.removeLeftovers === undefined ? [] : await storage.removeLeftovers()
    return { ...(await cleanLocked(options, storage, keepVersions, ageSeconds)), leftovers }
  } finally {
    await lock?.release()
  }
}

async function cleanLocked(options: CleanOptions, storage: Storage, keepVersions: number, ageSeconds: number): Promise<Omit<CleanReport, 'leftovers'>> {
  const manifest = await readManifest(storage)
  const keep = pathsNamedByNewest(manifest, keepVersions)
  keep.add(MANIFEST_FILE)
  const superseded = supersededSince(manifest)
  const cutoff = (options.now ?? (() => new Date()))().getTime() - ageSeconds * 1000

  const objects = new Map<string, { size: number; lastModified: Date | undefined }>()
  for await (const entry of storage.list()) objects.set(entry.path, { size: entry.size, lastModified: entry.lastModified })

  // Request-time bundles: kept with their siblings while every member is kept.
  for (const [path] of objects) {
    const bundle = parseCarpoolRecordPath(path)
    if (bundle === undefined) continue
    const members = await carpoolMembers(storage, path)
    if (members === undefined || !members.every((member) => keep.has(member))) continue
    for (const kept of carpoolFiles(bundle)) keep.add(kept)
  }

  const deleted: { path: string; size: number }[] = []
  let kept = 0
  for (const [path, object] of [...objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const since = superseded.get(path) ?? object.lastModified
    // Without any time to go by, an unknown object is kept: deleting what might still be served is the one thing clean must never do.
    if (keep.has(path) || since === undefined || since.getTime() > cutoff) {
      kept += 1
      continue
    }
    deleted.push({ path, size: object.size })
  }
  if (options.dryRun !== true) {
    for (const { path } of deleted) await storage.delete(path)
  }
  return { deleted, bytes: deleted.reduce((sum, object) => sum + object.size, 0), kept, dryRun: options.dryRun === true }
}

/** The manifest at the storage root; a storage without one is an error for `clean` and `ls`. */
export async function readManifest(storage: Storage): Promise<Manifest> {
  const bytes = await storage.read(MANIFEST_FILE)
  if (bytes === null) throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/core: no ${MANIFEST_FILE} in ${storage.name}: run convoy collect first`)
  return parseManifest(Buffer.from(bytes).toString('utf8'), `${storage.name}/${MANIFEST_FILE}`)
}

async function carpoolMembers(storage: Storage, path: string): Promise<string[] | undefined> {
  try {
    const bytes = await storage.read(path)
    const parsed = bytes === null ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as { members?: unknown })
    return Array.isArray(parsed?.members) && parsed.members.every((member) => typeof member === 'string') ? parsed.members : undefined
  } catch {
    return undefined
  }
}
