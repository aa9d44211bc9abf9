import type { Dirent, Stats } from 'node:fs'
import { type FileHandle, lstat, mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { bodyChunks, BodyStreamError, type Storage, type StorageBody, type StorageEntry, type StorageLock, type StorageLockOptions } from '@convoy/storage'
import { acquireLock, lockSettings } from './lock.js'
import { LEFTOVER_AGE_MS, isRunning, tempName, tempOwner, thisHostId } from './owners.js'
import { LOCK_NAME, TEMP_PREFIX, checkPath, checkPrefix, escapeError, isListable, isReservedName } from './paths.js'

export interface FsStorageOptions {
  /** The directory that holds the objects. Resolved against the working directory; created on the first write. */
  readonly root: string
  /** What `url()` puts before an object's path. Default `'/static/'`; a missing trailing `/` is added. */
  readonly baseUrl?: string
}

/** A `Storage` on a local directory: it always has `lock()` and `removeLeftovers()`. */
export interface FsStorage extends Storage {
  /**
   * Takes the exclusive lock of the storage, the file `<root>/.convoy-lock` (the root is created if missing).
   * A lock of a dead process of this host is taken over with a notice; one of a live process, or of another host,
   * is waited for up to `timeoutMs` (default 0), then `ERR_CONVOY_CONFLICT`.
   */
  lock(options: StorageLockOptions): Promise<StorageLock>
  /**
   * Removes temporary files that writers which died left behind: those of a dead process of this host, and those
   * of another host or of the old name format once older than one hour. Never those of a live process.
   * Returns their paths relative to the root, sorted.
   */
  removeLeftovers(): Promise<readonly string[]>
}

/** Errors that mean "there is no such object here". */
const MISSING = new Set(['ENOENT', 'ENOTDIR'])
/** How many files of one folder `list()` stats at once. */
const STAT_BATCH = 64

/** One folder met by a walk: its path, its path relative to the root (`''` or ending in `/`), and its entries. */
interface WalkedFolder {
  readonly directory: string
  readonly relative: string
  readonly entries: readonly Dirent[]
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function isMissing(error: unknown): boolean {
  return MISSING.has(errorCode(error) ?? '')
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
    offset += bytesWritten
  }
}

async function writeBody(handle: FileHandle, body: StorageBody): Promise<void> {
  if (typeof body === 'string') return writeAll(handle, Buffer.from(body, 'utf8'))
  if (body instanceof Uint8Array) return writeAll(handle, body)
  // Chunk by chunk: a stream is never held in memory whole.
  for await (const chunk of bodyChunks(body)) await writeAll(handle, chunk)
}

/**
 * A `Storage` on a local directory: objects are files under `root`.
 *
 * Writes are atomic (a temporary file in the target folder, fsync, rename), so a reader sees the old file or the
 * new one, never half of one. No path leaves the root: unsafe paths are refused, and so are symbolic links inside
 * the root that lead out of it. Write options (`contentType`…) are accepted and not stored: a file keeps no headers.
 * `lock()` guards a deploy against a concurrent one; `removeLeftovers()` removes temporary files of dead writers.
 *
 * @example
 * import { createFsStorage } from '@convoy/storage-fs'
 *
 * const storage = createFsStorage({ root: 'public/static', baseUrl: '/static/' })
 * await storage.write('css/base.css', 'body { margin: 0 }')
 * await storage.read('css/base.css') // Uint8Array of the file
 * storage.url('css/my file.css')     // '/static/css/my%20file.css'
 */
export function createFsStorage(options: FsStorageOptions): FsStorage {
  if (typeof options.root !== 'string' || options.root.trim() === '') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-fs: `root` must be the path of a directory')
  }
  if (options.baseUrl !== undefined && typeof options.baseUrl !== 'string') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-fs: `baseUrl` must be a string, e.g. "/static/"')
  }
  const root = resolve(options.root)
  const rawBaseUrl = options.baseUrl ?? '/static/'
  const baseUrl = rawBaseUrl.endsWith('/') ? rawBaseUrl : `${rawBaseUrl}/`

  const failure = (action: string, path: string, cause: unknown): ConvoyError => {
    if (isConvoyError(cause)) return cause
    const detail = cause instanceof Error ? cause.message : String(cause)
    return new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/storage-fs: cannot ${action} ${path} in ${root}: ${detail}`, {
      cause: cause instanceof BodyStreamError ? cause.cause : cause,
      file: path,
    })
  }

  const realpathOrNull = async (path: string): Promise<string | null> => {
    try {
      return await realpath(path)
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  const isInside = (real: string, realRoot: string): boolean =>
    real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)

  /**
   * The one containment check, used by every operation: the real path of `target`, or of its deepest existing
   * ancestor, must be inside the real root, so a symbolic link inside the root cannot lead out of it.
   * Returns the real path of `target` when it exists, else `null` (also when the root does not exist yet).
   */
  const realInside = async (target: string, path: string): Promise<string | null> => {
    const realRoot = await realpathOrNull(root)
    if (realRoot === null) return null
    for (let current = target; ; current = dirname(current)) {
      const real = await realpathOrNull(current)
      if (real !== null) {
        if (!isInside(real, realRoot)) throw escapeError(path)
        return current === target ? real : null
      }
      // The root vanished between the two calls: nothing exists.
      if (current === root || dirname(current) === current) return null
    }
  }

  /** An open handle on the object's file, or `null` when there is no such file (a folder is not an object). */
  const openObject = async (path: string): Promise<FileHandle | null> => {
    const real = await realInside(join(root, ...checkPath(path)), path)
    if (real === null) return null
    let handle: FileHandle
    try {
      handle = await open(real, 'r')
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
    try {
      if ((await handle.stat()).isFile()) return handle
    } catch (error) {
      await handle.close()
      throw error
    }
    await handle.close()
    return null
  }

  const statObject = async (path: string): Promise<Stats | null> => {
    const real = await realInside(join(root, ...checkPath(path)), path)
    if (real === null) return null
    try {
      const stats = await stat(real)
      return stats.isFile() ? stats : null
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  const entryOf = (path: string, stats: Stats): StorageEntry => ({ path, size: stats.size, lastModified: stats.mtime })

  const statEntry = async (path: string): Promise<StorageEntry | null> => {
    try {
      const stats = await statObject(path)
      return stats === null ? null : entryOf(path, stats)
    } catch (error) {
      throw failure('stat', path, error)
    }
  }

  /** Stats one listed file (following a file symlink only when it stays inside the root); `null` to skip it. */
  const statListed = async (absolute: string, entry: Dirent, realRoot: string): Promise<Stats | null> => {
    try {
      let target = absolute
      if (entry.isSymbolicLink()) {
        const real = await realpathOrNull(absolute)
        if (real === null || !isInside(real, realRoot)) return null
        target = real
      }
      const stats = await stat(target)
      return stats.isFile() ? stats : null
    } catch (error) {
      // Deleted or renamed while we walked: not there any more.
      if (isMissing(error)) return null
      throw error
    }
  }

  /**
   * Yields the sorted entries of one folder, then walks the folders under it that `enter` accepts (given their
   * relative path ending in `/`). Never follows symlinked folders, and never enters folders with reserved names.
   */
  async function* folders(directory: string, relative: string, enter: (folder: string) => boolean): AsyncGenerator<WalkedFolder> {
    let entries: Dirent[]
    try {
      entries = await readdir(directory, { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    yield { directory, relative, entries }
    for (const entry of entries) {
      const folder = `${relative}${entry.name}/`
      if (entry.isDirectory() && !isReservedName(entry.name) && enter(folder)) yield* folders(join(directory, entry.name), folder, enter)
    }
  }

  /** The objects under the folders that can still match `prefix`; never our own files (temporary files, the lock). */
  /** Runs a walk of the objects under `prefix`, its errors reported as failures to list them. */
  async function* listing<T>(prefix: string, walker: (prefix: string, realRoot: string) => AsyncGenerator<T>): AsyncGenerator<T> {
    checkPrefix(prefix)
    const failed = (error: unknown): Error => failure('list', prefix === '' ? 'the objects' : `${prefix}*`, error)
    let realRoot: string | null
    try {
      realRoot = await realpathOrNull(root)
    } catch (error) {
      throw failed(error)
    }
    if (realRoot === null) return
    try {
      yield* walker(prefix, realRoot)
    } catch (error) {
      throw failed(error)
    }
  }

  /** The folders that can still match `prefix`, each with its entries that may be objects under it. */
  async function* listedFolders(prefix: string): AsyncGenerator<{ directory: string; relative: string; files: Dirent[] }> {
    const matches = (folder: string): boolean => folder.startsWith(prefix) || prefix.startsWith(folder)
    for await (const { directory, relative, entries } of folders(root, '', matches)) {
      const files = entries.filter((entry) => {
        const path = relative + entry.name
        return !isReservedName(entry.name) && (entry.isFile() || entry.isSymbolicLink()) && path.startsWith(prefix) && isListable(path)
      })
      yield { directory, relative, files }
    }
  }

  /** {@link walk} without the stat of each regular file: only a symbolic link needs one, to know where it leads. */
  async function* walkPaths(prefix: string, realRoot: string): AsyncGenerator<string> {
    for await (const { directory, relative, files } of listedFolders(prefix)) {
      const links = files.filter((entry) => entry.isSymbolicLink())
      const followed = new Set<Dirent>()
      for (let start = 0; start < links.length; start += STAT_BATCH) {
        const batch = links.slice(start, start + STAT_BATCH)
        const stats = await Promise.all(batch.map((entry) => statListed(join(directory, entry.name), entry, realRoot)))
        batch.forEach((entry, index) => stats[index] && followed.add(entry))
      }
      for (const entry of files) if (entry.isFile() || followed.has(entry)) yield relative + entry.name
    }
  }

  async function* walk(prefix: string, realRoot: string): AsyncGenerator<StorageEntry> {
    for await (const { directory, relative, files } of listedFolders(prefix)) {
      for (let start = 0; start < files.length; start += STAT_BATCH) {
        const batch = files.slice(start, start + STAT_BATCH)
        const stats = await Promise.all(batch.map((entry) => statListed(join(directory, entry.name), entry, realRoot)))
        for (const [index, entry] of batch.entries()) {
          const found = stats[index]
          if (found) yield entryOf(relative + entry.name, found)
        }
      }
    }
  }

  /**
   * Whether a temporary file is a leftover of a writer that died: its name records a pid of this host that is not
   * running, or (another host's, or of the old format without a pid) it has not changed for {@link LEFTOVER_AGE_MS}.
   */
  const isLeftover = async (name: string, file: string, now: number): Promise<boolean> => {
    const owner = tempOwner(name)
    if (owner !== undefined && owner.hostId === thisHostId()) return !isRunning(owner.pid)
    try {
      return now - (await lstat(file)).mtimeMs > LEFTOVER_AGE_MS
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  return {
    name: `fs:${root}`,
    capabilities: { atomicWrites: true, localDirectory: root },

    async read(path) {
      try {
        const handle = await openObject(path)
        if (handle === null) return null
        try {
          return await handle.readFile()
        } finally {
          await handle.close()
        }
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async readStream(path) {
      try {
        const handle = await openObject(path)
        // The stream closes the handle when it ends or is destroyed.
        return handle === null ? null : handle.createReadStream()
      } catch (error) {
        throw failure('read', path, error)
      }
    },

    async write(path, body) {
      let temp: string | undefined
      try {
        const target = join(root, ...checkPath(path))
        const directory = dirname(target)
        // Checked before creating folders, so none is ever made through a symlink out of the root…
        let realDirectory = await realInside(directory, path)
        if (realDirectory === null) {
          await mkdir(directory, { recursive: true })
          // …and again once they exist (the root too, on the first write), to write into the real location.
          realDirectory = await realInside(directory, path)
          if (realDirectory === null) throw new Error(`the folder ${directory} disappeared`)
        }
        // In the target folder, so the final rename never crosses file systems.
        // Named after this process and host, so that removeLeftovers() can tell whether its writer still runs.
        temp = join(realDirectory, tempName())
        const handle = await open(temp, 'wx')
        try {
          await writeBody(handle, body)
          await handle.sync()
        } catch (error) {
          await handle.close().catch(() => undefined)
          throw error
        }
        await handle.close()
        await rename(temp, join(realDirectory, basename(target)))
        temp = undefined
      } catch (error) {
        if (temp !== undefined) await rm(temp, { force: true }).catch(() => undefined)
        // A body is consumed once; release one we did not finish reading (an open file, a socket…).
        if (typeof body === 'object' && !(body instanceof Uint8Array) && !body.destroyed) body.destroy()
        throw failure('write', path, error)
      }
    },

    async exists(path) {
      return (await statEntry(path)) !== null
    },

    stat: statEntry,

    async delete(path) {
      try {
        const target = join(root, ...checkPath(path))
        const realDirectory = await realInside(dirname(target), path)
        if (realDirectory === null) return
        const file = join(realDirectory, basename(target))
        try {
          await unlink(file)
        } catch (error) {
          if (isMissing(error)) return
          // Unlinking a folder fails (EISDIR on Linux, EPERM on macOS): a folder is not an object.
          const code = errorCode(error)
          if ((code === 'EISDIR' || code === 'EPERM') && (await lstat(file)).isDirectory()) return
          throw error
        }
      } catch (error) {
        throw failure('delete', path, error)
      }
    },

    list(prefix = '') {
      return listing(prefix, walk)
    },

    listPaths(prefix = '') {
      return listing(prefix, walkPaths)
    },


    url(path) {
      return baseUrl + checkPath(path).map(encodeURIComponent).join('/')
    },

    async lock(lockOptions) {
      const settings = lockSettings(lockOptions)
      const fail = (action: string, cause: unknown): ConvoyError => failure(action, LOCK_NAME, cause)
      let directory: string
      try {
        await mkdir(root, { recursive: true })
        directory = await realpath(root)
      } catch (error) {
        throw fail('lock', error)
      }
      return acquireLock({ directory, file: join(directory, LOCK_NAME), shown: join(root, LOCK_NAME), fail }, settings)
    },

    async removeLeftovers() {
      const removed: string[] = []
      try {
        const realRoot = await realpathOrNull(root)
        if (realRoot === null) return removed
        const now = Date.now()
        for await (const { directory, relative, entries } of folders(root, '', () => true)) {
          const temps = entries.filter((entry) => entry.isFile() && entry.name.startsWith(TEMP_PREFIX))
          if (temps.length === 0) continue
          // The folder may have been swapped for a symbolic link since it was listed: remove only inside the root.
          const real = await realpathOrNull(directory)
          if (real === null || !isInside(real, realRoot)) continue
          for (const entry of temps) {
            const file = join(real, entry.name)
            if (!(await isLeftover(entry.name, file, now))) continue
            try {
              await unlink(file)
              removed.push(relative + entry.name)
            } catch (error) {
              // Renamed into place or removed by someone else meanwhile.
              if (!isMissing(error)) throw error
            }
          }
        }
      } catch (error) {
        throw failure('remove', 'leftovers', error)
      }
      return removed.sort()
    },
  }
}
