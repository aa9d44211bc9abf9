import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { type FileHandle, link, open, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConvoyError } from '@convoy/errors'
import type { StorageLock, StorageLockOptions } from '@convoy/storage'
import { LEFTOVER_AGE_MS, isRunning, printable, tempName, thisHost } from './owners.js'
import { TEMP_PREFIX } from './paths.js'

/** What the lock file holds, as JSON. */
export interface LockRecord {
  /** The holder's process id, on `host`. */
  readonly pid: number
  /** `os.hostname()` of the holder. */
  readonly host: string
  /** When the lock was taken, ISO 8601. */
  readonly startedAt: string
  /** What the holder does, e.g. `convoy collect`. */
  readonly purpose: string
  /** Random, new for every `lock()`: tells our lock from any later one. */
  readonly token: string
}

/** Where one storage keeps its lock, and how its failures are reported. */
export interface LockPlace {
  /** The real path of the storage root; the lock file and our temporary files go here. */
  readonly directory: string
  /** The lock file's real path. */
  readonly file: string
  /** The lock file's path as the user configured it, for messages. */
  readonly shown: string
  /** Turns a file system failure into the storage's `ERR_CONVOY_STORAGE` error. */
  readonly fail: (action: string, cause: unknown) => ConvoyError
}

interface LockSettings {
  readonly purpose: string
  readonly timeoutMs: number
  readonly notify: (message: string) => void
}

interface Snapshot {
  readonly dev: bigint
  readonly ino: bigint
  readonly mtimeMs: number
  readonly bytes: Buffer
}

type LockState =
  | { readonly kind: 'missing' }
  /** Something that is not a regular file (a folder, a symbolic link): never ours, never touched. */
  | { readonly kind: 'foreign'; readonly what: string }
  | { readonly kind: 'valid'; readonly record: LockRecord; readonly snapshot: Snapshot }
  | { readonly kind: 'corrupt'; readonly snapshot: Snapshot }

type Present = Extract<LockState, { readonly snapshot: Snapshot }>

/** The first and the longest pause between two looks at a busy lock (the pause doubles in between). */
const FIRST_POLL_MS = 25
const MAX_POLL_MS = 250
/** How often in a row we try again at once (the lock vanished, or we removed a stale one) before pausing. */
const QUICK_RETRIES = 20
/** How many claims on one stale lock (each left by a process that died taking it over) we go past before giving up. */
const MAX_CLAIMS = 8
/** A claim another host (or one still being written) made counts as abandoned after this long: a take-over takes milliseconds. */
const CLAIM_STALE_MS = 30_000
/** A lock file is a few hundred bytes; a bigger one is not ours and is not read whole. */
const MAX_LOCK_BYTES = 64 * 1024
/** What `link()` fails with on file systems without hard links (FAT, exFAT, some network and FUSE file systems). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])
/** Read without following a symbolic link, and without blocking on a FIFO someone put there. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function configError(rule: string): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-fs: lock(): ${rule}`)
}

/** Checks `lock()`'s options before anything touches the disk. */
export function lockSettings(options: StorageLockOptions): LockSettings {
  if (typeof options !== 'object' || (options as unknown) === null) throw configError('needs options, e.g. { purpose: "convoy collect" }')
  const { purpose, onNotice } = options
  if (typeof purpose !== 'string' || purpose.trim() === '') throw configError('`purpose` must say what holds the lock, e.g. "convoy collect"')
  const timeoutMs: unknown = options.timeoutMs ?? 0
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw configError('`timeoutMs` must be a finite number of milliseconds, 0 or more')
  }
  if (onNotice !== undefined && typeof onNotice !== 'function') throw configError('`onNotice` must be a function')
  return { purpose, timeoutMs, notify: onNotice ?? (() => undefined) }
}

function parseRecord(bytes: Buffer): LockRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { pid, host, startedAt, purpose, token } = value as Record<string, unknown>
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined
  if (typeof host !== 'string' || typeof startedAt !== 'string' || typeof purpose !== 'string') return undefined
  if (typeof token !== 'string' || token === '') return undefined
  return { pid, host, startedAt, purpose, token }
}

