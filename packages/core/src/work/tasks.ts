import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { ConvoyError, isConvoyError, type ConvoyErrorCode } from '@convoy/errors'
import { compressFile, compressSync, DELTA_ENCODERS, type CompressedVariants, type CompressOptions, type EncodingName } from '@convoy/gzip'
import type { DeltaEncoding } from '@convoy/storage'
import { minifyCss, minifyJs, type MinifyCssOptions, type MinifyJsOptions } from '@convoy/minify'

/**
 * The CPU-heavy work of `collect`, as plain data so it can cross to a worker thread. Code may be given as UTF-8
 * bytes (decoded on the worker, so no string copy waits in the queue).
 *
 * - `compress`: variants of bytes in memory;
 * - `compress-file`: variants of a file the worker reads whole (a file below the stream threshold: its bytes are
 *   never held by the main thread);
 * - `compress-to-files`: a large file compressed by streaming, each variant into its file of `outputs` (the sizes
 *   come back; a variant not kept has no file);
 * - `delta`: `target` compressed against `dictionary` in a delta encoding (RFC 9842 framing), checked by decoding it.
 *
 * With `integrity` (the SRI the read stage computed), the bytes compressed are checked against it: a file that
 * changed since it was hashed fails the task rather than yield variants of other bytes than its name says.
 */
export type Task =
  | { readonly kind: 'minify-js'; readonly code: string | Uint8Array; readonly options: MinifyJsOptions }
  | { readonly kind: 'minify-css'; readonly code: string | Uint8Array; readonly options: MinifyCssOptions }
  | { readonly kind: 'compress'; readonly data: Uint8Array; readonly options: CompressOptions }
  | { readonly kind: 'compress-file'; readonly file: string; readonly size: number; readonly integrity?: string; readonly options: CompressOptions }
  | {
      readonly kind: 'compress-to-files'
      readonly file: string
      readonly size: number
      readonly integrity?: string
      readonly outputs: { readonly [name in EncodingName]?: string }
      readonly options: CompressOptions
    }
  | { readonly kind: 'delta'; readonly encoding: DeltaEncoding; readonly target: Uint8Array; readonly dictionary: Uint8Array; readonly level: number }

export type TaskResult =
  | { readonly kind: 'minified'; readonly code: string; readonly map?: string; readonly warnings?: readonly string[] }
  | { readonly kind: 'compressed'; readonly variants: CompressedVariants }
  /** The byte size of each variant kept, written to its file of the task's `outputs`. */
  | { readonly kind: 'compressed-files'; readonly sizes: { readonly [name in EncodingName]?: number } }
  | { readonly kind: 'delta'; readonly bytes: Uint8Array }

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
        const result = await minifyJs(textOf(task.code), task.options)
        return { kind: 'minified', code: result.code, ...(result.map === undefined ? {} : { map: result.map }) }
      }
      case 'minify-css': {
        const result = await minifyCss(textOf(task.code), task.options)
        return { kind: 'minified', code: result.code, warnings: result.warnings }
      }
      case 'compress': {
        return { kind: 'compressed', variants: compressSync(task.data, task.options) }
      }
      case 'compress-file': {
        const data = await readFile(task.file)
        if (task.integrity !== undefined) assertIntegrity(task.file, task.integrity, createHash('sha384').update(data))
        return { kind: 'compressed', variants: compressSync(data, task.options) }
      }
      case 'compress-to-files': {
        const sri = task.integrity === undefined ? undefined : createHash('sha384')
        const files = await compressFile(task.file, { ...task.options, outputs: task.outputs, ...(sri === undefined ? {} : { onInput: (chunk: Uint8Array) => sri.update(chunk) }) })
        try {
          if (sri !== undefined) assertIntegrity(task.file, task.integrity!, sri)
        } catch (error) {
          await Promise.all(Object.values(files).map((kept) => rm(kept.path, { force: true })))
          throw error
        }
        return { kind: 'compressed-files', sizes: Object.fromEntries(Object.entries(files).map(([name, kept]) => [name, kept.size])) }
      }
      case 'delta': {
        const encoder = DELTA_ENCODERS[task.encoding]
        const bytes = encoder.encodeSync(task.target, task.dictionary, task.level)
        // A delta a browser could not decode would break the page it belongs to: each is decoded once, here.
        if (!Buffer.from(encoder.decode(bytes, task.dictionary)).equals(task.target)) throw new ConvoyError('ERR_CONVOY_STEP', `@convoy/core: a ${task.encoding} delta did not decode to its file`)
        return { kind: 'delta', bytes }
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

function textOf(code: string | Uint8Array): string {
  return typeof code === 'string' ? code : Buffer.from(code.buffer, code.byteOffset, code.byteLength).toString('utf8')
}

function assertIntegrity(file: string, expected: string, hash: ReturnType<typeof createHash>): void {
  if (`sha384-${hash.digest('base64')}` !== expected) {
    throw new ConvoyError('ERR_CONVOY_READ', `@convoy/core: ${file} changed while collect was running; nothing is published: run collect again`, { file })
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
