import { isUtf8 } from 'node:buffer'
import { ConvoyError } from '@convoy/errors'
import { DEFAULT_ENCODINGS, ENCODINGS, isEncodingName, type Encoding, type EncodingName } from './encodings.js'

/**
 * The defaults of {@link compress}: gzip and brotli (zstd is opt-in), gzip level 9, brotli quality 11, zstd level 19,
 * variants kept at ≤ 95% of the original; inputs above 4 MiB get brotli quality 9 and zstd level 15 at most (the top
 * levels cost seconds per megabyte, so one huge file would dominate a deploy, for a gain of a few percent).
 */
export const COMPRESS_DEFAULTS = Object.freeze({
  encodings: DEFAULT_ENCODINGS,
  gzipLevel: ENCODINGS.gzip.defaultLevel,
  brotliQuality: ENCODINGS.br.defaultLevel,
  maxRatio: 0.95,
  largeInputBytes: 4 * 1024 * 1024,
  largeInputBrotliQuality: ENCODINGS.br.largeInputLevel,
})

/** A level per encoding name, e.g. `{ gzip: 9, br: 11 }`. */
export type EncodingLevels = { readonly [name in EncodingName]?: number | undefined }

/** The one shape of compression settings, shared by `@convoy/gzip`, `collect`'s `compress` config and the carpool builder. */
export interface CompressOptions {
  /**
   * Which variants to make. Default `['gzip', 'br']`. `'zstd'` is opt-in, and only made where node:zlib has it
   * (Node ≥ 22.15): elsewhere it is left out, and said so in {@link ResolvedCompressOptions}`.skipped`.
   */
  readonly encodings?: readonly EncodingName[] | undefined
  /** Level per encoding (gzip 0–9, br 0–11, zstd 0–19, where 0 is zstd's default, 3). Default each encoding's highest. */
  readonly levels?: EncodingLevels | undefined
  /** A variant is returned only when its size is at most `maxRatio` × the original size. Default `0.95`. */
  readonly maxRatio?: number | undefined
  /** Tell brotli the input is UTF-8 text. Default: detected (valid UTF-8 without NUL bytes). */
  readonly text?: boolean | undefined
  /**
   * Inputs larger than `bytes` (default 4 MiB) are compressed at `levels` at most, for the encodings whose top levels are
   * slow (default `{ br: 9, zstd: 15 }`); `false` uses the chosen levels whatever the size.
   */
  readonly largeInput?: false | { readonly bytes?: number | undefined; readonly levels?: EncodingLevels | undefined; /** @deprecated use `levels: { br }` */ readonly brotliQuality?: number | undefined } | undefined
  /** @deprecated use `encodings` and `levels.gzip`. `false` for no gzip variant. */
  readonly gzip?: false | { readonly level?: number | undefined } | undefined
  /** @deprecated use `encodings` and `levels.br`. `false` for no brotli variant. */
  readonly brotli?: false | { readonly quality?: number | undefined } | undefined
}

/** Compression settings with every default filled in and every value checked, as {@link resolveCompressOptions} returns them. */
export interface ResolvedCompressOptions {
  /** The encodings to make: those asked for that this Node.js can encode. */
  readonly encodings: readonly EncodingName[]
  readonly levels: Readonly<Record<EncodingName, number>>
  readonly maxRatio: number
  readonly largeInput: false | { readonly bytes: number; readonly levels: EncodingLevels }
  /**
   * The encodings asked for that this Node.js cannot encode, left out of `encodings`, each with a one-line reason
   * (`Encoding.unavailable()`), e.g. zstd on Node 20: for the caller to say once. Empty when nothing was left out.
   */
  readonly skipped: readonly { readonly name: EncodingName; readonly reason: string }[]
}

/** The compressed variants worth keeping, by encoding name; a missing key means that variant was off or not small enough. */
export type CompressedVariants = { readonly [name in EncodingName]?: Uint8Array }

/**
 * Fills in the defaults and checks every value once; the deprecated `gzip`/`brotli` keys are turned into `encodings`
 * and `levels`. Throws `ERR_CONVOY_CONFIG` for an unknown encoding or a level out of range. A known encoding this
 * Node.js cannot encode (zstd before Node 22.15) is no error: it is left out of `encodings` and listed in `skipped`.
 *
 * @example
 * resolveCompressOptions({ encodings: ['br'], levels: { br: 9 } }).levels.br // 9
 * resolveCompressOptions({ encodings: ['br', 'zstd'] }).skipped // [] on Node 22.15 and later; on Node 20:
 * // [{ name: 'zstd', reason: 'node:zlib of Node v20.20.2 has no zstd (Node ≥ 22.15 has)' }]
 */
