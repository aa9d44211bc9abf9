import { splitExtension } from '@convoy/hash'
import type { Manifest } from '@convoy/manifest'

/** The characters a fingerprint is made of (`fingerprintedName` of `@convoy/hash` accepts no others). */
const FINGERPRINT = /^[0-9A-Za-z_-]+$/

/**
 * The family of a served name: the name with its fingerprint replaced by `*` (`js/app.1a2b3c4d5e6f.cmin.js` →
 * `js/app.*.cmin.js`), or `undefined` when `served` is not `logicalPath` fingerprinted. Every version of a logical
 * path that is served the same way (minified or not) shares it, so it is also the `match` pattern under which a
 * browser offers an earlier version as a dictionary for a later one (RFC 9842).
 *
 * @example
 * servedFamily('js/app.js', 'js/app.1a2b3c4d5e6f.cmin.js') // 'js/app.*.cmin.js'
 */
export function servedFamily(logicalPath: string, served: string): string | undefined {
  // A file served under its own name (a carpool bundle, named by its hash) has no versions to follow by name.
  if (served === logicalPath) return undefined
  const { stem, extension } = splitExtension(logicalPath)
  if (!served.startsWith(`${stem}.`) || !served.endsWith(extension)) return undefined
  const rest = served.slice(stem.length + 1)
  const dot = rest.indexOf('.')
  const fingerprint = dot === -1 ? rest : rest.slice(0, dot)
  if (!FINGERPRINT.test(fingerprint) || (extension === '' && dot !== -1)) return undefined
  // A `*` of the name itself would read as a wildcard: such a file gets no dictionary.
  if (stem.includes('*') || rest.includes('*')) return undefined
  return `${stem}.*${rest.slice(fingerprint.length)}`
}

/**
 * Finds the family and earlier versions of a served file in the manifest in force: the file its entry serves, then
 * the files its history dropped, newest first. Those are what returning visitors hold, so what deltas are built
 * against. The history is indexed once, at the first question, and only its names that can be a family's member.
 */
export function createVersionsOf(previous: Manifest | null): (logicalPath: string, served: string) => { match: string; earlier: string[] } | undefined {
  let byFamily: Map<string, string[]> | undefined
  const index = (): Map<string, string[]> => {
    const families = new Map<string, string[]>()
    for (const entry of previous?.history ?? []) {
      for (const path of entry.dropped) {
        // Any segment between the first and the last dot may be the fingerprint: every reading is a key.
        const slash = path.lastIndexOf('/')
        const parts = path.slice(slash + 1).split('.')
        for (let i = 1; i < parts.length - 1; i++) {
          if (!FINGERPRINT.test(parts[i]!)) continue
          const family = `${path.slice(0, slash + 1)}${[...parts.slice(0, i), '*', ...parts.slice(i + 1)].join('.')}`
          const members = families.get(family)
          if (members === undefined) families.set(family, [path])
          else members.push(path)
        }
      }
    }
    return families
  }
  return (logicalPath, served) => {
    const family = servedFamily(logicalPath, served)
    if (family === undefined) return undefined
    if (previous === null) return { match: family, earlier: [] }
    const found: string[] = []
    const current = Object.hasOwn(previous.files, logicalPath) ? previous.files[logicalPath]!.served : undefined
    if (current !== undefined && servedFamily(logicalPath, current) === family) found.push(current)
    byFamily ??= index()
    for (const path of byFamily.get(family) ?? []) found.push(path)
    return { match: family, earlier: [...new Set(found)].filter((path) => path !== served) }
  }
}