async function readUpTo(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit)
  let length = 0
  while (length < limit) {
    const { bytesRead } = await handle.read(buffer, length, limit - length, length)
    if (bytesRead === 0) break
    length += bytesRead
  }
  return buffer.subarray(0, length)
}

/** What is at the lock's path now. */
async function readLock(file: string): Promise<LockState> {
  let handle: FileHandle
  try {
    handle = await open(file, READ_FLAGS)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT') return { kind: 'missing' }
    if (code === 'ELOOP') return { kind: 'foreign', what: 'a symbolic link' }
    throw error
  }
  try {
    // As bigints: an inode number may not fit a double.
    const stats = await handle.stat({ bigint: true })
    if (!stats.isFile()) return { kind: 'foreign', what: stats.isDirectory() ? 'a folder' : 'not a regular file' }
    const bytes = await readUpTo(handle, MAX_LOCK_BYTES + 1)
    const snapshot: Snapshot = { dev: stats.dev, ino: stats.ino, mtimeMs: Number(stats.mtimeMs), bytes }
    const record = bytes.byteLength > MAX_LOCK_BYTES ? undefined : parseRecord(bytes)
    return record === undefined ? { kind: 'corrupt', snapshot } : { kind: 'valid', record, snapshot }
  } finally {
    await handle.close()
  }
}

/** Creates `file` holding `bytes`, flushed to disk, failing if it exists. */
async function writeNew(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx')
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => undefined)
    await rm(file, { force: true })
    throw error
  }
  await handle.close()
}

/**
 * Puts `bytes` at `target` only if nothing is there; false when something is. Normally a hard link to `source`, a
 * complete file holding `bytes`, so the lock file never shows half-written. On a file system without hard links it
 * is created exclusively and then written: whoever reads it in between finds a lock file it cannot parse yet, which
 * counts as held (an unreadable lock is only taken over once it is old).
 */
async function placeExclusive(source: string, target: string, bytes: Uint8Array): Promise<boolean> {
  try {
    await link(source, target)
    return true
  } catch (error) {
    const code = errorCode(error)
    if (code === 'EEXIST') return false
    if (!NO_HARD_LINKS.has(code ?? '')) throw error
  }
  try {
    await writeNew(target, bytes)
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    throw error
  }
}

function sameFile(state: LockState, snapshot: Snapshot): boolean {
  return (
    (state.kind === 'valid' || state.kind === 'corrupt') &&
    state.snapshot.dev === snapshot.dev &&
    state.snapshot.ino === snapshot.ino &&
    state.snapshot.bytes.equals(snapshot.bytes)
  )
}

/**
 * Removes the lock file if it is still the one we judged (same inode, same bytes): renamed to a temporary name of
 * ours (atomic), checked, then deleted. Anything else found there is put back — never over a lock taken in between.
 * True when we removed it.
 */
async function moveAsideIfSame(place: LockPlace, snapshot: Snapshot): Promise<boolean> {
  const aside = join(place.directory, tempName())
  try {
    await rename(place.file, aside)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false
    throw error
  }
  let moved: LockState
  try {
    moved = await readLock(aside)
  } catch (error) {
    await rename(aside, place.file).catch(() => undefined)
    throw error
  }
  if (sameFile(moved, snapshot)) {
    await unlink(aside)
    return true
  }
  if (moved.kind === 'valid' || moved.kind === 'corrupt') {
    await placeExclusive(aside, place.file, moved.snapshot.bytes)
    await rm(aside, { force: true })
  } else if (moved.kind === 'foreign') {
    await rename(aside, place.file)
  }
  return false
}

/** Whether the claim at `claim` was left by a process that died while taking a lock over. */
async function isStaleClaim(claim: string): Promise<boolean> {
  const state = await readLock(claim)
  // Gone: its maker is done, and the next look at the lock file tells what it did.
  if (state.kind === 'missing') return false
  if (state.kind === 'valid' && state.record.host === thisHost()) return !isRunning(state.record.pid)
  // Another host's claim, or one still being written: only its age tells.
  return state.kind !== 'foreign' && Date.now() - state.snapshot.mtimeMs > CLAIM_STALE_MS
}

