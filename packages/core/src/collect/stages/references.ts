import { createRequire } from 'node:module'
import { isConvoyError } from '@convoy/errors'
import {
  findCssReferences,
  findJsReferences,
  relativeUrl,
  replaceReferences,
  resolveReference,
  type Reference,
  type ReferenceReplacement,
} from '@convoy/references'
import type { Asset } from '../asset.js'
import type { Stage, StageContext } from '../stage.js'

export interface ReferencesStageOptions {
  /** Root-relative URLs under this prefix point into the collected tree; ends with `/`. */
  readonly baseUrl: string
  /** Also rewrite relative ES module specifiers in JS. */
  readonly rewriteJsModules: boolean
}

/** The parse of one file: its references, or why it could not be parsed. */
type Found = { readonly references: Reference[] } | { readonly problem: Problem }

/** Part of the cache key: a new `@convoy/references` may find references differently. */
const REFERENCES_VERSION = (createRequire(import.meta.url)('@convoy/references/package.json') as { version: string }).version

interface LocalReference {
  readonly reference: Reference
  /** Logical path of the collected file it points at. */
  readonly target: string
  /** Query and fragment, kept verbatim. */
  readonly suffix: string
  /** Written as `/static/…` rather than relative to the file. */
  readonly rootRelative: boolean
}

interface Problem {
  readonly kind?: string
  readonly message: string
  readonly line?: number
  readonly column?: number
}

/** What the stage knows about one file between `dependencies()` and the passes of `run()`. */
interface State {
  readonly local: readonly LocalReference[]
  /** Targets in the same reference cycle, not named yet on the first pass: rewritten on the second. */
  pending: ReadonlySet<string> | undefined
}

const CSS = /\.css$/i
const JS = /\.(?:m?js|cjs)$/i

/**
 * Rewrites references in CSS (`url()`, `@import`, `sourceMappingURL`) and JS (`sourceMappingURL`, and relative ES
 * module specifiers when `rewriteJsModules` is on) to the served names of the files they point at. A reference to a
 * file that is not collected is a warning with `file:line` (an error under `--strict`) and stays as it is.
 */
export function createReferencesStage(options: ReferencesStageOptions): Stage {
  const base = options.baseUrl

  const kind = (asset: Asset): 'css' | 'js' => (CSS.test(asset.logicalPath) ? 'css' : 'js')

  /** Parses the current text; pure, so the second pass of a cycle can find its references again. */
  const find = (asset: Asset): Found => {
    const text = textOf(asset)
    try {
      const references = kind(asset) === 'css' ? findCssReferences(text, { file: asset.sourceFile }) : findJsReferences(text, { modules: options.rewriteJsModules, file: asset.sourceFile })
      return { references }
    } catch (error) {
      // A file we cannot parse is published as it is; the warning says why its references were not rewritten.
      if (!isConvoyError(error)) throw error
      return { problem: { message: `references not rewritten: ${error.message.replace(/^@convoy\/references: /, '')}`, ...position(error) } }
    }
  }

  /** {@link find} through the persistent cache: parsing every stylesheet and script is most of a warm run's work. */
  const findCached = (asset: Asset, context: StageContext): Promise<Found> => {
    // The text is still the original here (first pass), whose full hash is known: no need to hash it again.
    const original = asset.contents === asset.original
    return context.cached<Found>({
      input: original ? { hash: asset.sourceHash } : { bytes: asset.contents ?? new Uint8Array() },
      key: { kind: kind(asset), file: asset.sourceFile },
      compute: () => Promise.resolve(find(asset)),
      encode: (found) => [Buffer.from(JSON.stringify(found))],
      decode: (parts) => (parts[0] === undefined ? undefined : (JSON.parse(Buffer.from(parts[0]).toString('utf8')) as Found)),
    })
  }

  /** Which references point at collected files, and the problems to report about the others. */
  const resolveAll = (asset: Asset, found: Found, context: StageContext): { local: LocalReference[]; problems: Problem[] } => {
    if ('problem' in found) return { local: [], problems: [{ kind: 'unparsable', ...found.problem }] }
    const local: LocalReference[] = []
    const problems: Problem[] = []
    for (const reference of found.references) {
      const resolved = resolveReference(asset.logicalPath, reference.url, { baseUrl: base })
      if (resolved.kind === 'skip') continue
      const where = { line: reference.line, column: reference.column }
      if (resolved.kind === 'outside-root') {
        problems.push({ kind: 'outside-root', message: `reference "${reference.url}" climbs out of the source directory; left unchanged`, ...where })
      } else if (!context.has(resolved.path)) {
        problems.push({ kind: 'missing-reference', message: `reference "${reference.url}" points at ${resolved.path}, which is not collected; left unchanged`, ...where })
      } else {
        local.push({ reference, target: resolved.path, suffix: resolved.suffix, rootRelative: reference.url.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(reference.url) })
      }
    }
    return { local, problems }
  }

  const stateOf = async (asset: Asset, context: StageContext): Promise<State> => {
    let state = asset.state.get('references') as State | undefined
    if (state === undefined) {
      const { local, problems } = resolveAll(asset, await findCached(asset, context), context)
      for (const problem of problems) context.warn({ file: asset.sourceFile, ...problem })
      state = { local, pending: undefined }
      asset.state.set('references', state)
    }
    return state
  }

  return {
    name: 'references',
    phase: 'content',
    // A new `@convoy/references` may find references differently.
    signature: JSON.stringify({ modules: options.rewriteJsModules, version: REFERENCES_VERSION }),
    applies: (asset) => !asset.binary && (CSS.test(asset.logicalPath) || JS.test(asset.logicalPath)),
    dependencies: async (asset, context) => (await stateOf(asset, context)).local.map((local) => local.target),
    async run(asset, context) {
      const state = await stateOf(asset, context)
      if (state.pending === undefined) {
        state.pending = rewrite(asset, state.local, context)
        return
      }
      // Second pass of a reference cycle: offsets moved when the first pass rewrote, so find the references again.
      const waiting = state.pending
      state.pending = new Set()
      rewrite(asset, resolveAll(asset, find(asset), context).local.filter((local) => waiting.has(local.target)), context)
    },
  }

  /** Rewrites what can be named now; returns the targets still pending. */
  function rewrite(asset: Asset, locals: readonly LocalReference[], context: StageContext): Set<string> {
    const pending = new Set<string>()
    const replacements: ReferenceReplacement[] = []
    for (const local of locals) {
      const served = context.servedPathOf(local.target)
      if (served.status === 'pending') pending.add(local.target)
      if (served.status !== 'named') continue
      const url = local.rootRelative ? `${base}${served.path.split('/').map(encodeURIComponent).join('/')}` : relativeUrl(asset.logicalPath, served.path)
      replacements.push({ reference: local.reference, url: `${url}${local.suffix}` })
    }
    if (replacements.length > 0) asset.contents = new Uint8Array(Buffer.from(replaceReferences(textOf(asset), replacements), 'utf8'))
    return pending
  }
}

function textOf(asset: Asset): string {
  return Buffer.from(asset.contents ?? new Uint8Array()).toString('utf8')
}

function position(error: { line?: number | undefined; column?: number | undefined }): { line?: number; column?: number } {
  return { ...(error.line === undefined ? {} : { line: error.line }), ...(error.column === undefined ? {} : { column: error.column }) }
}
