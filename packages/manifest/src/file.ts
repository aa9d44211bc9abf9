import { open, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ConvoyError } from '@convoy/errors'
import { crypto } from './crypto.js'
import { parseManifest, serializeManifest } from './manifest.js'
import { openManifest, type ManifestReader } from './reader.js'
import type { Manifest } from './types.js'

/** Prefix of the temporary files {@link writeManifestFile} renames into place; a crash may leave one behind. */
export const TEMP_FILE_PREFIX = '.convoy-tmp-'

/**
 * Reads and validates a manifest file on a local disk. Throws `ERR_CONVOY_MANIFEST` when the file is missing
 * ("no manifest at …"), unreadable, or invalid (see {@link parseManifest}); the underlying error is the `cause`.
 *
 * @example
 * const manifest = await readManifestFile('public/static/convoy-manifest.json')
 */
export async function readManifestFile(path: string): Promise<Manifest> {
  return parseManifest(await readManifestText(path), path)
}

/**
 * Reads a manifest file for lookups (see `openManifest`): its settings and carpools are checked at once, each entry
 * at its first lookup. Throws `ERR_CONVOY_MANIFEST` as {@link readManifestFile} does.
 */
export async function openManifestFile(path: string): Promise<ManifestReader> {
  return openManifest(await readManifestText(path), path)
}

async function readManifestText(path: string): Promise<string> {
  try {
    return await readText(path)
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    const message = missing ? `no manifest at ${path}` : `${path}: cannot read the manifest (${(error as Error).message})`
    throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/manifest: ${message}`, { cause: error, file: path })
  }
}

/**
 * The file as UTF-8 text, in one read when its size holds still: `readFile` reads 512 KiB at a time, one round
 * trip to the thread pool each, which is most of the time a 60 MB manifest takes to read.
 */
async function readText(path: string): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    // One spare byte, so that the read which finds the end needs no bigger buffer.
    let buffer = Buffer.allocUnsafe(size + 1)
    let length = 0
    for (;;) {
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]) // it grew
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.toString('utf8', 0, length)
  } finally {
    await handle.close()
  }
}

/**
 * Writes a manifest file on a local disk atomically: the text goes to a temporary file in the same directory
 * (named `.convoy-tmp-…`), which is flushed to disk, renamed over `path`, and the directory is flushed. Readers
 * and crashes see either the old manifest or the new one, never a partial file. On failure the temporary file is
 * removed and `ERR_CONVOY_STORAGE` is thrown with the cause; the old manifest is untouched. The directory must
 * exist. Throws `ERR_CONVOY_MANIFEST` before touching the disk if `manifest` is invalid.
 *
 * @example
 * await writeManifestFile(join(outDir, MANIFEST_FILE), supersede(previous, next))
 */
export async function writeManifestFile(path: string, manifest: Manifest): Promise<void> {
  const text = serializeManifest(manifest)
  const directory = dirname(path)
  const temp = join(directory, `${TEMP_FILE_PREFIX}${crypto().randomBytes(8).toString('hex')}`)
  let step = 'create a temporary file for'
  try {
    const handle = await open(temp, 'wx')
    try {
      step = 'write'
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    step = 'rename the temporary file over'
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined)
    throw storageError(`cannot ${step} the manifest ${path}`, path, error)
  }
  // Without this a power cut could forget the rename itself. Windows cannot open a directory to flush it.
  if (process.platform !== 'win32') {
    try {
      const handle = await open(directory, 'r')
      try {
        await handle.sync()
      } finally {
        await handle.close()
      }
    } catch (error) {
      throw storageError(`the manifest ${path} was replaced, but flushing its directory failed`, path, error)
    }
  }
}

function storageError(problem: string, path: string, cause: unknown): ConvoyError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/manifest: ${problem} (${reason})`, { cause, file: path })
}
