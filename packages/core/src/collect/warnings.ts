import type { Warning } from './asset.js'

/** Longest warning message kept; a longer one keeps its start and its end (where tools put the position). */
export const MAX_WARNING_LENGTH = 400
const HEAD = 280
const TAIL = 100

/**
 * A warning's text made safe to print and store: control characters escaped (`\u0000`, `\x1b` …, so a NUL byte or a
 * terminal escape in a file never reaches the terminal raw) and the length bounded to an excerpt, so a tool that
 * quotes a whole 10 MB file in its message cannot flood stderr or `--json`.
 *
 * @example
 * boundText('bad \u0000 byte') // 'bad \\u0000 byte'
 */
export function boundText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\r?\n/g, ' ⏎ ')
  if (escaped.length <= MAX_WARNING_LENGTH) return escaped
  const omitted = escaped.length - HEAD - TAIL
  return `${escaped.slice(0, HEAD)} …[${omitted} characters left out]… ${escaped.slice(-TAIL)}`
}

/** The same warning with its message (and file name) bounded and escaped. */
export function boundWarning(warning: Warning): Warning {
  return {
    ...warning,
    message: boundText(warning.message),
    ...(warning.file === undefined ? {} : { file: boundText(warning.file) }),
  }
}

/** Warnings of one step and kind, in the order they were found. */
export interface WarningGroup {
  readonly step: string
  readonly kind: string | undefined
  readonly warnings: readonly Warning[]
}

/** Groups warnings by step and kind, groups in order of their first warning. */
export function groupWarnings(warnings: readonly Warning[]): WarningGroup[] {
  const groups = new Map<string, { step: string; kind: string | undefined; warnings: Warning[] }>()
  for (const warning of warnings) {
    const key = `${warning.step}\0${warning.kind ?? ''}`
    let group = groups.get(key)
    if (group === undefined) groups.set(key, (group = { step: warning.step, kind: warning.kind, warnings: [] }))
    group.warnings.push(warning)
  }
  return [...groups.values()]
}

/** Groups up to this size are printed warning by warning; larger ones as one line. */
export const GROUP_THRESHOLD = 3
/** How many places a grouped line names. */
const NAMED_IN_GROUP = 3

export interface FormatWarningsOptions {
  /** `verbose`: every warning on its own line. `grouped`: large groups as one line. `count`: one line in all. */
  readonly mode: 'verbose' | 'grouped' | 'count'
  /** Turns an absolute file name into what the user should see (e.g. relative to the working directory). */
  readonly displayFile?: (file: string) => string
}

/** The lines (without a trailing newline) the CLI prints for a run's warnings. */
export function formatWarnings(warnings: readonly Warning[], options: FormatWarningsOptions): string[] {
  if (warnings.length === 0) return []
  if (options.mode === 'count') return [`convoy: ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (run without --quiet to see them)`]
  const display = options.displayFile ?? ((file: string) => file)
  const where = (warning: Warning): string => {
    if (warning.file === undefined) return ''
    return `${display(warning.file)}${warning.line === undefined ? '' : `:${warning.line}${warning.column === undefined ? '' : `:${warning.column}`}`}`
  }
  const line = (warning: Warning): string => {
    const place = where(warning)
    return `convoy: warning: ${place === '' ? '' : `${place}: `}${warning.message} [${warning.step}]`
  }
  if (options.mode === 'verbose') return warnings.map(line)
  const lines: string[] = []
  for (const group of groupWarnings(warnings)) {
    if (group.warnings.length <= GROUP_THRESHOLD || group.kind === undefined) {
      lines.push(...group.warnings.map(line))
      continue
    }
    const first = group.warnings[0]!
    const named = group.warnings.slice(0, NAMED_IN_GROUP).map(where).filter((place) => place !== '')
    const more = group.warnings.length - named.length
    lines.push(`convoy: warning: ${group.warnings.length} × ${group.kind} [${group.step}]: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''} (--verbose lists all), e.g. ${first.message}`)
  }
  return lines
}
