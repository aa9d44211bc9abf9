// The fast path of `canonicalManifest` (validate.ts) for what `convoy collect` writes: 100,000 entries must load in
// a fraction of a second, so the common case allocates nothing per field (no "where" strings, no spread objects,
// no regex per path). Every function here only ACCEPTS: it returns the canonical value when it is sure the
// descriptive checks in validate.ts would return an equal one (same fields, same order), and `undefined` on any
// doubt, and the caller then runs those checks, which either throw the usual error or accept. So an invalid manifest
// always fails with exactly the message it did before, and the rules live in one place; the tests hold both paths
// to the same answers.
import { CONTENT_ENCODING_NAMES, DELTA_ENCODING_NAMES } from '@convoy/storage'
import { MANIFEST_FILE, type EncodedVariant, type EncodedVariants, type ManifestDictionary, type ManifestEntry } from './types.js'

type Deltas = NonNullable<ManifestEntry['deltas']>

type Json = Record<string, unknown>

/**
 * What `storagePathProblem` (@convoy/storage) accepts, as one linear regex (segments are separated by "/", which
 * no segment contains, so it never backtracks): not starting with a drive letter; one or more segments, none
 * empty, "." or "..", none holding "/", a backslash or NUL. Faster than splitting, and than a loop in JS.
 */
const PLAIN_PATH = /^(?![A-Za-z]:)(?!\.\.?(?:\/|$))[^/\\\0]+(?:\/(?!\.\.?(?:\/|$))[^/\\\0]+)*$/

/**
 * True when `path` is a storage path a manifest may name: what `unsafePathReason` (validate.ts) accepts. A
 * non-empty string; no NUL or backslash; not absolute or starting with a drive letter; no empty, `.` or `..`
 * segment; not the manifest file.
 */
export function isPlainPath(path: unknown): path is string {
  return typeof path === 'string' && PLAIN_PATH.test(path) && path !== MANIFEST_FILE
}

/** 1 for the character codes of `[A-Za-z0-9+/]`. */
const BASE64 = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1

/** Whether characters 3–5 of `value` are one of the SRI digests' sizes: 256, 384, 512. */
function hasDigestSize(value: string): boolean {
  const a = value.charCodeAt(3)
  const b = value.charCodeAt(4)
  const c = value.charCodeAt(5)
  return (a === 0x33 && b === 0x38 && c === 0x34) || (a === 0x32 && b === 0x35 && c === 0x36) || (a === 0x35 && b === 0x31 && c === 0x32)
}

/** The `INTEGRITY` regex of validate.ts, `/^sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}$/`, in one pass, no regex. */
export function isIntegrity(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 8) return false
  if (value.charCodeAt(0) !== 0x73 || value.charCodeAt(1) !== 0x68 || value.charCodeAt(2) !== 0x61 || value.charCodeAt(6) !== 0x2d) return false
  if (!hasDigestSize(value)) return false
  let end = value.length
  // At most two "=" of padding, after at least one base64 character.
  if (value.charCodeAt(end - 1) === 0x3d) end--
  if (value.charCodeAt(end - 1) === 0x3d) end--
  if (end <= 7) return false
  for (let i = 7; i < end; i++) {
    const c = value.charCodeAt(i)
    if (c > 0x7f || BASE64[c] === 0) return false
  }
  return true
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''
const isSize = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

/** A SHA-256 in standard base64: 32 bytes are 42 characters, one whose last two bits are zero, and one `=`. */
export const SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/

const VARIANT_KEYS = ['path', 'size'] as const
const DICTIONARY_KEYS = ['hash', 'match'] as const
const ENTRY_KEYS = ['served', 'size', 'integrity', 'fingerprinted', 'sourceHash', 'contentType', 'encodings', 'map', 'dictionary', 'deltas'] as const
/** How many of ENTRY_KEYS every entry has; the others are optional. */
const REQUIRED_ENTRY_KEYS = 6

/**
 * Whether `value` is a plain object (as JSON.parse makes them): one a copy would print the same as, since no class
 * prototype can give it a `toJSON`.
 */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Whether `value` is a plain object whose own enumerable keys are exactly `keys` in order, optional ones (from
 * index `required` on) possibly missing. Then `value` already is its canonical form. `for…in` also walks inherited
 * enumerable keys: any such key makes this false (a copy is made), so a polluted prototype can never slip a field in.
 */
function hasKeysInOrder(value: Json, keys: readonly string[], required: number): boolean {
  if (!isPlainObject(value)) return false
  let next = 0
  for (const key in value) {
    while (next < keys.length && keys[next] !== key) {
      if (next < required) return false
      next++
    }
    if (next === keys.length || !Object.hasOwn(value, key)) return false
    next++
  }
  return next >= required
}

