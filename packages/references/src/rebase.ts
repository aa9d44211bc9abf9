import { findCssReferences } from './css.js'
import { replaceReferences } from './replace.js'
import type { ReferenceReplacement } from './types.js'
import { applySegments, decodeSegment, directoryOf, encodeSegment, joinRelative, parseUrl } from './url-path.js'

/**
 * Rewrites the relative references of a stylesheet (`url()`, `@import`, `sourceMappingURL`) written for logical path
 * `fromPath` so they point at the same files when the text is served from `toPath` — for a bundle
 * (`CARPOOL/css/<h>.cmin.css`) or any move. Root-relative, absolute, `data:` and fragment-only URLs are left alone,
 * as is every byte that is not a rewritten URL; the path keeps its original percent-encoding and the query and
 * fragment are kept.
 *
 * @throws {ConvoyError} `ERR_CONVOY_STEP` (naming `fromPath`, line and column) when the stylesheet cannot be parsed.
 * @example
 * rebaseCssUrls('a { background: url(../img/a.png) }', 'css/site/main.css', 'CARPOOL/css/1a2b3c.cmin.css')
 * // 'a { background: url(../../css/img/a.png) }'
 */
export function rebaseCssUrls(css: string, fromPath: string, toPath: string): string {
  const references = findCssReferences(css, { file: fromPath })
  // In the same directory, relative URLs already point right and stay untouched, all but an empty path
  // (`url(?v=1)`), which names the stylesheet itself.
  const sameDirectory = directoryOf(fromPath).join('/') === directoryOf(toPath).join('/')
  const fromDirectory = directoryOf(fromPath).map(encodeSegment)
  const toDirectory = directoryOf(toPath)
  const replacements: ReferenceReplacement[] = []
  for (const reference of references) {
    const parsed = parseUrl(reference.url)
    if (parsed.kind !== 'relative' || (sameDirectory && parsed.path !== '')) continue
    const url = rebasePath(parsed.path, fromPath, fromDirectory, toDirectory) + parsed.suffix
    if (url !== reference.url) replacements.push({ reference, url })
  }
  return replacements.length === 0 ? css : replaceReferences(css, replacements)
}

function rebasePath(path: string, fromPath: string, fromDirectory: readonly string[], toDirectory: readonly string[]): string {
  // An empty path (`url(?v=1)`) is the stylesheet itself.
  const raw = path === '' ? fromPath.split('/').map(encodeSegment) : path.split('/')
  const target = applySegments(path === '' ? [] : fromDirectory, raw, (segment) => segment)
  if (target.above > 0) {
    // Above the root of the tree: climb out of the new directory, then as far as the original did.
    return '../'.repeat(toDirectory.length + target.above) + target.segments.join('/')
  }
  const { segments } = target
  let common = 0
  while (
    common < toDirectory.length &&
    common < segments.length - 1 &&
    decodeSegment(segments[common]!) === toDirectory[common]
  ) {
    common++
  }
  return joinRelative(toDirectory.length - common, segments.slice(common))
}
