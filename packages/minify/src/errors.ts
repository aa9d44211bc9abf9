import { ConvoyError } from '@convoy/errors'

/** Where a syntax problem is, as the engines report it once converted to 1-based line and column. */
export interface ProblemLocation {
  readonly line?: number | undefined
  readonly column?: number | undefined
}

/**
 * The error every engine throws for input it cannot minify: `ERR_CONVOY_STEP` with `file:line:col` in the
 * message and as fields, so the caller can warn and serve the file unminified.
 */
export function syntaxError(file: string, reason: string, location: ProblemLocation, cause: unknown): ConvoyError {
  const { line, column } = location
  const where = line === undefined ? file : column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`
  return new ConvoyError('ERR_CONVOY_STEP', `@convoy/minify: ${where}: ${reason}`, {
    file,
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
    cause,
  })
}

/** Any other failure of an engine on one file (an internal crash, not the input's fault as far as we can tell). */
export function engineError(file: string, engine: string, cause: unknown): ConvoyError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new ConvoyError('ERR_CONVOY_STEP', `@convoy/minify: ${file}: ${engine} failed: ${firstLine(reason)}`, { file, cause })
}

export function firstLine(text: string): string {
  const newline = text.indexOf('\n')
  return (newline === -1 ? text : text.slice(0, newline)).trim()
}

/** 1-based line and column of a string offset. */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line += 1
    lineStart = index + 1
  }
  return { line, column: offset - lineStart + 1 }
}
