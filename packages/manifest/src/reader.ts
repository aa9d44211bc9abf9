// A manifest for lookups, without parsing all of it. A web process asks a 100,000-entry manifest (60 MB) for the few
// hundred paths its pages name; `JSON.parse` of the whole text alone takes longer than the process may spend
// starting. Manifest text as `serializeManifest` writes it has a fixed layout (printManifest, validate.ts): every
// entry of `files` starts a line with four spaces and a quote and ends with a line of four spaces and a `}`; no string
// holds a raw newline. So one scan of the text finds where each entry is, and an entry is parsed and checked when it
// is first looked up. Everything but `files` (a few small fields, the carpools, the history) is parsed and checked at
// once. Text of any other layout, and any failure on the way, goes through `parseManifest`: an invalid manifest
// fails with exactly the error it always did.
import { lookup, parseManifest } from './manifest.js'
import type { Manifest, ManifestCarpool, ManifestEntry } from './types.js'
import { canonicalManifest } from './validate.js'

/** What the runtime needs of a manifest: its settings and carpools at once, an entry per lookup, the whole on demand. */
export interface ManifestReader {
  readonly id: string
  readonly baseUrl: string
  readonly hash: Manifest['hash']
  readonly carpools: Readonly<Record<string, ManifestCarpool>>
  /**
   * The entry of a logical path, `undefined` when the manifest has none. With {@link openManifest}'s text, each entry
   * is parsed and checked at its first lookup: an invalid one throws `ERR_CONVOY_MANIFEST`, as `parseManifest` would.
   */
  entry(logicalPath: string): ManifestEntry | undefined
  /** The whole manifest, parsed and checked on the first call (as `parseManifest` returns it). */
  manifest(): Manifest
}

const FILES_KEY = '\n  "files": '
const ENTRY_START = '\n    "'
const ENTRY_END = '\n    }'
const KEY_END = '": {\n'

/** Where each entry's text is (logical path → its `{` and the end of its `}`), and the span of the `files` record. */
interface FilesLayout {
  readonly spans: Map<string, readonly [start: number, end: number]>
  readonly open: number
  readonly close: number
}

/** The layout of `files` in text as `serializeManifest` writes it, or `undefined` for anything else. */
function scanFiles(text: string): FilesLayout | undefined {
  if (!text.startsWith('{\n  "')) return undefined
  const at = text.indexOf(FILES_KEY)
  if (at === -1) return undefined
  const open = at + FILES_KEY.length
  const spans = new Map<string, readonly [number, number]>()
  if (text.startsWith('{}', open)) return { spans, open, close: open + 2 }
  if (!text.startsWith(`{${ENTRY_START}`, open)) return undefined
  let line = open + 1 // the newline that starts the next key's line
  for (;;) {
    const keyStart = line + ENTRY_START.length - 1
    const keyEnd = text.indexOf(KEY_END, keyStart)
    if (keyEnd === -1) return undefined
    const key = text.slice(keyStart, keyEnd + 1)
    // One line, and a quote inside only when escaped (JSON.parse then decodes it).
    const escaped = key.includes('\\')
    if (key.includes('\n') || (!escaped && key.indexOf('"', 1) !== key.length - 1)) return undefined
    const name = escaped ? (JSON.parse(key) as string) : key.slice(1, -1)
    const value = keyEnd + 3
    // One search per entry: the next line at the entry's own depth. It must close this entry, and then either
    // start the next key or close the record; an entry with any other line that shallow is not this layout.
    const next = text.indexOf(ENTRY_START, value)
    if (next !== -1 && text.startsWith(`${ENTRY_END},`, next - ENTRY_END.length - 1)) {
      spans.set(name, [value, next - 1])
      line = next
      continue
    }
    const end = text.indexOf(`${ENTRY_END}\n  }`, value)
    if (end === -1 || (next !== -1 && next < end)) return undefined
    spans.set(name, [value, end + ENTRY_END.length])
    const close = end + ENTRY_END.length + 4
    // A second "files" key would be the one JSON.parse keeps.
    return text.includes(FILES_KEY, close) ? undefined : { spans, open, close }
  }
}

/** The JSON value of an entry's text (throws on invalid JSON). */
const parseSpan = (text: string, span: readonly [number, number]): unknown => JSON.parse(text.slice(span[0], span[1]))

