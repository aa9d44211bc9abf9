/**
 * Every error code Convoy throws. Documented in `packages/core/README.md#errors`; each one is tested.
 */
export const ERROR_CODES = {
  /** A config file could not be loaded, or holds an invalid option. Exit code 2. */
  ERR_CONVOY_CONFIG: 'invalid or unloadable configuration',
  /** The command line is wrong: unknown flag, missing value. Exit code 2. */
  ERR_CONVOY_USAGE: 'invalid command line',
  /** A source directory is missing or is not a directory. Exit code 2. */
  ERR_CONVOY_SOURCE: 'invalid source directory',
  /** An input file could not be read. Exit code 1. */
  ERR_CONVOY_READ: 'input file could not be read',
  /** A processing step failed on a file (or a warning became an error under `--strict`). Exit code 1. */
  ERR_CONVOY_STEP: 'a processing step failed',
  /** A reference points at a file that is not collected, under `--strict`. Exit code 1. */
  ERR_CONVOY_MISSING_REFERENCE: 'reference to a file that is not collected',
  /** A storage path is unsafe (`..`, absolute, backslash, NUL) or escapes the storage root. */
  ERR_CONVOY_STORAGE_PATH: 'unsafe storage path',
  /** The storage backend failed (disk full, permission, network, S3 error). Exit code 1. */
  ERR_CONVOY_STORAGE: 'storage operation failed',
  /** A manifest is missing, is not valid JSON, or has an unknown version. */
  ERR_CONVOY_MANIFEST: 'invalid or missing manifest',
  /** `url()`/`integrity()` was asked for a logical path the manifest does not know. */
  ERR_CONVOY_MISSING_ASSET: 'asset not in the manifest',
  /** A template tag got a bad argument at render time (e.g. `{% convoy %}` of an undefined variable). */
  ERR_CONVOY_TEMPLATE: 'bad template tag argument',
  /** A carpool bundle could not be built. */
  ERR_CONVOY_CARPOOL: 'carpool bundle could not be built',
  /** Another deploy holds the storage's lock, or changed the manifest under a conditional write, and retries ran out. Exit code 1. */
  ERR_CONVOY_CONFLICT: 'concurrent deploy to the same storage',
} as const

export type ConvoyErrorCode = keyof typeof ERROR_CODES

export interface ConvoyErrorOptions {
  readonly cause?: unknown
  /** The file the error is about, when there is one. */
  readonly file?: string
  /** 1-based line and column in `file`, when known. */
  readonly line?: number
  readonly column?: number
}

const brand = Symbol.for('convoy.error')

/**
 * The one error class of Convoy. `code` is one of {@link ERROR_CODES}; `cause` keeps the underlying error.
 *
 * @example
 * try { convoy.url('css/nope.css') } catch (error) {
 *   if (isConvoyError(error) && error.code === 'ERR_CONVOY_MISSING_ASSET') { ... }
 * }
 */
export class ConvoyError extends Error {
  override name = 'ConvoyError'
  readonly code: ConvoyErrorCode
  readonly file: string | undefined
  readonly line: number | undefined
  readonly column: number | undefined

  constructor(code: ConvoyErrorCode, message: string, options: ConvoyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.file = options.file
    this.line = options.line
    this.column = options.column
    Object.defineProperty(this, brand, { value: true })
  }

  /** `file:line:col` where known, for messages. */
  get location(): string | undefined {
    if (this.file === undefined) return undefined
    if (this.line === undefined) return this.file
    return this.column === undefined ? `${this.file}:${this.line}` : `${this.file}:${this.line}:${this.column}`
  }
}

/** True for any `ConvoyError`, even one thrown by another installed copy of `@convoy/core`. */
export function isConvoyError(error: unknown): error is ConvoyError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true
}
