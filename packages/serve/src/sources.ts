import { open, readFile, readdir, realpath, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { parseManifest, readManifestFile, type Manifest } from '@convoy/manifest'
import type { Storage } from '@convoy/storage'

/** The part of a `Storage` that serving needs: enumerate, size and read objects. */
export type ServeStorage = Pick<Storage, 'name' | 'read' | 'readStream' | 'stat' | 'list'>

/** A file found at index time. */
export interface FoundFile {
  /** Storage path: relative, `/`-separated. */
  readonly path: string
  readonly size: number
  /** Whole milliseconds, when known. */
  readonly mtimeMs: number | undefined
  /** The real path on disk, resolved and checked once at index time (directories only). */
  readonly absolute: string | undefined
}

/** What one index build sees of a source: the root is resolved once per build, so a swapped symlink is seen whole. */
export interface SourceListing {
  /**
   * The paths of every servable file (no manifest: serve what is there), without a `stat` per file: a directory is
   * walked folder by folder, a storage listed. `find` then uses what this saw.
   */
  enumerate(): Promise<Iterable<string>>
  /** Those of `paths` that exist as servable files, with their size and time (a request asks for them). */
  find(paths: Iterable<string>): Promise<Map<string, FoundFile>>
  /** The text of the manifest at `path` (a filesystem path for directories, a storage path for storages), or `null`. */
  readManifest(path: string, explicit: boolean): Promise<Manifest | null>
}

/** Where files come from: a directory on disk or a `Storage`. */
export interface FileSource {
  readonly name: string
  /** Starts an index build. */
  begin(): Promise<SourceListing>
  /** The whole file, or `null` when it is gone. */
  read(file: FoundFile): Promise<Uint8Array | null>
  /**
   * A stream of the bytes `start`..`end` (inclusive) of the file, `null` when it is gone, or `'stale'` when it no
   * longer has the size and time it was indexed with (its precomputed headers would lie).
   */
  stream(file: FoundFile, start: number, end: number): Promise<Readable | null | 'stale'>
}

/**
 * Servable paths, as one linear regex (no segment holds the "/" that separates them, so it never backtracks): not
 * starting with a drive letter; segments that are not empty and do not start with a dot (so no `.`, `..` or
 * dotfile), with no "/", backslash or NUL.
 */
const SERVABLE_PATH = /^(?![A-Za-z]:)[^/\\\0.][^/\\\0]*(?:\/[^/\\\0.][^/\\\0]*)*$/

/**
 * True for a path we are willing to serve: relative, `/`-separated, no empty, `.` or `..` segment, no segment
 * starting with a dot (dotfiles are never served), no backslash, NUL or drive letter. Every index key passes this,
 * whatever a manifest or a storage listing says.
 */
export function isServablePath(path: string): boolean {
  return SERVABLE_PATH.test(path)
}

/** Runs `task` over `items` with at most `limit` at a time. */
export async function eachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T
      await task(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** Whether the real `path` is below the real directory `rootReal` (a sibling like `public-old` of `public` is not). */
export function isInside(rootReal: string, path: string): boolean {
  return path.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)
}

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined
}

/** What a walk of a directory found: path → real folder of the file, and path → real path of a linked file. */
interface Walk {
  readonly folders: Map<string, string>
  readonly links: Map<string, string>
}

/**
 * A directory on disk. The root is resolved to its real path once; a file is servable only when its real path is
 * inside that real root (so symlinks pointing out of the root, and sibling folders like `public-old`, never are).
 */
