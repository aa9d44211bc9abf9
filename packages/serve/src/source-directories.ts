import { constants } from 'node:fs'
import { open, realpath, stat, type FileHandle } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ConvoyError } from '@convoy/errors'
import { isIgnoredByDefault, isUnsafeName } from '@convoy/storage'
import { errnoCode, isInside, isServablePath } from './sources.js'

/** A source file opened for one request, with the validators of what is on disk right now. */
export interface OpenedSourceFile {
  /** The logical path (the request's path, relative to its source). */
  readonly path: string
  /** The real path that was opened. */
  readonly real: string
  readonly handle: FileHandle
  readonly size: number
  readonly mtimeMs: number
  /** Strong validator from the current stat: size, modification and change times in nanoseconds, inode. */
  readonly etag: string
  readonly lastModified: string
}

/** The source directories of `convoy collect`, looked up afresh on every request (development). */
export interface SourceDirectories {
  /** The directories, absolute, in order of precedence. */
  readonly directories: readonly string[]
  /** Rejects with `ERR_CONVOY_SOURCE` naming the first directory that does not exist or is not a directory. */
  check(): Promise<void>
  /**
   * Opens the file a logical path names: in the first source that has it as a regular file whose real path is inside
   * one of the sources, as `collect` would pick it. `null` when none has it, or when `collect` would not collect it.
   */
  open(path: string): Promise<OpenedSourceFile | null>
}

/** Whether `collect` could have collected a file at this logical path (before looking at the disk). */
export function isCollectablePath(path: string): boolean {
  return isServablePath(path) && !isUnsafeName(path) && !isIgnoredByDefault(path.slice(path.lastIndexOf('/') + 1))
}

/** "Not there" in every form: missing, a file where a folder was expected, a link loop, a name too long. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG'])

// Never block on a FIFO that replaced a file (O_NONBLOCK), never follow a link swapped in after realpath() checked
// the path (O_NOFOLLOW). Both are 0 where the platform lacks them.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0)

export function createSourceDirectories(sources: readonly string[]): SourceDirectories {
  const directories = sources.map((source) => resolve(source))

  const unreadable = (file: string, error: unknown): ConvoyError =>
    new ConvoyError('ERR_CONVOY_READ', `@convoy/serve: cannot read ${file} (${errnoCode(error) ?? String(error)})`, { cause: error, file })

  return {
    directories,

    async check() {
      for (const directory of directories) {
        let info
        try {
          info = await stat(directory)
        } catch (error) {
          const code = errnoCode(error)
          const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`
          throw new ConvoyError('ERR_CONVOY_SOURCE', `@convoy/serve: source directory ${directory} ${problem}`, { cause: error, file: directory })
        }
        if (!info.isDirectory()) {
          throw new ConvoyError('ERR_CONVOY_SOURCE', `@convoy/serve: source ${directory} is not a directory`, { file: directory })
        }
      }
    },

    async open(path) {
      if (!isCollectablePath(path)) return null
      const segments = path.split('/')
      // Resolved per request: a source that is a link may point elsewhere since the last one, or be gone for now.
      const roots = await Promise.all(directories.map((directory) => realpath(directory).catch(() => null)))
      const insideASource = (real: string): boolean => roots.some((root) => root !== null && isInside(root, real))
      for (const root of roots) {
        if (root === null) continue
        const candidate = join(root, ...segments)
        let real: string
        try {
          real = await realpath(candidate)
        } catch (error) {
          if (ABSENT.has(errnoCode(error) ?? '')) continue
          throw unreadable(candidate, error)
        }
        // `collect` follows a link only while its real path stays inside a source; elsewhere, the next source may have it.
        if (!insideASource(real)) continue
        let handle: FileHandle
        try {
          handle = await open(real, OPEN_FLAGS)
        } catch (error) {
          if (ABSENT.has(errnoCode(error) ?? '')) continue
          throw unreadable(real, error)
        }
        let info
        try {
          info = await handle.stat({ bigint: true })
        } catch (error) {
          await handle.close()
          throw unreadable(real, error)
        }
        if (!info.isFile()) {
          // A folder, FIFO, socket or device: not a file `collect` would collect under this name.
          await handle.close()
          continue
        }
        const size = Number(info.size)
        const mtimeMs = Number(info.mtimeNs / 1_000_000n)
        return {
          path,
          real,
          handle,
          size,
          mtimeMs,
          // The inode tells a file saved by rename from the one it replaced even within one tick of the file times.
          etag: `"${size.toString(16)}-${info.mtimeNs.toString(16)}-${info.ctimeNs.toString(16)}-${info.ino.toString(16)}"`,
          lastModified: new Date(mtimeMs).toUTCString(),
        }
      }
      return null
    },
  }
}
