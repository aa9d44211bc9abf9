import { ConvoyError } from '@convoy/errors'
import { crypto } from './crypto.js'
import { MANIFEST_VERSION, type Manifest, type ManifestCarpool, type ManifestEntry, type ManifestHistoryEntry } from './types.js'
import { canonicalManifest, printManifest } from './validate.js'

/**
 * Reads manifest text strictly. Throws `ERR_CONVOY_MANIFEST` naming `source` (a path or URL) and what is wrong:
 * invalid JSON (with line and column when the JSON parser reports a position), an unknown `version`, a missing or
 * mistyped field, an unsafe path. Unknown fields are ignored.
 *
 * @example
 * const manifest = parseManifest(await readFile(file, 'utf8'), file)
 * manifest.files['css/base.css']?.served // 'css/base.25b23dfca187.cmin.css'
 */
export function parseManifest(text: string, source: string): Manifest {
  let value: unknown
  try {
    // A byte-order mark left by an editor is not worth failing a deploy over.
    value = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const position = /at position (\d+)/.exec(reason)?.[1]
    let location = source
    let line: number | undefined
    let column: number | undefined
    if (position !== undefined) {
      const before = text.slice(0, Number(position)).split('\n')
      line = before.length
      column = (before.at(-1)?.length ?? 0) + 1
      location = `${source}:${line}:${column}`
    }
    throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/manifest: ${location}: invalid JSON (${reason})`, {
      cause: error,
      file: source,
      ...(line === undefined ? {} : { line }),
      ...(column === undefined ? {} : { column }),
    })
  }
  // The parsed value is ours alone: parts already in canonical form are kept rather than copied.
  return canonicalManifest(value, source, { reuse: true, mutable: true })
}

/**
 * The manifest as text, deterministic: fields in the documented order, `files` and `carpools` sorted by key
 * (UTF-16 code units, never locale-dependent), 2-space indent, trailing newline. The same manifest gives
 * byte-identical text on every machine, whatever order its keys were inserted in. Throws `ERR_CONVOY_MANIFEST`
 * when the value is not a valid manifest, so nothing a reader would reject is ever written.
 *
 * @example
 * await storage.put(MANIFEST_FILE, serializeManifest(manifest))
 */
export function serializeManifest(manifest: Manifest): string {
  // Only printed, never handed out: what is already canonical needs no copy.
  return `${printManifest(canonicalManifest(manifest, 'manifest to serialize', { reuse: true }))}\n`
}

/** What {@link createManifest} builds a manifest from. */
export interface CreateManifestOptions {
  /** Logical path → entry. Any insertion order: keys are sorted. */
  readonly files: Readonly<Record<string, ManifestEntry>>
  /** Carpool name → bundle built by `collect`. Default `{}`. */
  readonly carpools?: Readonly<Record<string, ManifestCarpool>>
  /** The base URL the outputs were collected for, e.g. `/static/`. */
  readonly baseUrl: string
  /** The fingerprint settings used, e.g. `{ algorithm: 'md5', length: 12 }`. */
  readonly hash: { readonly algorithm: string; readonly length: number }
  /** Earlier versions, newest first. Default `[]`; usually set by {@link supersede} instead. */
  readonly history?: readonly ManifestHistoryEntry[]
}

/**
 * A new manifest version. Its `id` is a content hash (sha256, 16 hex characters) of `files`, `carpools`, `baseUrl`
 * and `hash`, so collecting an unchanged tree gives the same id. Throws `ERR_CONVOY_MANIFEST` on an invalid entry.
 *
 * @example
 * const next = createManifest({ files, baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } })
 * const manifest = supersede(previous, next)
 */
export function createManifest(options: CreateManifestOptions): Manifest {
  const { files, carpools = {}, baseUrl, hash, history = [] } = options
  // Validate first with a stand-in id: the real one is computed over the canonical (sorted) content.
  const manifest = canonicalManifest({ version: MANIFEST_VERSION, id: '-', baseUrl, hash, files, carpools, history }, 'createManifest()')
  const content = printManifest({ baseUrl: manifest.baseUrl, hash: manifest.hash, files: manifest.files, carpools: manifest.carpools })
  return { ...manifest, id: crypto().createHash('sha256').update(content).digest('hex').slice(0, 16) }
}

/**
 * The entry of a logical path, or `undefined`. Only the manifest's own keys count (`constructor` is not a file).
 *
 * @example
 * lookup(manifest, 'css/base.css')?.integrity // 'sha384-…'
 */
export function lookup(manifest: Manifest, logicalPath: string): ManifestEntry | undefined {
  return Object.hasOwn(manifest.files, logicalPath) ? manifest.files[logicalPath] : undefined
}
