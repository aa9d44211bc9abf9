import type { BigIntStats, Dirent, Stats } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import picomatch from 'picomatch'
import pLimit from 'p-limit'
import { ConvoyError } from '@convoy/errors'
import { isIgnoredByDefault, isUnsafeName } from '@convoy/storage'

/** One file found in a source directory. */
export interface SourceFile {
  /** Path relative to its source directory, `/`-separated: the name the app asks for. */
  readonly logicalPath: string
  /** Absolute path on disk. */
  readonly absolutePath: string
  /** The source directory it came from. */
  readonly source: string
  readonly size: number
  /** Its stat when the walk saw it, for the stat index. */
  readonly stamp: FileStamp
}

/**
 * What the stat index compares to decide that a file is unchanged without reading it: size, modification and change
 * times in nanoseconds, inode and device, all equal. `changedNs` (the later of the two times) tells how recent the
 * last change was: too recent to trust (see the stat index).
 */
export interface FileStamp {
  readonly key: string
  readonly changedNs: bigint
}

export function stampOf(info: BigIntStats): FileStamp {
  return { key: `${info.size}:${info.mtimeNs}:${info.ctimeNs}:${info.ino}:${info.dev}`, changedNs: info.ctimeNs > info.mtimeNs ? info.ctimeNs : info.mtimeNs }
}

/** A logical path found in more than one source: the first one wins. */
export interface ShadowedFile {
  readonly logicalPath: string
  readonly used: string
  readonly ignored: string
}

/** Why an entry of a source was left out (besides dotfiles and `ignore` globs, which are wanted). */
export type SkipReason = 'symlink-outside' | 'symlink-loop' | 'symlink-alias' | 'symlink-dangling' | 'symlink-output' | 'unsafe-name' | 'special-file'

/** An entry of a source that was not collected, and why: every one is reported, never dropped silently. */
export interface SkippedEntry {
  readonly reason: SkipReason
  /** The path as found in the source (the link, for symbolic links). */
  readonly path: string
  /** What it is, in words: `-> /etc (outside every source)`. */
  readonly detail: string
}

/**
 * Which symbolic links the walk follows. `'inside'` (the default): only links whose real path stays inside one of the
 * sources. `'outside'`: any link (a vendored folder linked from elsewhere); whatever it points at is published, so
 * link only what is meant to be public.
 */
export type FollowSymlinks = 'inside' | 'outside'

export interface FindSourceFilesOptions {
  /** Absolute source directories, in order of precedence. */
  readonly sources: readonly string[]
  /** Extra globs matched against logical paths. */
  readonly ignore?: readonly string[]
  /** Default `'inside'`. */
  readonly followSymlinks?: FollowSymlinks
  /** Real paths never entered (the output directory), even through a link. */
  readonly exclude?: readonly string[]
}

/** How many entries of one folder are stat'ed at once. */
const STAT_CONCURRENCY = 32

/**
 * Walks the sources and returns every collectable file, sorted by logical path, the files shadowed by an earlier
 * source, and every entry that was left out with its reason.
 *
 * Each real directory is walked once per source (identity by device and inode), so links that loop or alias a folder
 * cost nothing and are reported. Real folders are walked before linked ones, so a folder is always found under its
 * own name rather than through a link to it, and the result is the same on every run.
 */
export async function findSourceFiles(options: FindSourceFilesOptions): Promise<{ files: SourceFile[]; shadowed: ShadowedFile[]; skipped: SkippedEntry[] }> {
  // Editor leftovers and OS droppings (`isIgnoredByDefault`, shared with serve's development mode), then the config's globs.
  const ignoredByConfig = options.ignore === undefined || options.ignore.length === 0 ? () => false : picomatch([...options.ignore], { dot: true })
  const ignored = (path: string): boolean => isIgnoredByDefault(path.slice(path.lastIndexOf('/') + 1)) || ignoredByConfig(path)
  const byLogicalPath = new Map<string, SourceFile>()
  const shadowed: ShadowedFile[] = []
  const skipped: SkippedEntry[] = []
  for (const source of options.sources) await assertDirectory(source)
  const realSources = await Promise.all(options.sources.map((source) => realpath(source)))
  const exclude = options.exclude ?? []
  for (const [index, source] of options.sources.entries()) {
    const walker = new SourceWalker(source, realSources, exclude, options.followSymlinks ?? 'inside', skipped)
    for (const file of await walker.walk(realSources[index]!)) {
      if (ignored(file.logicalPath)) continue
      const first = byLogicalPath.get(file.logicalPath)
      if (first === undefined) byLogicalPath.set(file.logicalPath, file)
      else shadowed.push({ logicalPath: file.logicalPath, used: first.absolutePath, ignored: file.absolutePath })
    }
  }
  const files = [...byLogicalPath.values()].sort((a, b) => compare(a.logicalPath, b.logicalPath))
  return { files, shadowed, skipped }
}

/** Whether `child` is `parent` or below it; both must be real, absolute paths. */
export function isInside(child: string, parent: string): boolean {
  const path = relative(parent, child)
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path))
}

/**
 * The real path of `path`, also when it does not exist yet (an output directory before the first run): the real path
 * of its nearest existing ancestor, with the rest appended.
 */