/** An own property that is there (`undefined` counts as absent, as in validate.ts). */
function own(value: Json, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined
}

function variant(value: unknown, reuse: boolean): EncodedVariant | undefined {
  if (!isObject(value)) return undefined
  const path = own(value, 'path')
  const size = own(value, 'size')
  if (!isPlainPath(path) || !isSize(size)) return undefined
  return reuse && hasKeysInOrder(value, VARIANT_KEYS, 2) ? (value as unknown as EncodedVariant) : { path, size }
}

/** Sentinel: an `encodings` value the fast path does not accept. */
const REFUSED = Symbol('refused')

function encodings(value: unknown, reuse: boolean): EncodedVariants | typeof REFUSED {
  if (!isObject(value)) return REFUSED
  // What JSON.parse gave is kept when it is already canonical: nothing is allocated for the common case.
  let same = reuse && hasKeysInOrder(value, CONTENT_ENCODING_NAMES, 0)
  for (const name of CONTENT_ENCODING_NAMES) {
    const raw = own(value, name)
    if (raw === undefined) continue
    const checked = variant(raw, reuse)
    if (checked === undefined) return REFUSED
    if (checked !== raw) same = false
  }
  if (same) return value
  const out: Record<string, EncodedVariant> = {}
  for (const name of CONTENT_ENCODING_NAMES) {
    const raw = own(value, name)
    if (raw !== undefined) out[name] = variant(raw, false)!
  }
  return out
}

/**
 * The canonical form of a files entry, or `undefined` when the fast path cannot vouch for it. With `reuse` (a value
 * fresh from `JSON.parse`, which nobody else holds) an entry that already is canonical is returned as it is.
 */
export function fastEntry(value: unknown, reuse: boolean): ManifestEntry | undefined {
  if (!isObject(value)) return undefined
  if (reuse && isKept(value)) return value as unknown as ManifestEntry
  const served = own(value, 'served')
  const size = own(value, 'size')
  const integrity = own(value, 'integrity')
  const fingerprinted = own(value, 'fingerprinted')
  const sourceHash = own(value, 'sourceHash')
  const contentType = own(value, 'contentType')
  if (!isPlainPath(served) || !isSize(size) || !isIntegrity(integrity) || !isPlainPath(fingerprinted) || !isText(sourceHash) || !isText(contentType)) {
    return undefined
  }
  const rawEncodings = own(value, 'encodings')
  const map = own(value, 'map')
  if (map !== undefined && !isPlainPath(map)) return undefined
  // Dictionaries and deltas are accepted here only in canonical form (as collect writes them), and kept as they are.
  const dictionary = own(value, 'dictionary')
  const deltas = own(value, 'deltas')
  if ((dictionary !== undefined && !isDictionary(dictionary)) || (deltas !== undefined && !isDeltas(deltas))) return undefined
  const checked = rawEncodings === undefined ? undefined : encodings(rawEncodings, reuse)
  if (checked === REFUSED) return undefined
  if (reuse && checked === rawEncodings && hasKeysInOrder(value, ENTRY_KEYS, REQUIRED_ENTRY_KEYS)) return value as unknown as ManifestEntry
  const entry: { -readonly [K in keyof ManifestEntry]: ManifestEntry[K] } = { served, size, integrity, fingerprinted, sourceHash, contentType }
  if (checked !== undefined) entry.encodings = checked
  if (map !== undefined) entry.map = map
  if (dictionary !== undefined) entry.dictionary = reuse ? (dictionary as ManifestDictionary) : { ...(dictionary as ManifestDictionary) }
  if (deltas !== undefined) entry.deltas = reuse ? (deltas as Deltas) : copyDeltas(deltas as Deltas)
  return entry
}

/**
 * Whether an entry is valid and already canonical, so it can be kept as it is: the common case, checked first and
 * with nothing but reads. Its own keys being exactly the known ones, in order, its fields are read directly; a key
 * it lacks then reads as whatever a prototype holds, which can only fail a check and send the entry to the copying
 * path, never let anything in.
 */
