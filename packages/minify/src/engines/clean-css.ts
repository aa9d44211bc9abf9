import { createRequire } from 'node:module'
import type CleanCSS from 'clean-css'
import { engineError, syntaxError } from '../errors.js'
import type { CssEngine } from '../types.js'

// One instance per level: clean-css keeps no state between minify() calls.
const minifiers = new Map<1 | 2, CleanCSS.MinifierOutput>()

function minifier(level: 1 | 2): CleanCSS.MinifierOutput {
  let instance = minifiers.get(level)
  if (!instance) {
    // References are already final when we minify: never rebase them, never inline `@import`s.
    // Required on first use (clean-css is CommonJS): a run whose outputs all come from the cache never loads it.
    const CleanCss = createRequire(import.meta.url)('clean-css') as typeof CleanCSS
    instance = new CleanCss({ level, rebase: false, inline: false, returnPromise: false })
    minifiers.set(level, instance)
  }
  return instance
}

/**
 * clean-css. It never throws on bad input: it drops what it cannot parse and reports it in `errors`/`warnings`
 * (`Invalid character(s) '…' at 3:7. Ignoring.`). Its output is then missing rules the browser would have applied
 * (CSS nesting, for one), so any reported problem fails the file and the caller keeps the original.
 */
export const cleanCssEngine: CssEngine = {
  name: 'clean-css',
  minify(code, { filename, level }) {
    let output: CleanCSS.Output
    try {
      output = minifier(level).minify(code)
    } catch (error) {
      return Promise.reject(engineError(filename, 'clean-css', error))
    }
    const problems = [...output.errors, ...output.warnings]
    if (problems.length === 0) return Promise.resolve({ code: output.styles, warnings: [] })
    // Report the earliest problem in the file: clean-css lists tokenizer problems before optimizer ones.
    const { reason, location } = problems.map(parseProblem).reduce((best, problem) => (isBefore(problem, best) ? problem : best))
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''
    return Promise.reject(syntaxError(filename, `clean-css: ${reason}${more}`, location, problems))
  },
}

interface Problem {
  readonly reason: string
  readonly location: { readonly line?: number; readonly column?: number }
}

// `Invalid character(s) 'x' at 3:7. Ignoring.` — a 1-based line and a 0-based column, sometimes after a source name.
const position = / at (?:.*:)?(\d+):(\d+)(?=\.|$)/

function parseProblem(text: string): Problem {
  const at = position.exec(text)
  const reason = text.replace(position, '').replace(/\.(?: Ignoring\.| Removing\.)?$/, '')
  return { reason, location: at ? { line: Number(at[1]), column: Number(at[2]) + 1 } : {} }
}

function isBefore(a: Problem, b: Problem): boolean {
  const lineA = a.location.line ?? Infinity
  const lineB = b.location.line ?? Infinity
  return lineA < lineB || (lineA === lineB && (a.location.column ?? 0) < (b.location.column ?? 0))
}
