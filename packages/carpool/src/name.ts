import { ConvoyError } from '@convoy/errors'
import { contentHash, type HashOptions } from '@convoy/hash'
import { CONTENT_ENCODING_NAMES, contentEncodingOfPath, encodedSiblingPath, withoutEncodingExtension, type ContentEncoding } from '@convoy/storage'

/** What a carpool bundles: stylesheets or classic scripts. */
export type CarpoolKind = 'css' | 'js'

/** The storage folder every bundle lives under: `CARPOOL/<kind>/`. */
export const CARPOOL_DIRECTORY = 'CARPOOL'

/**
 * Bumped whenever the bytes {@link buildCarpool} makes from the same members change (a fix in rebasing or
 * joining). It is part of every name, so a new version never reuses an old, immutably cached name.
 */
export const CARPOOL_FORMAT = 'convoy-carpool/2'

/**
 * A member as the name sees it: a served storage path (content-addressed, so the path alone names the content),
 * or a path whose name is not content-addressed (an original, for `combineOriginals`) with its content hash.
 */
export type CarpoolNameMember = string | { readonly path: string; readonly sourceHash: string }

/** True for `'css'` and `'js'`. */
export function isCarpoolKind(value: unknown): value is CarpoolKind {
  return value === 'css' || value === 'js'
}

/**
 * The storage path of the bundle of `members`, in order: `CARPOOL/<kind>/<hash>.cmin.<kind>`. The hash (md5, 12
 * hex characters by default, like every Convoy fingerprint) covers the format version, the kind and each member's
 * served path, which already carries that member's content hash. So the name changes whenever a member's content
 * or the order changes, is the same on every machine and in every process, and never depends on basenames:
 * `a/site.css` and `b/site.css` are different members.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CARPOOL` for an unknown kind, no members, or a member path holding a line break
 * or NUL (it could make two lists hash alike).
 * @example
 * carpoolName('css', ['css/base.25b23dfca187.cmin.css', 'css/print.5fa9526d711b.cmin.css'])
 * // 'CARPOOL/css/<12 hex>.cmin.css'
 * carpoolName('js', [{ path: 'js/app.js', sourceHash: 'ee90ca85cc51619d010e27b2856b4f2c' }]) // combineOriginals
 */
export function carpoolName(kind: CarpoolKind, members: readonly CarpoolNameMember[], hashOptions?: HashOptions): string {
  if (!isCarpoolKind(kind)) {
    throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/carpool: unknown carpool kind ${JSON.stringify(kind)} (expected "css" or "js")`)
  }
  if (members.length === 0) throw new ConvoyError('ERR_CONVOY_CARPOOL', '@convoy/carpool: a carpool needs at least one member')
  const lines: string[] = [CARPOOL_FORMAT, kind]
  for (const member of members) {
    const line = typeof member === 'string' ? member : `${member.path}\0${member.sourceHash}`
    const path = typeof member === 'string' ? member : member.path
    if (path === '' || /[\n\r\0]/.test(path) || (typeof member !== 'string' && /[\n\r\0]/.test(member.sourceHash))) {
      throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/carpool: invalid member ${JSON.stringify(member)}`)
    }
    lines.push(line)
  }
  return `${CARPOOL_DIRECTORY}/${kind}/${contentHash(lines.join('\n'), hashOptions)}.cmin.${kind}`
}

/** A storage path of a carpool bundle, or of one of its precompressed siblings, taken apart by {@link parseCarpoolPath}. */
export interface CarpoolPath {
  readonly kind: CarpoolKind
  /** The hash in the name: 6 to 64 lowercase hex characters. */
  readonly hash: string
  /** The sibling's encoding (`'gzip'` for `.gz`, `'br'` for `.br`); absent for the bundle itself. */
  readonly encoding?: ContentEncoding
  /** The storage path of the bundle itself: `path` without a sibling's extension. */
  readonly bundle: string
}

/** `CARPOOL/<kind>/<hex>.cmin.<kind>`, kind and extension equal. Only fixed text and hex digits: no `/`, `.`-segment, `%` or backslash. */
const BUNDLE_PATH = new RegExp(`^${CARPOOL_DIRECTORY}/(css|js)/([0-9a-f]{6,64})\\.cmin\\.\\1$`)

/** The suffix of the members record written beside a request-time bundle (see `carpoolRecord`). */
const RECORD_EXTENSION = '.json'

