import { setTimeout as sleep } from 'node:timers/promises'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { MANIFEST_FILE, parseManifest, serializeManifest, type Manifest } from '@convoy/manifest'
import type { Storage, StorageLock } from '@convoy/storage'
import type { Warning } from './asset.js'

/** How often a conditional manifest write is tried again after another deploy changed the manifest. */
export const CONFLICT_RETRIES = 5

export interface DeployGuardOptions {
  /** What this run is, for whoever waits for it: `convoy collect`, `convoy clean`. */
  readonly purpose: string
  /** How long to wait for another run's filesystem lock. */
  readonly lockTimeoutMs: number
  readonly warn: (warning: Omit<Warning, 'step'>) => void
}

/**
 * What keeps two deploys to one storage from losing each other's work: the storage's exclusive lock when it has one
 * (a lock file on disk), else a conditional manifest write (S3's `If-Match` / `If-None-Match: *`). A storage with
 * neither gets one warning: the last writer wins there.
 */
export interface DeployGuard {
  /** The manifest in force when the run started (after taking the lock), or `null` for a first deploy. */
  readonly previous: Manifest | null
  /**
   * Writes the manifest `build(current)` returns, `current` being the manifest in force right now. Under a
   * conditional write that is re-read and rebuilt when another deploy published meanwhile, up to
   * {@link CONFLICT_RETRIES} times, then `ERR_CONVOY_CONFLICT`. Returns what was written, or `null` when `build`
   * returned `current` itself (nothing changed).
   */
  publish(build: (current: Manifest | null) => Manifest): Promise<Manifest | null>
  release(): Promise<void>
}

const MANIFEST_WRITE = { contentType: 'application/json; charset=utf-8', cacheControl: 'no-cache' } as const

/** Takes the lock (or notes the manifest's version) and reads the manifest in force. */
export async function openDeployGuard(storage: Storage, options: DeployGuardOptions): Promise<DeployGuard> {
  let lock: StorageLock | undefined
  if (storage.lock !== undefined) {
    lock = await storage.lock({
      purpose: options.purpose,
      timeoutMs: options.lockTimeoutMs,
      onNotice: (message) => options.warn({ kind: 'lock', message }),
    })
  } else if (storage.capabilities.conditionalWrites !== true) {
    options.warn({ kind: 'no-concurrency-guard', message: `${storage.name} has neither a lock nor conditional writes: if two deploys run at once, the manifest of the one that finishes first is replaced without a trace` })
  }
  try {
    const conditional = lock === undefined && storage.capabilities.conditionalWrites === true && storage.readVersioned !== undefined
    let current = conditional ? await readVersionedManifest(storage, options) : { manifest: await readPublishedManifest(storage, options.warn), version: undefined }
    const guard: DeployGuard = {
      previous: current.manifest,
      async publish(build) {
        for (let attempt = 0; ; attempt += 1) {
          const next = build(current.manifest)
          if (next === current.manifest) return null
          const body = serializeManifest(next)
          try {
            if (lock !== undefined) await lock.assertHeld()
            if (!conditional) await storage.write(MANIFEST_FILE, body, MANIFEST_WRITE)
            else await storage.write(MANIFEST_FILE, body, { ...MANIFEST_WRITE, ...(current.version === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: current.version }) })
            return next
          } catch (error) {
            if (!conditional || !isConvoyError(error) || error.code !== 'ERR_CONVOY_CONFLICT') throw error
            if (attempt >= CONFLICT_RETRIES) {
              throw new ConvoyError('ERR_CONVOY_CONFLICT', `@convoy/core: another deploy published ${MANIFEST_FILE} in ${storage.name} ${attempt + 1} times while this one tried to; this run's files are uploaded but not published: run it again`, { cause: error, file: MANIFEST_FILE })
            }
            options.warn({ kind: 'conflict', message: `another deploy published ${MANIFEST_FILE} in ${storage.name} meanwhile: merging its history and trying again (${attempt + 1}/${CONFLICT_RETRIES})` })
            // Jittered, growing pauses, so two deploys that keep colliding drift apart.
            await sleep(Math.round((50 + Math.random() * 100) * 2 ** attempt))
            current = await readVersionedManifest(storage, options)
          }
        }
      },
      release: async () => {
        await lock?.release()
      },
    }
    return guard
  } catch (error) {
    await lock?.release()
    throw error
  }
}

/** The manifest in force, read without a lock (a dry run), or `null`; an unreadable one is ignored with a warning. */
export async function readPublishedManifest(storage: Storage, warn: DeployGuardOptions['warn']): Promise<Manifest | null> {
  return parseOrIgnore(await storage.read(MANIFEST_FILE), storage, warn)
}

async function readVersionedManifest(storage: Storage, options: DeployGuardOptions): Promise<{ manifest: Manifest | null; version: string | undefined }> {
  const object = await storage.readVersioned!(MANIFEST_FILE)
  if (object === null) return { manifest: null, version: undefined }
  return { manifest: parseOrIgnore(object.body, storage, options.warn), version: object.version }
}

function parseOrIgnore(bytes: Uint8Array | null, storage: Storage, warn: DeployGuardOptions['warn']): Manifest | null {
  if (bytes === null) return null
  try {
    return parseManifest(Buffer.from(bytes).toString('utf8'), `${storage.name}/${MANIFEST_FILE}`)
  } catch (error) {
    // A manifest we cannot read should not block a deploy: the new one replaces it, its history starts afresh.
    warn({ kind: 'manifest-unreadable', message: `the previous manifest is ignored: ${(error as Error).message}` })
    return null
  }
}