export function createDirectorySource(root: string): FileSource {
  const name = resolve(root)

  const realRoot = async (): Promise<string> => {
    try {
      const real = await realpath(name)
      if (!(await stat(real)).isDirectory()) {
        throw new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/serve: root ${name} is not a directory`, { file: name })
      }
      return real
    } catch (error) {
      if (error instanceof ConvoyError) throw error
      throw new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/serve: cannot read root ${name} (${errnoCode(error) ?? String(error)})`, {
        cause: error,
        file: name,
      })
    }
  }

  const found = (path: string, absolute: string, size: number, mtimeMs: number): FoundFile => ({
    path,
    size,
    mtimeMs: Math.floor(mtimeMs),
    absolute,
  })

  const failed = (error: unknown): ConvoyError =>
    error instanceof ConvoyError
      ? error
      : new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/serve: cannot index ${name} (${error instanceof Error ? error.message : String(error)})`, {
          cause: error,
          file: name,
        })

  /**
   * Every servable file under the real root. One `readdir` per folder, with the entry types, and no `stat` per file;
   * symlinks are resolved (and must stay inside the root) here, once. A file is kept as the real folder holding it,
   * shared by the folder's files, so a walk of 100,000 files holds 100,000 names, not 100,000 absolute paths; a
   * file reached through a symlink to a file, by its real path.
   */
  const walk = async (real: string): Promise<Walk> => {
    const folders = new Map<string, string>()
    const links = new Map<string, string>()
    const visited = new Set<string>([real])
    const visit = async (dirReal: string, prefix: string): Promise<void> => {
      const entries = await readdir(dirReal, { withFileTypes: true })
      const inner: Promise<void>[] = []
      for (const entry of entries) {
        const path = prefix + entry.name
        if (!isServablePath(path)) continue
        if (entry.isFile()) folders.set(path, dirReal)
        else if (entry.isDirectory()) inner.push(enter(join(dirReal, entry.name), path))
        else if (entry.isSymbolicLink()) inner.push(follow(join(dirReal, entry.name), path))
        // Sockets, FIFOs, devices: never (opening a FIFO would hang a request).
      }
      await Promise.all(inner)
    }
    const enter = async (absolute: string, path: string): Promise<void> => {
      if (visited.has(absolute)) return
      visited.add(absolute)
      await visit(absolute, `${path}/`)
    }
    const follow = async (link: string, path: string): Promise<void> => {
      let absolute: string
      try {
        absolute = await realpath(link)
      } catch {
        return // dangling link
      }
      if (!isInside(real, absolute)) return
      const info = await stat(absolute)
      if (info.isDirectory()) await enter(absolute, path)
      else if (info.isFile()) links.set(path, absolute)
    }
    await visit(real, '')
    return { folders, links }
  }

  /** A file's stat, as a FoundFile, or `undefined` when it is not (or no longer) a regular file. */
  const statFound = async (path: string, absolute: string): Promise<FoundFile | undefined> => {
    let info
    try {
      info = await stat(absolute)
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined // gone since
      throw error
    }
    return info.isFile() ? found(path, absolute, info.size, info.mtimeMs) : undefined
  }

  const findAll = async (real: string, walked: Walk | undefined, paths: Iterable<string>): Promise<Map<string, FoundFile>> => {
    const files = new Map<string, FoundFile>()
    await eachLimit([...paths].filter(isServablePath), 32, async (path) => {
      // Found by the walk, which resolved and checked its real folder: only its size and time are missing.
      const folder = walked?.folders.get(path)
      let absolute = folder === undefined ? walked?.links.get(path) : join(folder, path.slice(path.lastIndexOf('/') + 1))
      if (absolute === undefined) {
        try {
          absolute = await realpath(join(real, ...path.split('/')))
        } catch {
          return // named by the manifest but not there (yet, or any more)
        }
        if (!isInside(real, absolute)) return
      }
      const file = await statFound(path, absolute)
      if (file !== undefined) files.set(path, file)
    })
    return files
  }

  const readManifest = async (real: string, path: string, explicit: boolean): Promise<Manifest | null> => {
    const file = explicit ? resolve(path) : join(real, path)
    try {
      return await readManifestFile(file)
    } catch (error) {
      // Only an implicit manifest may be absent: the root is then served without one.
      if (!explicit && errnoCode((error as Error).cause) === 'ENOENT') return null
      throw error
    }
  }

  return {
    name,

    async begin() {
      const real = await realRoot()
      let walked: Walk | undefined
      return {
        async enumerate() {
          try {
            walked = await walk(real)
          } catch (error) {
            throw failed(error)
          }
          return [...walked.folders.keys(), ...walked.links.keys()]
        },
        find: (paths) => findAll(real, walked, paths).catch((error: unknown) => Promise.reject(failed(error))),
        readManifest: (path, explicit) => readManifest(real, path, explicit),
      }
    },

    async read(file) {
      try {
        return await readFile(file.absolute ?? '')
      } catch {
        return null
      }
    },

    async stream(file, start, end) {
      // Opened before any header is written, so a file deleted since indexing can still fall through; the fstat on
      // the open descriptor catches a file rewritten in place, whose indexed Content-Length would be wrong.
      let handle
      try {
        handle = await open(file.absolute ?? '', 'r')
      } catch {
        return null
      }
      try {
        const info = await handle.stat()
        if (info.size !== file.size || Math.floor(info.mtimeMs) !== file.mtimeMs) {
          await handle.close()
          return 'stale'
        }
      } catch (error) {
        await handle.close()
        throw error
      }
      return handle.createReadStream({ start, end })
    },
  }
}

/** A `Storage`: its listing is the index when there is no manifest, and every path it returns is checked again. */
export function createStorageSource(storage: ServeStorage): FileSource {
  const found = (path: string, size: number, lastModified: Date | undefined): FoundFile => ({
    path,
    size,
    mtimeMs: lastModified === undefined ? undefined : Math.floor(lastModified.getTime()),
    absolute: undefined,
  })
  const failed = (what: string, error: unknown): ConvoyError =>
    new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/serve: ${storage.name}: ${what} failed (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    })

  /** A storage's listing of one build: what `enumerate` saw, so `find` needs no `stat` for those. */
  const createListing = (): SourceListing => {
    let listed: Map<string, FoundFile> | undefined
    return {
    async enumerate() {
      const files = new Map<string, FoundFile>()
      try {
        for await (const entry of storage.list()) {
          if (isServablePath(entry.path)) files.set(entry.path, found(entry.path, entry.size, entry.lastModified))
        }
      } catch (error) {
        throw failed('listing', error)
      }
      listed = files
      return files.keys()
    },

    async find(paths) {
      const files = new Map<string, FoundFile>()
      await eachLimit([...paths].filter(isServablePath), 16, async (path) => {
        const known = listed?.get(path)
        if (known !== undefined) {
          files.set(path, known)
          return
        }
        let entry
        try {
          entry = await storage.stat(path)
        } catch (error) {
          throw failed(`stat of ${path}`, error)
        }
        if (entry !== null) files.set(path, found(path, entry.size, entry.lastModified))
      })
      return files
    },

    async readManifest(path, explicit) {
      let bytes
      try {
        bytes = await storage.read(path)
      } catch (error) {
        throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/serve: cannot read manifest ${storage.name}/${path}`, { cause: error, file: path })
      }
      if (bytes === null) {
        if (!explicit) return null
        throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/serve: manifest ${path} not found in ${storage.name}`, { file: path })
      }
      return parseManifest(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), `${storage.name}/${path}`)
    },
    }
  }

  return {
    name: storage.name,

    begin: () => Promise.resolve(createListing()),

    async read(file) {
      return storage.read(file.path)
    },

    async stream(file, start, end) {
      const stream = await storage.readStream(file.path)
      if (stream === null) return null
      return Readable.from(slice(stream, start, end, file.size))
    },
  }
}

/**
 * The bytes `start`..`end` of a stream of a `size`-byte object. Storages cannot read ranges, so the rest is read and
 * dropped. Throws when the object turns out to have another size: the response would break its Content-Length.
 */
async function* slice(source: Readable, start: number, end: number, size: number): AsyncGenerator<Buffer> {
  let offset = 0
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const from = Math.max(start - offset, 0)
    const to = Math.min(end + 1 - offset, bytes.length)
    offset += bytes.length
    if (from < to) yield bytes.subarray(from, to)
  }
  if (offset !== size) throw new Error(`@convoy/serve: object is ${offset} bytes, indexed as ${size}: call reload()`)
}
