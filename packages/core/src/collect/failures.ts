import { ConvoyError, isConvoyError } from '@convoy/errors'

/** A failed run: every problem found, so one run shows them all. */
export interface CollectFailure {
  /** The stage that failed (`read`, `references`, `minify`, `compress`, `write`, `carpool`, `manifest` …). */
  readonly step: string
  readonly file: string
  readonly error: ConvoyError
}

/** A ConvoyError as it is, anything else wrapped with `code`, what was being done, and the cause kept. */
export function asConvoyError(error: unknown, code: ConvoyError['code'], context: string, file: string): ConvoyError {
  if (isConvoyError(error)) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new ConvoyError(code, `@convoy/core: ${context}: ${reason}`, { cause: error, file })
}

/** The error a failed run throws: the first failures in its message, all of them in `failures`. */
export function collectFailed(failures: readonly CollectFailure[]): ConvoyError & { failures: readonly CollectFailure[] } {
  // A dead storage fails every file the same way: show the first few, count the rest.
  const shown = failures.slice(0, 20).map((failure) => `  ${failure.error.message}`)
  const lines = failures.length > shown.length ? [...shown, `  … and ${failures.length - shown.length} more`] : shown
  const error = new ConvoyError(
    failures[0]!.error.code,
    `@convoy/core: collect failed with ${failures.length} error${failures.length === 1 ? '' : 's'}; nothing was published (the previous manifest is still in force):\n${lines.join('\n')}`,
  )
  return Object.assign(error, { failures })
}