export async function realPathOfFutureDirectory(path: string): Promise<string> {
  const absolute = resolve(path)
  try {
    return await realpath(absolute)
  } catch {
    const parent = dirname(absolute)
    if (parent === absolute) return absolute
    return join(await realPathOfFutureDirectory(parent), relative(parent, absolute))
  }
}

interface PendingLink {
  readonly linkPath: string
  readonly logicalDirectory: string
}

class SourceWalker {
  /** `dev:ino` of every directory walked, with where it was walked. */
  private readonly visited = new Map<string, string>()
  private readonly limit = pLimit(STAT_CONCURRENCY)
  private readonly files: SourceFile[] = []

  constructor(
    private readonly source: string,
    private readonly realSources: readonly string[],
    private readonly exclude: readonly string[],
    private readonly followSymlinks: FollowSymlinks,
    private readonly skipped: SkippedEntry[],
  ) {}

  async walk(realSource: string): Promise<SourceFile[]> {
    const links: PendingLink[] = []
    await this.walkDirectory(this.source, '', await stat(realSource), links)
    // Linked folders last: each may reveal more links, handled in the same order on every run.
    for (let next = links.shift(); next !== undefined; next = links.shift()) await this.followLink(next, links)
    return this.files
  }

  private async walkDirectory(directory: string, logicalDirectory: string, info: Stats | BigIntStats, links: PendingLink[]): Promise<void> {
    this.visited.set(identity(info), directory)
    let entries: Dirent[]
    try {
      entries = await readdir(directory, { withFileTypes: true })
    } catch (error) {
      throw new ConvoyError('ERR_CONVOY_READ', `@convoy/core: cannot read directory ${directory}: ${(error as Error).message}`, { file: directory, cause: error })
    }
    entries.sort((a, b) => compare(a.name, b.name))
    const subdirectories: { path: string; logical: string; info: Stats | BigIntStats }[] = []
    await Promise.all(
      entries.map((entry) =>
        this.limit(async () => {
          if (entry.name.startsWith('.')) return
          const path = join(directory, entry.name)
          const logical = logicalDirectory === '' ? entry.name : `${logicalDirectory}/${entry.name}`
          if (isUnsafeName(entry.name)) {
            this.skip('unsafe-name', path, 'its name has a backslash, a control character or bytes that are not UTF-8, so it cannot be served safely everywhere')
            return
          }
          if (entry.isSymbolicLink()) {
            links.push({ linkPath: path, logicalDirectory })
            return
          }
          if (entry.isDirectory()) {
            subdirectories.push({ path, logical, info: await stat(path) })
            return
          }
          if (!entry.isFile()) {
            this.skip('special-file', path, 'it is not a regular file (a socket, FIFO or device)')
            return
          }
          const info = await stat(path, { bigint: true })
          this.files.push({ logicalPath: logical, absolutePath: path, source: this.source, size: Number(info.size), stamp: stampOf(info) })
        }),
      ),
    )
    subdirectories.sort((a, b) => compare(a.path, b.path))
    for (const subdirectory of subdirectories) {
      if (this.visited.has(identity(subdirectory.info))) continue // a bind mount of a folder already walked
      await this.walkDirectory(subdirectory.path, subdirectory.logical, subdirectory.info, links)
    }
  }

  private async followLink({ linkPath, logicalDirectory }: PendingLink, links: PendingLink[]): Promise<void> {
    let target: string
    let info: BigIntStats
    try {
      target = await realpath(linkPath)
      info = await stat(target, { bigint: true })
    } catch {
      this.skip('symlink-dangling', linkPath, 'it is a symbolic link to nothing')
      return
    }
    if (this.exclude.some((excluded) => isInside(target, excluded))) {
      this.skip('symlink-output', linkPath, `-> ${target} is inside the output directory`)
      return
    }
    if (this.followSymlinks === 'inside' && !this.realSources.some((source) => isInside(target, source))) {
      this.skip('symlink-outside', linkPath, `-> ${target} is outside every source directory (followSymlinks: 'outside' follows it)`)
      return
    }
    const name = linkPath.slice(linkPath.lastIndexOf(sep) + 1)
    const logical = logicalDirectory === '' ? name : `${logicalDirectory}/${name}`
    if (info.isFile()) {
      this.files.push({ logicalPath: logical, absolutePath: linkPath, source: this.source, size: Number(info.size), stamp: stampOf(info) })
      return
    }
    if (!info.isDirectory()) {
      this.skip('special-file', linkPath, `-> ${target} is not a regular file (a socket, FIFO or device)`)
      return
    }
    const walkedAt = this.visited.get(identity(info))
    if (walkedAt !== undefined) {
      const loop = isInside(await realpath(dirname(linkPath)), target)
      this.skip(loop ? 'symlink-loop' : 'symlink-alias', linkPath, loop ? `-> ${target} is a folder above it (a loop)` : `-> ${target} is already collected as ${walkedAt}`)
      return
    }
    await this.walkDirectory(linkPath, logical, info, links)
  }

  private skip(reason: SkipReason, path: string, detail: string): void {
    this.skipped.push({ reason, path, detail })
  }
}

function identity(info: Stats | BigIntStats): string {
  return `${info.dev}:${info.ino}`
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
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