/**
 * Takes over the stale lock `snapshot`, safely against any number of processes trying at once. A process first
 * claims that very lock file: it creates `.convoy-tmp-claim-<inode>-<n>` exclusively (holding our record), so only
 * one process at a time holds the claim; claim `n + 1` is tried only when claim `n` was left by a process that died.
 * The holder checks that the lock file is still the one judged stale — nobody can replace it meanwhile, since that
 * needs the claim (its owner is dead) — and only then removes it.
 *
 * `removed`: we removed it; `gone`: it is no longer there (someone else took over); `claimed`: someone else is at it.
 */
async function takeOver(place: LockPlace, snapshot: Snapshot, record: Uint8Array): Promise<'removed' | 'gone' | 'claimed'> {
  const abandoned: string[] = []
  for (let generation = 1; generation <= MAX_CLAIMS; generation++) {
    const claim = join(place.directory, `${TEMP_PREFIX}claim-${snapshot.ino}-${generation}`)
    try {
      await writeNew(claim, record)
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error
      if (!(await isStaleClaim(claim))) return 'claimed'
      abandoned.push(claim)
      continue
    }
    try {
      if (!sameFile(await readLock(place.file), snapshot)) return 'gone'
      if (!(await moveAsideIfSame(place, snapshot))) return 'gone'
      for (const stale of abandoned) await rm(stale, { force: true })
      return 'removed'
    } finally {
      await rm(claim, { force: true })
    }
  }
  return 'claimed'
}

function describeHolder(state: LockState): string {
  switch (state.kind) {
    case 'valid': {
      const { pid, host, startedAt, purpose } = state.record
      return `held by pid ${pid} on host ${printable(host)} since ${printable(startedAt)} for "${printable(purpose)}"`
    }
    case 'corrupt':
      return `held through a lock file that cannot be read (last changed ${new Date(state.snapshot.mtimeMs).toISOString()})`
    case 'foreign':
      return `blocked by ${state.what} in place of the lock file`
    case 'missing':
      return 'changing hands too fast to be taken'
  }
}

/** The notice for taking over `state`, or `undefined` while it counts as held. */
function staleNotice(state: Present, shown: string): string | undefined {
  if (state.kind === 'corrupt') {
    if (Date.now() - state.snapshot.mtimeMs <= LEFTOVER_AGE_MS) return undefined
    const changed = new Date(state.snapshot.mtimeMs).toISOString()
    return `@convoy/storage-fs: taking over a lock file that cannot be read, last changed ${changed} (more than 1 hour ago) (${shown})`
  }
  const { pid, host, startedAt, purpose } = state.record
  // Another host's processes cannot be seen from here: its lock is never taken over.
  if (host !== thisHost() || isRunning(pid)) return undefined
  return (
    `@convoy/storage-fs: taking over the stale lock of pid ${pid} on host ${printable(host)}, taken ${printable(startedAt)} ` +
    `for "${printable(purpose)}": that process is no longer running (${shown})`
  )
}

function conflict(state: LockState, settings: LockSettings, shown: string, overtaken: boolean): ConvoyError {
  const waited = settings.timeoutMs > 0 ? `gave up after waiting ${settings.timeoutMs} ms` : 'not waiting for it (timeoutMs 0)'
  let hint = ''
  if (overtaken) {
    hint = '; its holder is gone and another process is taking the lock over'
  } else if (state.kind === 'valid' && state.record.host !== thisHost()) {
    hint = '; a lock of another host is never taken over: delete the lock file once no deploy runs there'
  } else if (state.kind === 'corrupt') {
    hint = '; an unreadable lock file counts as held until it is 1 hour old: delete it if no deploy runs'
  }
  return new ConvoyError('ERR_CONVOY_CONFLICT', `@convoy/storage-fs: the storage is locked, ${describeHolder(state)}; ${waited}${hint} (${shown})`)
}