function isKept(value: Json): boolean {
  if (!hasKeysInOrder(value, ENTRY_KEYS, REQUIRED_ENTRY_KEYS)) return false
  const { served, size, integrity, fingerprinted, sourceHash, contentType, encodings, map, dictionary, deltas } = value
  if (!isPlainPath(served) || !isSize(size) || !isIntegrity(integrity) || !isPlainPath(fingerprinted) || !isText(sourceHash) || !isText(contentType)) {
    return false
  }
  if (map !== undefined && !isPlainPath(map)) return false
  if ((dictionary !== undefined && !isDictionary(dictionary)) || (deltas !== undefined && !isDeltas(deltas))) return false
  if (encodings === undefined) return true
  if (!isObject(encodings) || !hasKeysInOrder(encodings, CONTENT_ENCODING_NAMES, 0)) return false
  for (const name of CONTENT_ENCODING_NAMES) {
    const variant = encodings[name]
    if (variant === undefined) continue
    if (!isObject(variant) || !hasKeysInOrder(variant, VARIANT_KEYS, 2) || !isPlainPath(variant.path) || !isSize(variant.size)) return false
  }
  return true
}

/** A `dictionary` field in canonical form: `{ hash, match }`, a SHA-256 and a pattern. */
function isDictionary(value: unknown): boolean {
  return isObject(value) && hasKeysInOrder(value, DICTIONARY_KEYS, 2) && typeof value.hash === 'string' && SHA256_BASE64.test(value.hash) && isText(value.match)
}

/** A `deltas` field in canonical form: dictionary hashes in ascending order, each with at least one valid delta. */
function isDeltas(value: unknown): boolean {
  if (!isObject(value) || !isPlainObject(value)) return false
  let last = ''
  for (const hash in value) {
    if (!Object.hasOwn(value, hash) || !SHA256_BASE64.test(hash) || !(last < hash)) return false
    last = hash
    const variants = value[hash]
    if (!isObject(variants) || !hasKeysInOrder(variants, DELTA_ENCODING_NAMES, 0)) return false
    let count = 0
    for (const name of DELTA_ENCODING_NAMES) {
      const variant = variants[name]
      if (variant === undefined) continue
      if (!isObject(variant) || !hasKeysInOrder(variant, VARIANT_KEYS, 2) || !isPlainPath(variant.path) || !isSize(variant.size)) return false
      count++
    }
    if (count === 0) return false
  }
  return true
}

/** A copy of a `deltas` value that {@link isDeltas} accepted, sharing nothing with it. */
function copyDeltas(deltas: Deltas): Deltas {
  const pairs = Object.entries(deltas).map(([hash, variants]) => [hash, Object.fromEntries(Object.entries(variants).map(([name, variant]) => [name, { ...variant }]))])
  return Object.fromEntries(pairs) as Deltas
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The canonical `files` record (keys sorted by UTF-16 code units), or `undefined` when any key or entry needs the
 * descriptive checks. With `reuse`, a record whose keys are already sorted, and entries already canonical, are kept
 * rather than copied; with `mutable` too (a value fresh from `JSON.parse`, which nobody else holds) an entry that
 * needs a copy replaces its original in the record, so the record is still kept.
 */
export function fastFiles(value: unknown, reuse: boolean, mutable = false): Record<string, ManifestEntry> | undefined {
  if (!isObject(value)) return undefined
  const keys = Object.keys(value)
  let sorted = true
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1]! < keys[i]!)) {
      sorted = false
      break
    }
  }
  if (reuse && sorted && isPlainObject(value)) {
    let kept = true
    for (const key of keys) {
      const raw = value[key]
      const entry = isPlainPath(key) ? fastEntry(raw, true) : undefined
      if (entry === undefined) return undefined
      if (entry === raw) continue
      if (!mutable) {
        kept = false // someone else's record: left as it is, a new one is made below
        break
      }
      // A copy (unknown fields dropped) replaces its original. Defined, not assigned: assigning to a key
      // "__proto__" would set the prototype instead.
      Object.defineProperty(value, key, { value: entry, writable: true, enumerable: true, configurable: true })
    }
    if (kept) return value as Record<string, ManifestEntry>
  }
  if (!sorted) keys.sort(byCodeUnits)
  const pairs = new Array<[string, ManifestEntry]>(keys.length)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const entry = isPlainPath(key) ? fastEntry(value[key], reuse) : undefined
    if (entry === undefined) return undefined
    pairs[i] = [key, entry]
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain key.
  return Object.fromEntries(pairs)
}

/**
 * A history entry's `dropped` list in canonical form (unique, sorted), or `undefined` for the descriptive checks.
 * A list that is already strictly ascending is returned as it is with `reuse`.
 */
export function fastDropped(value: unknown, reuse: boolean): string[] | undefined {
  if (!Array.isArray(value)) return undefined
  let ascending = true
  for (let i = 0; i < value.length; i++) {
    const path: unknown = value[i]
    if (!isPlainPath(path)) return undefined
    if (i > 0 && !((value[i - 1] as string) < path)) ascending = false
  }
  if (ascending) return reuse ? (value as string[]) : [...(value as string[])]
  return [...new Set(value as string[])].sort(byCodeUnits)
}