/** A reader of a manifest already parsed and checked. */
function readerOf(manifest: Manifest): ManifestReader {
  return {
    id: manifest.id,
    baseUrl: manifest.baseUrl,
    hash: manifest.hash,
    carpools: manifest.carpools,
    entry: (logicalPath) => lookup(manifest, logicalPath),
    manifest: () => manifest,
  }
}

/**
 * A manifest for lookups. From text (`source` names it in errors), it costs a scan of the text and a parse of
 * everything but `files`: about 0.1 s for 100,000 entries, where `parseManifest` takes 0.4 s. Its settings, carpools
 * and history are checked at once; each entry at its first lookup. Text that is not laid out as `serializeManifest`
 * writes it (hand-edited, minified) is parsed whole by `parseManifest`, with the same errors. From a manifest
 * object, the reader answers from it (call `parseManifest(serializeManifest(m))` first for an unchecked one).
 *
 * @example
 * const reader = openManifest(await readFile(file, 'utf8'), file)
 * reader.entry('css/base.css')?.served // 'css/base.25b23dfca187.cmin.css'
 */
export function openManifest(input: string | Manifest, source = '<manifest object>'): ManifestReader {
  if (typeof input !== 'string') return readerOf(input)
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input
  const layout = scanFiles(text)
  if (layout === undefined) return readerOf(parseManifest(text, source))
  let header: Record<string, unknown>
  try {
    header = JSON.parse(`${text.slice(0, layout.open)}{}${text.slice(layout.close)}`) as Record<string, unknown>
  } catch {
    return readerOf(parseManifest(text, source))
  }

  let whole: Manifest | undefined
  let failure: Error | undefined
  /** The full parse, once: its error too is kept, so a broken entry costs one full parse however often it is asked for. */
  const all = (): Manifest => {
    if (whole !== undefined) return whole
    if (failure !== undefined) throw failure
    try {
      whole = parseManifest(text, source)
    } catch (error) {
      failure = error as Error
      throw failure
    }
    return whole
  }
  /** An entry parsed and checked with the manifest's own rules (a manifest of that one entry), or the full parse's error. */
  const parsed = new Map<string, ManifestEntry>()
  const check = (files: Record<string, unknown>): Manifest => {
    try {
      return canonicalManifest({ ...header, files, carpools: {}, history: [] }, source, { reuse: true, mutable: true })
    } catch {
      // Whatever is wrong, the full parse names it as it always has (and a valid manifest would not get here).
      return all()
    }
  }
  const entryOf = (logicalPath: string): ManifestEntry | undefined => {
    if (whole !== undefined) return lookup(whole, logicalPath)
    const known = parsed.get(logicalPath)
    if (known !== undefined) return known
    const span = layout.spans.get(logicalPath)
    if (span === undefined) return undefined
    let value: unknown
    try {
      value = parseSpan(text, span)
    } catch {
      return lookup(all(), logicalPath)
    }
    const entry = lookup(check({ [logicalPath]: value }), logicalPath)
    if (entry !== undefined && whole === undefined) parsed.set(logicalPath, entry)
    return entry
  }

  // Everything but the entries, checked now; carpool members must be entries, so theirs are checked with it.
  const members: Record<string, unknown> = {}
  const carpools = header.carpools
  if (typeof carpools === 'object' && carpools !== null) {
    for (const pool of Object.values(carpools as Record<string, { members?: unknown }>)) {
      if (!Array.isArray(pool?.members)) continue
      for (const member of pool.members) {
        const span = typeof member === 'string' ? layout.spans.get(member) : undefined
        if (span === undefined) continue
        try {
          Object.defineProperty(members, member as string, {
            value: parseSpan(text, span),
            enumerable: true,
            configurable: true,
            writable: true,
          })
        } catch {
          return readerOf(all())
        }
      }
    }
  }
  let checked: Manifest
  try {
    checked = canonicalManifest({ ...header, files: members }, source, { reuse: true, mutable: true })
  } catch {
    return readerOf(all())
  }
  return {
    id: checked.id,
    baseUrl: checked.baseUrl,
    hash: checked.hash,
    carpools: checked.carpools,
    entry: entryOf,
    manifest: all,
  }
}
