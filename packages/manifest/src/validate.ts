import { ConvoyError } from '@convoy/errors'
import { CONTENT_ENCODING_NAMES, DELTA_ENCODING_NAMES, storagePathProblem } from '@convoy/storage'
import {
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type DeltaVariants,
  type EncodedVariant,
  type EncodedVariants,
  type Manifest,
  type ManifestDictionary,
  type ManifestCarpool,
  type ManifestEntry,
  type ManifestHistoryEntry,
} from './types.js'
import { fastDropped, fastFiles, SHA256_BASE64 } from './fast-check.js'

type Json = Record<string, unknown>
type Check<T> = (value: unknown, where: string) => T

const INTEGRITY = /^sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}$/
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

/** Why a path cannot be named by a manifest, or `undefined` when it can. */
export function unsafePathReason(path: string): string | undefined {
  // Collecting a file over the manifest itself would destroy it.
  return storagePathProblem(path) ?? (path === MANIFEST_FILE ? 'it is the manifest file itself' : undefined)
}

/** A short, safe rendering of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (value !== null && typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Validates a manifest-shaped value and returns its canonical form: only known fields, in the documented order,
 * `files`/`carpools` and every `dropped` list sorted. Throws `ERR_CONVOY_MANIFEST` naming `source` and the field.
 * Unknown fields are ignored so that a later minor release may add optional fields without breaking older readers.
 *
 * `files` and `dropped` lists, the bulk of a large manifest, go through the allocation-free checks of
 * fast-check.ts first; anything those do not vouch for is checked here, field by field, for the error message.
 * With `reuse`, parts already in canonical form are kept instead of copied (for a result that is only read, or
 * whose input nobody else holds); with `mutable` too (a value fresh from `JSON.parse`), an entry that needs a copy
 * replaces its original in place: a 100,000-entry manifest then costs one object graph, not two. `fast: false`
 * runs the descriptive checks alone (the tests hold both paths to the same answers).
 */
