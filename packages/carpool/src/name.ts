import { ConvoyError } from '@convoy/errors'
import { contentHash, type HashOptions } from '@convoy/hash'

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
