import type { Dirent } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import picomatch from 'picomatch'
import { ConvoyError } from '@convoy/errors'

/** One file found in a source directory. */
export interface SourceFile {
  /** Path relative to its source directory, `/`-separated: the name the app asks for. */
  readonly logicalPath: string
  /** Absolute path on disk. */
  readonly absolutePath: string
  /** The source directory it came from. */
  readonly source: string
  readonly size: number
}

/** A logical path found in more than one source: the first one wins. */
export interface ShadowedFile {
  readonly logicalPath: string
  readonly used: string
  readonly ignored: string
}

/**
 * Files nobody means to publish: editor leftovers and OS droppings. Dotfiles (any path segment starting with `.`)
 * are ignored too, in code, so `.git/`, `.DS_Store` and `.env` never leak.
 */
export const DEFAULT_IGNORE = ['**/*~', '**/*.swp', '**/*.swo', '**/*.swx', '**/#*#', '**/Thumbs.db', '**/desktop.ini'] as const

export interface FindSourceFilesOptions {
  /** Absolute source directories, in order of precedence. */
  readonly sources: readonly string[]
  /** Extra globs matched against logical paths. */
  readonly ignore?: readonly string[]
}

/**
 * Walks the sources and returns every collectable file, sorted by logical path, plus the files shadowed by an
 * earlier source. Symlinked files and folders are followed (a folder only once, so loops end).
 */
export async function findSourceFiles(options: FindSourceFilesOptions): Promise<{ files: SourceFile[]; shadowed: ShadowedFile[] }> {
  const ignored = picomatch([...DEFAULT_IGNORE, ...(options.ignore ?? [])], { dot: true })
  const byLogicalPath = new Map<string, SourceFile>()
  const shadowed: ShadowedFile[] = []
  for (const source of options.sources) {
    await assertDirectory(source)
    for (const file of await walk(source, source, new Set([await realpath(source)]))) {
      if (ignored(file.logicalPath)) continue
      const first = byLogicalPath.get(file.logicalPath)
      if (first === undefined) byLogicalPath.set(file.logicalPath, file)
      else shadowed.push({ logicalPath: file.logicalPath, used: first.absolutePath, ignored: file.absolutePath })
    }
  }
  const files = [...byLogicalPath.values()].sort((a, b) => (a.logicalPath < b.logicalPath ? -1 : a.logicalPath > b.logicalPath ? 1 : 0))
  return { files, shadowed }
}

async function assertDirectory(source: string): Promise<void> {
  let info
  try {
    info = await stat(source)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const problem = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`
    throw new ConvoyError('ERR_CONVOY_SOURCE', `@convoy/core: source directory ${source} ${problem}`, { file: source, cause: error })
  }
  if (!info.isDirectory()) {
    throw new ConvoyError('ERR_CONVOY_SOURCE', `@convoy/core: source ${source} is not a directory`, { file: source })
  }
}

/** `ancestors` holds the real paths of the folders above, so a symlink back up the tree ends the walk there. */
async function walk(source: string, directory: string, ancestors: ReadonlySet<string>): Promise<SourceFile[]> {
  let entries: Dirent[]
  try {
    entries = await readdir(directory, { withFileTypes: true })
  } catch (error) {
    throw new ConvoyError('ERR_CONVOY_READ', `@convoy/core: cannot read directory ${directory}: ${(error as Error).message}`, { file: directory, cause: error })
  }
  const nested = await Promise.all(
    entries.map(async (entry): Promise<SourceFile[]> => {
      if (entry.name.startsWith('.')) return []
      const absolutePath = join(directory, entry.name)
      let isDirectory = entry.isDirectory()
      let isFile = entry.isFile()
      let size = 0
      if (entry.isSymbolicLink() || isFile) {
        const info = await stat(absolutePath).catch(() => undefined)
        if (info === undefined) return [] // a dangling symlink is not a file to publish
        isDirectory = info.isDirectory()
        isFile = info.isFile()
        size = info.size
      }
      if (isDirectory) {
        const real = await realpath(absolutePath)
        if (ancestors.has(real)) return []
        return walk(source, absolutePath, new Set([...ancestors, real]))
      }
      if (!isFile) return [] // sockets, FIFOs, devices
      const logicalPath = relative(source, absolutePath).split(sep).join('/')
      return [{ logicalPath, absolutePath, source, size }]
    }),
  )
  return nested.flat()
}