export function resolveCompressOptions(options: CompressOptions = {}): ResolvedCompressOptions {
  const maxRatio = options.maxRatio ?? COMPRESS_DEFAULTS.maxRatio
  if (typeof maxRatio !== 'number' || !(maxRatio > 0) || !Number.isFinite(maxRatio)) {
    throw configError(`maxRatio must be a positive number, got ${String(maxRatio)}`)
  }
  const legacy = options.gzip !== undefined || options.brotli !== undefined
  let encodings = options.encodings ?? DEFAULT_ENCODINGS
  if (legacy && options.encodings === undefined) encodings = DEFAULT_ENCODINGS.filter((name) => (name === 'gzip' ? options.gzip !== false : name === 'br' ? options.brotli !== false : true))
  for (const name of encodings) {
    if (!isEncodingName(name)) throw configError(`unknown encoding ${JSON.stringify(name)} (known: ${Object.keys(ENCODINGS).join(', ')})`)
  }
  const legacyLevels: EncodingLevels = {
    ...(options.gzip === false || options.gzip?.level === undefined ? {} : { gzip: options.gzip.level }),
    ...(options.brotli === false || options.brotli?.quality === undefined ? {} : { br: options.brotli.quality }),
  }
  const levels = {} as Record<EncodingName, number>
  for (const name of Object.keys(ENCODINGS) as EncodingName[]) {
    levels[name] = checkedLevel(name, options.levels?.[name] ?? legacyLevels[name] ?? ENCODINGS[name].defaultLevel)
  }
  let largeInput: ResolvedCompressOptions['largeInput'] = false
  if (options.largeInput !== false) {
    const capped: Record<string, number> = {}
    for (const name of Object.keys(ENCODINGS) as EncodingName[]) {
      const encoding: Encoding = ENCODINGS[name]
      const given = options.largeInput?.levels?.[name] ?? (name === 'br' ? options.largeInput?.brotliQuality : undefined)
      const level = given ?? encoding.largeInputLevel
      if (level !== undefined) capped[name] = checkedLevel(name, level, 'large-input ')
    }
    largeInput = { bytes: options.largeInput?.bytes ?? COMPRESS_DEFAULTS.largeInputBytes, levels: capped }
  }
  // A resolved shape given again keeps what was left out the first time (its `encodings` no longer name it).
  const skipped: { name: EncodingName; reason: string }[] = [...((options as { skipped?: ResolvedCompressOptions['skipped'] }).skipped ?? [])]
  const usable: EncodingName[] = []
  for (const name of new Set(encodings)) {
    const reason = ENCODINGS[name].unavailable()
    if (reason === undefined) usable.push(name)
    else if (!skipped.some((entry) => entry.name === name)) skipped.push({ name, reason })
  }
  return { encodings: usable, levels, maxRatio, largeInput, skipped }
}

/**
 * The variants of some bytes (gzip and brotli by default, zstd when asked for), compressed in parallel on libuv's
 * thread pool. The output is deterministic: gzip has no file name, a zero mtime and the same OS byte on every
 * platform. Empty input has no variants.
 *
 * @example
 * const { gzip, br } = await compress(await readFile('app.3f2a9c1d4b5e.cmin.js'))
 * if (gzip) await writeFile('app.3f2a9c1d4b5e.cmin.js.gz', gzip)
 * if (br) await writeFile('app.3f2a9c1d4b5e.cmin.js.br', br)
 */
export async function compress(data: Uint8Array, options: CompressOptions = {}): Promise<CompressedVariants> {
  const plan = planFor(data, options)
  const outputs = await Promise.all(plan.map(({ name, level, text }) => ENCODINGS[name].encode(data, level, { text })))
  return keep(data, options, plan, outputs)
}

/**
 * The synchronous {@link compress}, for worker threads that already run off the main thread.
 *
 * @example
 * const { gzip, br } = compressSync(new TextEncoder().encode(css), { levels: { br: 9 } })
 */
export function compressSync(data: Uint8Array, options: CompressOptions = {}): CompressedVariants {
  const plan = planFor(data, options)
  return keep(data, options, plan, plan.map(({ name, level, text }) => ENCODINGS[name].encodeSync(data, level, { text })))
}

/** One variant to make: its encoding, the level for this input's size, and whether the input is text. */
export interface PlannedVariant {
  readonly name: EncodingName
  readonly level: number
  readonly text: boolean
}

function planFor(data: Uint8Array, options: CompressOptions): PlannedVariant[] {
  const resolved = resolveCompressOptions(options) // checked even when there is nothing to compress
  if (data.length === 0) return []
  return planVariants(data.length, options.text ?? (isUtf8(data) && !data.includes(0)), resolved)
}

/**
 * The variants to make of an input of `length` bytes: the configured encodings at their levels, capped for large
 * inputs (`largeInput`). Shared with `compressFile`, so a streamed file gets the levels its bytes would in memory.
 */
export function planVariants(length: number, text: boolean, options: CompressOptions): PlannedVariant[] {
  // Resolving an already resolved shape gives it back unchanged, so workers can be sent either.
  const resolved = resolveCompressOptions(options)
  const large = resolved.largeInput !== false && length > resolved.largeInput.bytes ? resolved.largeInput.levels : {}
  return resolved.encodings.map((name) => ({ name, level: Math.min(resolved.levels[name], large[name] ?? Infinity), text }))
}

function keep(data: Uint8Array, options: CompressOptions, plan: readonly PlannedVariant[], outputs: readonly Uint8Array[]): CompressedVariants {
  const limit = (options.maxRatio ?? COMPRESS_DEFAULTS.maxRatio) * data.length
  const variants: Partial<Record<EncodingName, Uint8Array>> = {}
  plan.forEach(({ name }, index) => {
    const output = outputs[index]!
    if (output.length <= limit) variants[name] = output
  })
  return variants
}

function checkedLevel(name: EncodingName, value: unknown, what = ''): number {
  const max = ENCODINGS[name].maxLevel
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw configError(`the ${what}${ENCODINGS[name].levelName} must be an integer from 0 to ${max}, got ${String(value)}`)
  }
  return value
}

function configError(message: string): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/gzip: ${message}`)
}

/**
 * The version of each encoder of this Node.js, for cache keys: other versions may compress differently. `zstd` is
 * `'unknown'` on a Node.js without it.
 *
 * @example
 * compressorVersions() // { zlib: '1.3.1-e00f703', brotli: '1.1.0', zstd: '1.5.7' }
 */
export function compressorVersions(): Readonly<{ zlib: string; brotli: string; zstd: string }> {
  return { zlib: process.versions.zlib ?? 'unknown', brotli: process.versions.brotli ?? 'unknown', zstd: process.versions.zstd ?? 'unknown' }
}
