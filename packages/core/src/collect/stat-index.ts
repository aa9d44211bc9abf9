import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Warning } from './asset.js'

/** Bumped whenever what an entry means changes: an index of another version is not used. */
const INDEX_VERSION = 1

/** Changes this recent are not trusted to show in a stat (see {@link StatIndexOptions.racyWindowMs}). */
export const DEFAULT_RACY_WINDOW_MS = 2000

/**
 * Where `collect` keeps its stat index, and how far it trusts it. The index maps each source file's stat (size,
 * modification and change times in nanoseconds, inode, device) to its content hash and to what the stages saw while
 * processing it, so the next run reuses an unchanged file's outputs without reading it. Any doubt falls back to
 * reading: another stat, another manifest in the storage, other options or tool versions, an unreadable index.
 */
export interface StatIndexOptions {
  /** The index file; written atomically after each run that publishes a manifest. */
  readonly file: string
  /**
   * A file whose last change is less than this long before the run started is read again on the next run, whatever
   * its stat says: a second change within the file system's timestamp granularity would leave the stat as it was.
   * Default 2000 ms (FAT and some network file systems keep times to 2 s).
   */
  readonly racyWindowMs?: number
}

/** What the index knows of one source file from the last run that published a manifest. */
export interface IndexedFile {
  readonly logicalPath: string
  /** The file's {@link FileStamp} key when that run read it. */
  readonly stamp: string
  /** Full content hash of its bytes (the manifest's `sourceHash`). */
  readonly hash: string
  /** Treated as binary although its name says text (a NUL byte in its first 8 KiB). */
  readonly binary?: true
  /**
   * The other logical paths the stages looked up while processing it, each with the served path it had at the end of
   * that run (`null`: not collected). The outputs are a function of the bytes, the options and these answers.
   */
  readonly lookups?: Readonly<Record<string, string | null>>
  /** Warnings the stages raised about it, reported again when it is reused. */
  readonly warnings?: readonly Warning[]
}

/** The index a run starts from: empty when there is none or it does not apply to this run. */
export interface LoadedStatIndex {
  readonly files: ReadonlyMap<string, IndexedFile>
  /** Why an index that exists was not usable, when that deserves a warning (it was damaged). */
  readonly problem?: string
}

interface StatIndexFile {
  readonly version: number
  /** Everything besides the bytes that decides outputs: options, stage and tool versions. */
  readonly signature: string
  /** The manifest the run published: an index only describes the storage state it left. */
  readonly manifestId: string
  /** By absolute source path. */
  readonly files: Readonly<Record<string, IndexedFile>>
}

/**
 * Reads the index when it was written for this signature and for the manifest now in the storage; anything else
 * (no index, another version, other options, a manifest another run published since) is an empty index.
 */
export async function readStatIndex(file: string, expected: { readonly signature: string; readonly manifestId: string | undefined }): Promise<LoadedStatIndex> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: new Map() }
    return { files: new Map(), problem: `the stat index ${file} cannot be read (${(error as Error).message}); every file is read and hashed` }
  }
  let parsed: StatIndexFile
  try {
    parsed = JSON.parse(text) as StatIndexFile
  } catch (error) {
    return { files: new Map(), problem: `the stat index ${file} is damaged (${(error as Error).message}); every file is read and hashed` }
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.version !== INDEX_VERSION || typeof parsed.files !== 'object' || parsed.files === null) return { files: new Map() }
  if (parsed.signature !== expected.signature || expected.manifestId === undefined || parsed.manifestId !== expected.manifestId) return { files: new Map() }
  return { files: new Map(Object.entries(parsed.files)) }
}

/** Writes the index atomically (a crash leaves the old one or the new one, whole). */
export async function writeStatIndex(file: string, index: { readonly signature: string; readonly manifestId: string; readonly files: ReadonlyMap<string, IndexedFile> }): Promise<void> {
  const content: StatIndexFile = { version: INDEX_VERSION, signature: index.signature, manifestId: index.manifestId, files: Object.fromEntries(index.files) }
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(temporary, JSON.stringify(content))
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/** Whether a change at `changedNs` is old enough, at a run that started at `startedNs`, to be seen in a later stat. */
export function isSettled(changedNs: bigint, startedNs: bigint, racyWindowMs: number): boolean {
  return changedNs < startedNs - BigInt(Math.round(racyWindowMs * 1e6))
}