/**
 * Takes the storage's lock: creates the lock file (a hard link of a complete temporary file, so it is atomic and
 * fails when a lock exists), takes over a stale one (its process is dead on this host, or it cannot be read and is
 * older than {@link LEFTOVER_AGE_MS}) with one notice, and otherwise waits for it, polling, up to `timeoutMs`.
 */
export async function acquireLock(place: LockPlace, settings: LockSettings): Promise<StorageLock> {
  const record: LockRecord = {
    pid: process.pid,
    host: thisHost(),
    startedAt: new Date().toISOString(),
    purpose: settings.purpose,
    token: randomBytes(16).toString('hex'),
  }
  const bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8')
  const temp = join(place.directory, tempName())
  try {
    await writeNew(temp, bytes)
    const deadline = Date.now() + settings.timeoutMs
    let pause = FIRST_POLL_MS
    let waiting = false
    for (let quick = 0; ; ) {
      if (await placeExclusive(temp, place.file, bytes)) return heldLock(place, record)
      const state = await readLock(place.file)
      if (state.kind === 'foreign') {
        throw new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/storage-fs: cannot lock: ${place.shown} is ${state.what}, not a lock file; remove it`)
      }
      let overtaken = false
      if (state.kind === 'missing') {
        // Released between our two looks: try again at once, a bounded number of times in a row.
        if (++quick <= QUICK_RETRIES) continue
      } else {
        const notice = staleNotice(state, place.shown)
        if (notice !== undefined) {
          const outcome = await takeOver(place, state.snapshot, bytes)
          if (outcome === 'removed') settings.notify(notice)
          overtaken = outcome === 'claimed'
          if (!overtaken && ++quick <= QUICK_RETRIES) continue
        }
      }
      quick = 0
      const left = deadline - Date.now()
      if (left <= 0) throw conflict(state, settings, place.shown, overtaken)
      if (!waiting) {
        waiting = true
        settings.notify(`@convoy/storage-fs: waiting up to ${settings.timeoutMs} ms for the lock, ${describeHolder(state)} (${place.shown})`)
      }
      await sleep(Math.min(pause, left))
      pause = Math.min(pause * 2, MAX_POLL_MS)
    }
  } catch (error) {
    throw place.fail('lock', error)
  } finally {
    // Once linked, the lock file is its own name of the same file: this removes only the temporary name.
    await rm(temp, { force: true })
  }
}

function heldLock(place: LockPlace, record: LockRecord): StorageLock {
  const ours = `the lock taken ${record.startedAt} for "${printable(record.purpose)}"`
  let released = false
  let releasing: Promise<void> | undefined

  const lost = (state: LockState): string => {
    switch (state.kind) {
      case 'missing':
        return 'the lock file is gone'
      case 'valid':
        return `it is now ${describeHolder(state)}`
      case 'corrupt':
        return 'the lock file was replaced by one that cannot be read'
      case 'foreign':
        return `the lock file was replaced by ${state.what}`
    }
  }

  return {
    async assertHeld() {
      if (released) throw new ConvoyError('ERR_CONVOY_CONFLICT', `@convoy/storage-fs: ${ours} was released (${place.shown})`)
      let state: LockState
      try {
        state = await readLock(place.file)
      } catch (error) {
        throw place.fail('check the lock', error)
      }
      if (state.kind === 'valid' && state.record.token === record.token) return
      throw new ConvoyError('ERR_CONVOY_CONFLICT', `@convoy/storage-fs: ${ours} is no longer ours: ${lost(state)} (${place.shown})`)
    },

    release() {
      releasing ??= (async () => {
        try {
          const state = await readLock(place.file)
          // Only our own lock file is removed; one that replaced it belongs to someone else.
          if (state.kind === 'valid' && state.record.token === record.token) await moveAsideIfSame(place, state.snapshot)
          released = true
        } catch (error) {
          releasing = undefined
          throw place.fail('release the lock', error)
        }
      })()
      return releasing
    },
  }
}