/**
 * Takes apart the storage path of a carpool bundle, `CARPOOL/<kind>/<hash>.cmin.<kind>`, or of one of its
 * precompressed siblings (the bundle's path plus an extension of `@convoy/storage`'s `CONTENT_ENCODINGS`: `.gz`,
 * `.br`). The hash is 6 to 64 lowercase hex characters (every name {@link carpoolName} makes with a hash length in
 * that range). Anything else, such as another folder or extension, upper-case hex, a `..` or `%` or backslash,
 * gives `undefined`, so a path it accepts cannot leave the storage root.
 *
 * @example
 * parseCarpoolPath('CARPOOL/css/39496f795ad1.cmin.css')    // { kind: 'css', hash: '39496f795ad1', bundle: 'CARPOOL/css/39496f795ad1.cmin.css' }
 * parseCarpoolPath('CARPOOL/js/39496f795ad1.cmin.js.br')   // { kind: 'js', hash: '39496f795ad1', encoding: 'br', bundle: 'CARPOOL/js/39496f795ad1.cmin.js' }
 * parseCarpoolPath('CARPOOL/css/39496f795ad1.cmin.js')     // undefined
 */
export function parseCarpoolPath(path: string): CarpoolPath | undefined {
  if (typeof path !== 'string') return undefined
  const bundle = withoutEncodingExtension(path)
  const match = BUNDLE_PATH.exec(bundle)
  if (match === null) return undefined
  const kind = match[1] as CarpoolKind
  const hash = match[2]!
  const encoding = contentEncodingOfPath(path)
  return encoding === undefined ? { kind, hash, bundle } : { kind, hash, encoding, bundle }
}

/**
 * True for the storage path of a carpool bundle or of one of its `.gz`/`.br` siblings (see {@link parseCarpoolPath}).
 *
 * @example
 * isCarpoolPath('CARPOOL/css/39496f795ad1.cmin.css.gz') // true
 * isCarpoolPath('css/base.25b23dfca187.cmin.css')       // false
 */
export function isCarpoolPath(path: string): boolean {
  return parseCarpoolPath(path) !== undefined
}

/**
 * The storage path of the members record the request-time builder writes beside `bundle`: `<bundle>.json`.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CARPOOL` when `bundle` is not the path of a bundle itself.
 * @example
 * carpoolRecordPath('CARPOOL/css/39496f795ad1.cmin.css') // 'CARPOOL/css/39496f795ad1.cmin.css.json'
 */
export function carpoolRecordPath(bundle: string): string {
  return `${bundleItself(bundle)}${RECORD_EXTENSION}`
}

/**
 * The bundle whose members record `path` is (the inverse of {@link carpoolRecordPath}), or `undefined` when `path`
 * is not a members record.
 *
 * @example
 * parseCarpoolRecordPath('CARPOOL/css/39496f795ad1.cmin.css.json') // 'CARPOOL/css/39496f795ad1.cmin.css'
 * parseCarpoolRecordPath('CARPOOL/css/39496f795ad1.cmin.css')      // undefined
 */
export function parseCarpoolRecordPath(path: string): string | undefined {
  if (typeof path !== 'string' || !path.endsWith(RECORD_EXTENSION)) return undefined
  const parsed = parseCarpoolPath(path.slice(0, -RECORD_EXTENSION.length))
  return parsed === undefined || parsed.encoding !== undefined ? undefined : parsed.bundle
}

/**
 * Every storage path that belongs to `bundle`: the bundle, one sibling per encoding of `CONTENT_ENCODINGS` (whether
 * or not it was written), and the members record. For keeping or deleting a bundle as a whole.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CARPOOL` when `bundle` is not the path of a bundle itself.
 * @example
 * carpoolFiles('CARPOOL/js/39496f795ad1.cmin.js')
 * // ['CARPOOL/js/39496f795ad1.cmin.js', '….cmin.js.gz', '….cmin.js.br', '….cmin.js.json']
 */
export function carpoolFiles(bundle: string): string[] {
  const path = bundleItself(bundle)
  return [path, ...CONTENT_ENCODING_NAMES.map((name) => encodedSiblingPath(path, name)), `${path}${RECORD_EXTENSION}`]
}

function bundleItself(bundle: string): string {
  const parsed = parseCarpoolPath(bundle)
  if (parsed === undefined || parsed.encoding !== undefined) {
    throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/carpool: ${JSON.stringify(bundle)} is not the path of a carpool bundle (CARPOOL/<kind>/<hash>.cmin.<kind>)`)
  }
  return bundle
}
