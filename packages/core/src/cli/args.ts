import { parseArgs } from 'node:util'
import { ConvoyError } from '@convoy/errors'
import { isBaseUrl } from '../load-config.js'

/** One flag of one command: how it is parsed, and how `--help` shows it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  readonly multiple?: boolean
  readonly short?: string
  /** The value's placeholder in the help (`DIR`, `N`). */
  readonly value?: string
  /** What the value must be, for messages: `a directory`. */
  readonly expects?: string
  readonly description: string
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>

/** A command of the `convoy` CLI, as parsed and as shown by `--help`. */
export interface CommandSpec {
  readonly name: string
  /** The command's line in `convoy --help`. */
  readonly summary: string
  /** The usage line(s) after `convoy `. */
  readonly usage: string
  readonly flags: FlagSpecs
  /** The positional argument, when the command takes one. */
  readonly positional?: { readonly name: string; readonly description: string }
  /** Paragraphs after the options. */
  readonly notes?: readonly string[]
}

/** The flags as parsed: strings, string lists (`multiple`) and booleans. */
export type FlagValues = Readonly<Record<string, string | readonly string[] | boolean | undefined>>

/**
 * Parses a command's arguments. Every mistake is an `ERR_CONVOY_USAGE` that names the flag, what it got and what it
 * expects: node:util's own messages ("argument is ambiguous") name none of that, so parsing is lenient and every
 * token is checked here.
 */
export function parseCommandArgs(command: CommandSpec, args: readonly string[], others: readonly CommandSpec[]): { flags: FlagValues; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(command.flags).map(([name, spec]) => [name, { type: spec.type, ...(spec.multiple === true ? { multiple: true } : {}), ...(spec.short === undefined ? {} : { short: spec.short }) }]),
  )
  const { values, positionals, tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true })
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (command.positional !== undefined && positionals.length <= 1) continue
      throw usage(
        command.positional === undefined
          ? `unexpected argument "${token.value}": convoy ${command.name} takes none${command.flags.source === undefined ? '' : ` (a source directory is given as --source ${token.value})`}`
          : `unexpected arguments "${positionals.join('", "')}": convoy ${command.name} takes at most one ${command.positional.name}`,
        command,
      )
    }
    if (token.kind !== 'option') continue
    const spec = Object.hasOwn(command.flags, token.name) ? command.flags[token.name] : undefined
    if (spec === undefined) throw usage(unknownFlag(command, token.rawName, token.name, others), command)
    const flag = `--${token.name}`
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw usage(`${flag} takes no value, got "${token.rawName}=${token.value}"`, command)
      continue
    }
    const expected = spec.expects ?? 'a value'
    if (token.value === undefined) throw usage(`${flag} needs ${expected}`, command)
    // node:util takes whatever follows as the value; a flag there means the value was forgotten.
    if (!token.inlineValue && token.value.startsWith('-') && !/^-\d/.test(token.value)) {
      throw usage(`${flag} needs ${expected}, got the flag "${token.value}" (to pass a value starting with "-", write ${flag}=${token.value})`, command)
    }
    if (token.value === '') throw usage(`${flag} needs ${expected}, got an empty value`, command)
  }
  return { flags: values, positionals }
}

/** `--keep 3`: a whole number of at least `min`. */
export function wholeNumberFlag(value: string | undefined, flag: string, what: string, min: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new ConvoyError('ERR_CONVOY_USAGE', `${flag} takes a whole number of ${what}, at least ${min}; got "${value}"`)
  }
  return Number(value)
}

/** `--age 3600`, `--lock-timeout 0.5`: a number of seconds, at least 0. */
export function secondsFlag(value: string | undefined, flag: string, example: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+(?:\.\d+)?$/.test(value) || !Number.isFinite(Number(value))) {
    throw new ConvoyError('ERR_CONVOY_USAGE', `${flag} takes a number of seconds, at least 0 (e.g. ${flag} ${example}); got "${value}"`)
  }
  return Number(value)
}

/** `--format ts`: one of a few words. */
export function choiceFlag<const Choice extends string>(value: string | undefined, flag: string, choices: readonly Choice[]): Choice | undefined {
  if (value === undefined) return undefined
  if (!(choices as readonly string[]).includes(value)) throw new ConvoyError('ERR_CONVOY_USAGE', `${flag} takes ${choices.join(' or ')}; got "${value}"`)
  return value as Choice
}

/** `--base-url /static/`: a path from the site's root, or an absolute URL. */
export function baseUrlFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!isBaseUrl(value)) {
    throw new ConvoyError('ERR_CONVOY_USAGE', `--base-url takes a URL path from the site's root, such as /static/, or an absolute URL, such as https://cdn.example.com/static/; got "${value}"`)
  }
  return value
}


/** `--help` of one command. */
export function formatCommandHelp(command: CommandSpec): string {
  const rows = Object.entries(command.flags).map(([name, spec]) => [`${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`, spec.description] as const)
  const positional = command.positional === undefined ? [] : [[command.positional.name, command.positional.description] as const]
  const width = Math.max(...[...rows, ...positional].map(([left]) => left.length))
  const line = ([left, description]: readonly [string, string]): string => `  ${left.padEnd(width)}  ${description}`
  return [
    `Usage: convoy ${command.usage}`,
    '',
    command.summary,
    ...(positional.length === 0 ? [] : ['', 'Arguments:', ...positional.map(line)]),
    '',
    'Options:',
    ...rows.map(line),
    ...(command.notes ?? []).flatMap((note) => ['', note]),
    '',
  ].join('\n')
}

function usage(message: string, command: CommandSpec): ConvoyError {
  return new ConvoyError('ERR_CONVOY_USAGE', `${message} (see convoy ${command.name} --help)`)
}

function unknownFlag(command: CommandSpec, rawName: string, name: string, others: readonly CommandSpec[]): string {
  const known = Object.keys(command.flags)
  // A typo (one edit in a short name, two in a longer one) or a longer or shorter spelling (--output, --dry).
  const near = known.filter((candidate) => name.length > 1 && (distance(candidate, name) <= (name.length <= 4 ? 1 : 2) || name.startsWith(candidate) || candidate.startsWith(name)))
  if (near.length > 0) return `unknown option ${rawName} for convoy ${command.name}: did you mean ${near.map((candidate) => `--${candidate}`).join(' or ')}?`
  const elsewhere = others.filter((other) => other !== command && Object.hasOwn(other.flags, name)).map((other) => `convoy ${other.name}`)
  if (elsewhere.length > 0) return `unknown option ${rawName} for convoy ${command.name} (it is an option of ${elsewhere.join(' and ')})`
  return `unknown option ${rawName} for convoy ${command.name}`
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}
