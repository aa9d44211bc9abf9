import { isUtf8 } from 'node:buffer'
import { promisify } from 'node:util'
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync, type BrotliOptions, type ZlibOptions } from 'node:zlib'
import { ConvoyError } from '@convoy/errors'

/**
 * The defaults of {@link compress}: gzip level 9, brotli quality 11, variants kept at ≤ 95% of the original; inputs
 * above 4 MiB get brotli quality 9 at most (quality 10–11 costs seconds per megabyte, so one huge file would dominate
 * a deploy, for a gain of a few percent).
 */
export const COMPRESS_DEFAULTS = Object.freeze({ gzipLevel: 9, brotliQuality: 11, maxRatio: 0.95, largeInputBytes: 4 * 1024 * 1024, largeInputBrotliQuality: 9 })

export interface CompressOptions {
  /** `false` for no gzip variant. Default `{ level: 9 }` (levels 0–9). */
  readonly gzip?: false | { readonly level?: number | undefined } | undefined
  /** `false` for no brotli variant. Default `{ quality: 11 }` (qualities 0–11). */
  readonly brotli?: false | { readonly quality?: number | undefined } | undefined
  /** A variant is returned only when its size is at most `maxRatio` × the original size. Default `0.95`. */
  readonly maxRatio?: number | undefined
  /** Tell brotli the input is UTF-8 text. Default: detected (valid UTF-8 without NUL bytes). */
  readonly text?: boolean | undefined
  /**
   * Inputs larger than `bytes` are brotli-compressed at `brotliQuality` at most. Default `{ bytes: 4 MiB,
   * brotliQuality: 9 }`; `false` uses the chosen quality whatever the size.
   */
  readonly largeInput?: false | { readonly bytes?: number | undefined; readonly brotliQuality?: number | undefined } | undefined
}

/** The compressed variants worth keeping; a missing key means that variant was off or not small enough. */
export interface CompressedVariants {
  readonly gzip?: Uint8Array
  readonly br?: Uint8Array
}

interface Plan {
  readonly gzip: ZlibOptions | undefined
  readonly brotli: BrotliOptions | undefined
  readonly limit: number
}

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)

/**
 * gzip and brotli variants of some bytes, compressed in parallel on libuv's thread pool. The gzip output is
 * deterministic: no file name, a zero mtime and the same OS byte on every platform. Empty input has no variants.
 *
 * @example
 * const { gzip, br } = await compress(await readFile('app.3f2a9c1d4b5e.cmin.js'))
 * if (gzip) await writeFile('app.3f2a9c1d4b5e.cmin.js.gz', gzip)
 * if (br) await writeFile('app.3f2a9c1d4b5e.cmin.js.br', br)
 */
export async function compress(data: Uint8Array, options: CompressOptions = {}): Promise<CompressedVariants> {
  const plan = planFor(data, options)
  if (plan === undefined) return {}
  const [gzipped, brotlied] = await Promise.all([
    plan.gzip && gzipAsync(data, plan.gzip),
    plan.brotli && brotliAsync(data, plan.brotli),
  ])
  return keep(plan, gzipped, brotlied)
}

/**
 * The synchronous {@link compress}, for worker threads that already run off the main thread.
 *
 * @example
 * const { gzip, br } = compressSync(new TextEncoder().encode(css), { brotli: { quality: 9 } })
 */
export function compressSync(data: Uint8Array, options: CompressOptions = {}): CompressedVariants {
  const plan = planFor(data, options)
  if (plan === undefined) return {}
  return keep(plan, plan.gzip && gzipSync(data, plan.gzip), plan.brotli && brotliCompressSync(data, plan.brotli))
}

function planFor(data: Uint8Array, options: CompressOptions): Plan | undefined {
  const maxRatio = options.maxRatio ?? COMPRESS_DEFAULTS.maxRatio
  if (typeof maxRatio !== 'number' || !(maxRatio > 0) || !Number.isFinite(maxRatio)) {
    throw configError(`maxRatio must be a positive number, got ${String(maxRatio)}`)
  }
  const level = options.gzip === false ? undefined : checked('gzip level', options.gzip?.level ?? COMPRESS_DEFAULTS.gzipLevel, 9)
  const chosenQuality =
    options.brotli === false ? undefined : checked('brotli quality', options.brotli?.quality ?? COMPRESS_DEFAULTS.brotliQuality, 11)
  const large = options.largeInput === false ? undefined : {
    bytes: options.largeInput?.bytes ?? COMPRESS_DEFAULTS.largeInputBytes,
    quality: checked('large-input brotli quality', options.largeInput?.brotliQuality ?? COMPRESS_DEFAULTS.largeInputBrotliQuality, 11),
  }
  const quality = chosenQuality !== undefined && large !== undefined && data.length > large.bytes ? Math.min(chosenQuality, large.quality) : chosenQuality
  if (data.length === 0) return undefined
  const text = options.text ?? (isUtf8(data) && !data.includes(0))
  return {
    limit: maxRatio * data.length,
    gzip: level === undefined ? undefined : { level },
    brotli:
      quality === undefined
        ? undefined
        : {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: quality,
              [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
              [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
            },
          },
  }
}

function keep(plan: Plan, gzipped: Buffer | undefined, brotlied: Buffer | undefined): CompressedVariants {
  const variants: { gzip?: Uint8Array; br?: Uint8Array } = {}
  if (gzipped && gzipped.length <= plan.limit) {
    // zlib writes the OS byte of the build platform (3 on Unix, 10 on Windows): make it the same everywhere.
    gzipped[9] = 3
    variants.gzip = gzipped
  }
  if (brotlied && brotlied.length <= plan.limit) variants.br = brotlied
  return variants
}

function checked(what: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw configError(`the ${what} must be an integer from 0 to ${max}, got ${String(value)}`)
  }
  return value
}

function configError(message: string): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/gzip: ${message}`)
}

/**
 * The zlib and brotli versions of this Node.js, for cache keys: other versions may compress differently.
 *
 * @example
 * compressorVersions() // { zlib: '1.3.1-e00f703', brotli: '1.1.0' }
 */
export function compressorVersions(): Readonly<{ zlib: string; brotli: string }> {
  return { zlib: process.versions.zlib ?? 'unknown', brotli: process.versions.brotli ?? 'unknown' }
}
