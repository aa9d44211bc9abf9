import { stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConvoyError } from '@convoy/errors'
import { MANIFEST_FILE, openManifest, openManifestFile, parseManifest, serializeManifest, type Manifest, type ManifestReader } from '@convoy/manifest'
import { isStorage } from '@convoy/storage'
import type { Storage } from '@convoy/storage'

/** Where the runtime reads its manifest from: a file path, a `file:` URL, a `Storage`, or a manifest object. */
export type ManifestInput = string | URL | Storage | Manifest

/** A resolved manifest input: how to (re)load it, how to name it in messages, and its natural storage. */
export interface ManifestSource {
  /** The manifest file, `<storage name>/convoy-manifest.json`, or `<manifest object>`. */
  readonly description: string
  /** Reads the manifest for lookups: its settings at once, each entry at its first lookup (`openManifest`). */
  load(): Promise<ManifestReader>
  /** Where request-time bundles go when no `storage` is given: the manifest's folder, or the Storage itself. */
  readonly storage: Storage | undefined
  /** The manifest's file on the local disk, when it is one or a local storage holds it (`watch` and live debug need it). */
  readonly file?: string
}

function isManifestObject(value: object): value is Manifest {
  return 'files' in value && 'version' in value
}

function configError(message: string): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: ${message}`)
}

/** A manifest file, or a folder holding `convoy-manifest.json`. */
async function manifestFile(path: string): Promise<string> {
  const absolute = resolve(path)
  const found = await stat(absolute).catch(() => undefined)
  return found?.isDirectory() === true ? join(absolute, MANIFEST_FILE) : absolute
}

/**
 * Resolves the `manifest` option of `createConvoy()`. A manifest object is validated (and copied) the way a
 * manifest file is, so a hand-built object fails early with the same clear errors.
 */
export async function resolveManifestSource(input: ManifestInput): Promise<ManifestSource> {
  if (typeof input === 'string' || input instanceof URL) {
    if (input instanceof URL && input.protocol !== 'file:') {
      throw configError(`manifest must be a file path, a file: URL, a Storage or a manifest object, not ${input.href}`)
    }
    const file = await manifestFile(input instanceof URL ? fileURLToPath(input) : input)
    return {
      description: file,
      file,
      load: () => openManifestFile(file),
      // Imported when needed, not with the runtime: an app that passes a Storage or a manifest object never loads it.
      storage: (await import('@convoy/storage-fs')).createFsStorage({ root: dirname(file) }),
    }
  }
  if (typeof input === 'object' && input !== null && isStorage(input)) {
    const description = `${input.name}/${MANIFEST_FILE}`
    // A storage on the local disk says where: its manifest can then be watched like a file.
    const directory = input.capabilities.localDirectory
    return {
      description,
      storage: input,
      ...(directory === undefined ? {} : { file: join(directory, MANIFEST_FILE) }),
      async load() {
        let bytes: Uint8Array | null
        try {
          bytes = await input.read(MANIFEST_FILE)
        } catch (error) {
          throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/core: cannot read the manifest ${description} (${(error as Error).message})`, {
            cause: error,
            file: description,
          })
        }
        if (bytes === null) throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/core: no manifest at ${description}`, { file: description })
        return openManifest(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), description)
      },
    }
  }
  if (typeof input === 'object' && input !== null && isManifestObject(input)) {
    const description = '<manifest object>'
    return { description, storage: undefined, load: () => Promise.resolve(openManifest(parseManifest(serializeManifest(input), description))) }
  }
  throw configError('manifest must be a file path, a file: URL, a Storage or a manifest object')
}