export function canonicalManifest(
  value: unknown,
  source: string,
  options: { readonly reuse?: boolean; readonly mutable?: boolean; readonly fast?: boolean } = {},
): Manifest {
  const { reuse = false, mutable = false, fast = true } = options
  const fail = (where: string, problem: string): never => {
    throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/manifest: ${source}: ${where === '' ? '' : `${where}: `}${problem}`, {
      file: source,
    })
  }
  const expected = (what: string): Check<never> => (v, where) => fail(where, `expected ${what}, got ${describe(v)}`)

  const object: Check<Json> = (v, where) => (isObject(v) ? v : expected('an object')(v, where))
  const text: Check<string> = (v, where) => (typeof v === 'string' && v !== '' ? v : expected('a non-empty string')(v, where))
  const anyText: Check<string> = (v, where) => (typeof v === 'string' ? v : expected('a string')(v, where))
  const size: Check<number> = (v, where) =>
    Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : expected('a non-negative integer')(v, where)
  const path: Check<string> = (v, where) => {
    const p = text(v, where)
    const reason = unsafePathReason(p)
    return reason === undefined ? p : fail(where, `unsafe path ${describe(p)} (${reason})`)
  }
  const integrity: Check<string> = (v, where) =>
    typeof v === 'string' && INTEGRITY.test(v) ? v : expected('an SRI integrity string "sha384-<base64>"')(v, where)
  const list = <T>(check: Check<T>): Check<T[]> => (v, where) =>
    Array.isArray(v) ? v.map((item, i) => check(item, `${where}[${i}]`)) : expected('an array')(v, where)
  /** A record with keys sorted by UTF-16 code units (locale-independent, so identical on every machine). */
  const record = <T>(checkKey: Check<string>, check: Check<T>): Check<Record<string, T>> => (v, where) => {
    const entries = Object.keys(object(v, where)).sort(byCodeUnits)
    // fromEntries defines own properties, so a key such as "__proto__" stays a plain key.
    return Object.fromEntries(entries.map((key) => {
      const at = `${where}[${JSON.stringify(key)}]`
      return [checkKey(key, at), check((v as Json)[key], at)]
    }))
  }
  const field = <T>(obj: Json, key: string, where: string, check: Check<T>): T =>
    Object.hasOwn(obj, key) && obj[key] !== undefined
      ? check(obj[key], where === '' ? key : `${where}.${key}`)
      : fail(where, `missing "${key}"`)
  const optional = <K extends string, T>(obj: Json, key: K, where: string, check: Check<T>): { [P in K]?: T } =>
    Object.hasOwn(obj, key) && obj[key] !== undefined ? ({ [key]: field(obj, key, where, check) } as { [P in K]: T }) : {}

  const variant: Check<EncodedVariant> = (v, where) => {
    const o = object(v, where)
    return { path: field(o, 'path', where, path), size: field(o, 'size', where, size) }
  }
  // Keys that are not encodings are dropped, as they always were.
  const encodings: Check<EncodedVariants> = (v, where) => {
    const o = object(v, where)
    return Object.assign({}, ...CONTENT_ENCODING_NAMES.map((name) => optional(o, name, where, variant))) as EncodedVariants
  }
  const dictionaryHash: Check<string> = (v, where) =>
    typeof v === 'string' && SHA256_BASE64.test(v) ? v : expected('a SHA-256 in base64 (44 characters)')(v, where)
  const dictionary: Check<ManifestDictionary> = (v, where) => {
    const o = object(v, where)
    return { hash: field(o, 'hash', where, dictionaryHash), match: field(o, 'match', where, text) }
  }
  const deltaVariants: Check<DeltaVariants> = (v, where) => {
    const o = object(v, where)
    const variants = Object.assign({}, ...DELTA_ENCODING_NAMES.map((name) => optional(o, name, where, variant))) as DeltaVariants
    return Object.keys(variants).length > 0 ? variants : fail(where, `expected at least one of ${DELTA_ENCODING_NAMES.map((name) => `"${name}"`).join(', ')}`)
  }
  const entry: Check<ManifestEntry> = (v, where) => {
    const o = object(v, where)
    return {
      served: field(o, 'served', where, path),
      size: field(o, 'size', where, size),
      integrity: field(o, 'integrity', where, integrity),
      fingerprinted: field(o, 'fingerprinted', where, path),
      sourceHash: field(o, 'sourceHash', where, text),
      contentType: field(o, 'contentType', where, text),
      ...optional(o, 'encodings', where, encodings),
      ...optional(o, 'map', where, path),
      ...optional(o, 'dictionary', where, dictionary),
      ...optional(o, 'deltas', where, record(dictionaryHash, deltaVariants)),
    }
  }
  const kind: Check<'css' | 'js'> = (v, where) => (v === 'css' || v === 'js' ? v : expected('"css" or "js"')(v, where))
  const carpool: Check<ManifestCarpool> = (v, where) => {
    const o = object(v, where)
    const pool: ManifestCarpool = {
      kind: field(o, 'kind', where, kind),
      members: field(o, 'members', where, list(path)),
      served: field(o, 'served', where, path),
      size: field(o, 'size', where, size),
      integrity: field(o, 'integrity', where, integrity),
      contentType: field(o, 'contentType', where, text),
      ...optional(o, 'encodings', where, encodings),
      ...optional(o, 'dictionary', where, dictionary),
      ...optional(o, 'deltas', where, record(dictionaryHash, deltaVariants)),
    }
    return pool.members.length > 0 ? pool : fail(`${where}.members`, 'a carpool needs at least one member')
  }
  const time: Check<string> = (v, where) =>
    typeof v === 'string' && ISO_TIME.test(v) && !Number.isNaN(Date.parse(v)) ? v : expected('an ISO 8601 time')(v, where)
  const historyEntry: Check<ManifestHistoryEntry> = (v, where) => {
    const o = object(v, where)
    // A list is kept only when fresh from JSON.parse (`mutable`): a caller's array may carry a `toJSON` of its own.
    return {
      supersededAt: field(o, 'supersededAt', where, time),
      id: field(o, 'id', where, text),
      dropped: (fast && Object.hasOwn(o, 'dropped') ? fastDropped(o.dropped, mutable) : undefined) ?? [...new Set(field(o, 'dropped', where, list(path)))].sort(byCodeUnits),
    }
  }
  const hash: Check<Manifest['hash']> = (v, where) => {
    const o = object(v, where)
    const length = field(o, 'length', where, size)
    if (length === 0) fail(`${where}.length`, 'expected a positive integer, got 0')
    return { algorithm: field(o, 'algorithm', where, text), length }
  }

  if (!isObject(value)) return fail('', `expected a JSON object at the top level, got ${describe(value)}`)
  if (!Object.hasOwn(value, 'version')) return fail('', 'missing "version" (is this a Convoy manifest?)')
  if (value.version !== MANIFEST_VERSION) {
    return fail('', `unknown manifest version ${describe(value.version)} (this version of @convoy/manifest reads version ${MANIFEST_VERSION})`)
  }
  const id = field(value, 'id', '', text)
  const baseUrl = field(value, 'baseUrl', '', anyText)
  const hashSettings = field(value, 'hash', '', hash)
  const files = (fast && Object.hasOwn(value, 'files') ? fastFiles(value.files, reuse, mutable) : undefined) ?? field(value, 'files', '', record(path, entry))
  const carpools = field(value, 'carpools', '', record(text, carpool))
  for (const [name, pool] of Object.entries(carpools)) {
    pool.members.forEach((member, i) => {
      if (!Object.hasOwn(files, member)) fail(`carpools[${JSON.stringify(name)}].members[${i}]`, `${describe(member)} is not in "files"`)
    })
  }
  return {
    version: MANIFEST_VERSION,
    id,
    baseUrl,
    hash: hashSettings,
    files,
    carpools,
    history: field(value, 'history', '', list(historyEntry)),
  }
}

/**
 * Pretty-prints a canonical manifest like `JSON.stringify(value, null, 2)`, except that the keys of `files` and
 * `carpools` come out sorted even when they look like integers (`"404"`), which plain objects would reorder.
 * Everything below those records is printed by `JSON.stringify` itself (their fields have fixed, non-numeric names),
 * which is what makes writing a 100,000-entry manifest fast.
 */
export function printManifest(value: unknown): string {
  if (!isObject(value)) return JSON.stringify(value, null, 2)
  const records = ['files', 'carpools'].filter((key) => isObject(value[key]))
  // Keys already in order (none that looks like an integer was moved ahead): one native call for everything.
  if (records.every((key) => isSorted(Object.keys(value[key] as Json)))) return JSON.stringify(value, null, 2)
  const items = Object.keys(value).map((key) => {
    const child = value[key]
    const text = records.includes(key) ? printRecord(child as Json) : indent(JSON.stringify(child, null, 2))
    return `${JSON.stringify(key)}: ${text}`
  })
  return items.length === 0 ? '{}' : `{\n  ${items.join(',\n  ')}\n}`
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false
  return true
}

/** JSON text one level deeper: every line after the first indented by two more spaces. */
const indent = (text: string): string => text.replaceAll('\n', '\n  ')

/** A record at the second level, its keys sorted by UTF-16 code units. */
function printRecord(record: Json): string {
  const keys = Object.keys(record).sort(byCodeUnits)
  if (keys.length === 0) return '{}'
  const items = keys.map((key) => `${JSON.stringify(key)}: ${indent(indent(JSON.stringify(record[key], null, 2)))}`)
  return `{\n    ${items.join(',\n    ')}\n  }`
}
