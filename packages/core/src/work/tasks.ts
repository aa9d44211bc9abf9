import { ConvoyError, isConvoyError, type ConvoyErrorCode } from '@convoy/errors'
import { compressSync, type CompressedVariants, type CompressOptions } from '@convoy/gzip'
import { minifyCss, minifyJs, type MinifyCssOptions, type MinifyJsOptions } from '@convoy/minify'

/** The CPU-heavy work of `collect`, as plain data so it can cross to a worker thread. */
export type Task =
  | { readonly kind: 'minify-js'; readonly code: string; readonly options: MinifyJsOptions }
  | { readonly kind: 'minify-css'; readonly code: string; readonly options: MinifyCssOptions }
  | { readonly kind: 'compress'; readonly data: Uint8Array; readonly options: CompressOptions }

export type TaskResult =
  | { readonly kind: 'minified'; readonly code: string; readonly map?: string; readonly warnings?: readonly string[] }
  | { readonly kind: 'compressed'; readonly variants: CompressedVariants }

/** A ConvoyError flattened for the trip between threads (structured clone keeps only message and stack). */
export interface TaskFailure {
  readonly kind: 'failed'
  readonly code: ConvoyErrorCode
  readonly message: string
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

/** Runs one task; never throws, so worker and inline runs report failures the same way. */
export async function runTask(task: Task): Promise<TaskResult | TaskFailure> {
  try {
    switch (task.kind) {
      case 'minify-js': {
        const result = await minifyJs(task.code, task.options)
        return { kind: 'minified', code: result.code, ...(result.map === undefined ? {} : { map: result.map }) }
      }
      case 'minify-css': {
        const result = await minifyCss(task.code, task.options)
        return { kind: 'minified', code: result.code, warnings: result.warnings }
      }
      case 'compress': {
        return { kind: 'compressed', variants: compressSync(task.data, task.options) }
      }
    }
  } catch (error) {
    if (isConvoyError(error)) {
      return {
        kind: 'failed',
        code: error.code,
        message: error.message,
        ...(error.file === undefined ? {} : { file: error.file }),
        ...(error.line === undefined ? {} : { line: error.line }),
        ...(error.column === undefined ? {} : { column: error.column }),
      }
    }
    return { kind: 'failed', code: 'ERR_CONVOY_STEP', message: error instanceof Error ? error.message : String(error) }
  }
}

/** Turns a failure back into the ConvoyError it was. */
export function errorOf(failure: TaskFailure): ConvoyError {
  return new ConvoyError(failure.code, failure.message, {
    ...(failure.file === undefined ? {} : { file: failure.file }),
    ...(failure.line === undefined ? {} : { line: failure.line }),
    ...(failure.column === undefined ? {} : { column: failure.column }),
  })
}
