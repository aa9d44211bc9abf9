import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { lstat, mkdir, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isRunning, LEFTOVER_AGE_MS, thisHostId } from '@convoy/storage-fs/owners'

/**
 * Temporary files of this process (streamed compressions of large files, waiting for the write stage to store them)
 * live in one directory, `<tmpdir>/convoy-<pid>-<host id>-<random>`, named like the storage's temporary files so a
 * later run can tell whether its owner still runs. It is made on the first file, removed once its last file is
 * (normally as each asset's outputs are stored), and removed on exit, SIGINT and SIGTERM; a run that starts one
 * first removes those of dead processes of this host, and other hosts' ones untouched for an hour.
 */
const SCRATCH_PREFIX = 'convoy-'
const SCRATCH_NAME = /^convoy-([1-9][0-9]{0,9})-([0-9a-f]{8})-[0-9a-f]{16}$/

interface ScratchDirectory {
  readonly path: string
  /** Resolves once the directory exists. */
  readonly made: Promise<void>
  /** Files handed out and not removed yet. */
  live: number
}

let scratch: ScratchDirectory | undefined
const scratchOf = new Map<string, ScratchDirectory>()

/** A fresh path in this process's scratch directory, ending in `suffix`; give it back with {@link removeScratchFile}. */
export async function createScratchFile(suffix = ''): Promise<string> {
  scratch ??= openScratchDirectory()
  const directory = scratch
  directory.live += 1
  const file = join(directory.path, `${randomBytes(8).toString('hex')}${suffix}`)
  scratchOf.set(file, directory)
  try {
    await directory.made
  } catch (error) {
    await removeScratchFile(file)
    throw error
  }
  return file
}

/** Removes a file {@link createScratchFile} gave, and the scratch directory with its last file. */
export async function removeScratchFile(file: string): Promise<void> {
  const directory = scratchOf.get(file)
  if (directory === undefined) return
  scratchOf.delete(file)
  await rm(file, { force: true })
  directory.live -= 1
  if (directory.live > 0) return
  // The next file gets a new directory: this one may be half removed by then.
  if (scratch === directory) scratch = undefined
  await directory.made.catch(() => undefined)
  await rm(directory.path, { recursive: true, force: true })
  untrack(directory.path)
}

function openScratchDirectory(): ScratchDirectory {
  const host = thisHostId()
  const path = join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-${host}-${randomBytes(8).toString('hex')}`)
  track(path)
  const made = (async () => {
    await removeScratchLeftovers(host)
    await mkdir(path, { mode: 0o700 })
  })()
  return { path, made, live: 0 }
}

/** The scratch directories that exist (or are being made): removed synchronously if the process ends first. */
const tracked = new Set<string>()

function removeTracked(): void {
  for (const path of tracked) rmSync(path, { recursive: true, force: true })
  tracked.clear()
}

function onSignal(signal: NodeJS.Signals): void {
  // With other listeners the process is not dying of this signal: they decide, and `exit` still cleans up.
  if (process.listenerCount(signal) > 1) return
  removeTracked()
  untrack()
  // Dying of the signal as if nobody had listened (exit code 128 + signal number).
  process.kill(process.pid, signal)
}

function track(path: string): void {
  if (tracked.size === 0) {
    process.on('exit', removeTracked)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  tracked.add(path)
}

/** Forgets `path` (or every directory); the listeners go with the last one, so an idle process keeps none. */
function untrack(path?: string): void {
  if (path === undefined) tracked.clear()
  else tracked.delete(path)
  if (tracked.size > 0) return
  process.off('exit', removeTracked)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

/** Removes the scratch directories of processes that died without removing theirs (killed with SIGKILL, a crash). */
async function removeScratchLeftovers(host: string): Promise<void> {
  const root = tmpdir()
  const names = await readdir(root).catch(() => [] as string[])
  const now = Date.now()
  await Promise.all(
    names.map(async (name) => {
      const match = SCRATCH_NAME.exec(name)
      if (match === null) return
      const path = join(root, name)
      const dead = match[2] === host ? !isRunning(Number(match[1])) : now - (await lstat(path).then((stats) => stats.mtimeMs, () => now)) > LEFTOVER_AGE_MS
      if (dead) await rm(path, { recursive: true, force: true }).catch(() => undefined)
    }),
  )
}
