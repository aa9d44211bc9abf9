import { createWriteStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { COMPRESS_DEFAULTS, planVariants, resolveCompressOptions, type CompressOptions } from './compress.js'
import { ENCODINGS, type Encoding, type EncodingName } from './encodings.js'

/** How much of a file {@link compressFile} looks at to tell text from binary (brotli's text mode). */
export const TEXT_SNIFF_BYTES = 64 * 1024

export interface CompressFileOptions extends CompressOptions {
  /**
   * The file each variant is written to, per encoding; it must not exist yet. Default: beside the input, with the
   * encoding's extension (`app.js` → `app.js.gz`, `app.js.br`).
   */
  readonly outputs?: { readonly [name in EncodingName]?: string | undefined } | undefined
  /** Called with every chunk of the input as it is compressed: to hash exactly the bytes the variants are made of. */
  readonly onInput?: ((chunk: Uint8Array) => void) | undefined
}

/** A variant {@link compressFile} kept: where it is and its size in bytes. */
export interface CompressedFile {
  readonly path: string
  readonly size: number
}

/** The variants worth keeping, by encoding name; a missing key means that variant was off or not small enough (no file). */
export type CompressedFiles = { readonly [name in EncodingName]?: CompressedFile }

/** A variant that is dropped rather than failing the call: no file, no error. */
class Dropped extends Error {}

/** A variant that grew past `maxRatio` of the input: it is dropped, and the encoder stops at once. */
class TooLarge extends Dropped {}

/** zstd pledged the length the file had when opened, and the file has another now (it is being written to). */
class LengthChanged extends Dropped {}

/** Counts an encoder's output, fixes its platform bytes, and fails as soon as it is too large to keep. */
class OutputTap extends Transform {
  size = 0
  constructor(
    private readonly encoding: Encoding,
    private readonly limit: () => number,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.encoding.fixOutput?.(chunk, this.size)
    this.size += chunk.length
    if (this.size > this.limit()) callback(new TooLarge())
    else callback(null, chunk)
  }
}

/**
 * Compresses a file into one file per encoding, streaming: memory stays at the encoders' own state whatever the
 * file's size. The input is read once and fed to every encoder at the pace of the slowest. Levels, the large-input
 * cap and the `maxRatio` rule are those of {@link compress} (for the same bytes, the same variants); a variant that
 * grows past `maxRatio` of the input is stopped early and its file removed. Text is detected from the first
 * {@link TEXT_SNIFF_BYTES} (valid UTF-8 without NUL bytes) unless `text` is given. zstd writes the file's length in
 * its header: a file whose length changes while it is read (still being written) gets no zstd variant. On a failure,
 * every output file made is removed.
 *
 * @example
 * const { gzip, br } = await compressFile('dist/app.log', { outputs: { gzip: 'out/app.log.gz', br: 'out/app.log.br' } })
 * gzip?.size // bytes of out/app.log.gz
 */
export async function compressFile(input: string, options: CompressFileOptions = {}): Promise<CompressedFiles> {
  const resolved = resolveCompressOptions(options)
  const maxRatio = options.maxRatio ?? COMPRESS_DEFAULTS.maxRatio
  const handle = await open(input, 'r')
  const variants: Variant[] = []
  try {
    const { size } = await handle.stat()
    if (size === 0 || resolved.encodings.length === 0) return {}
    const head = Buffer.alloc(Math.min(size, TEXT_SNIFF_BYTES))
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    const text = options.text ?? looksLikeText(head.subarray(0, bytesRead), bytesRead < size)
    let read = 0
    // A stat taken before reading may be behind a file that grows: the limit follows whichever is larger.
    const limit = (): number => maxRatio * Math.max(size, read)
    for (const { name, level } of planVariants(size, text, resolved)) {
      const encoding: Encoding = ENCODINGS[name]
      const encoder = encoding.createEncoder(level, { text, size })
      const tap = new OutputTap(encoding, limit)
      const path = options.outputs?.[name] ?? `${input}${encoding.extension}`
      const variant: Variant = { name, path, encoder, tap, failure: undefined, done: pipeline(encoder, tap, createWriteStream(path, { flags: 'wx' })) }
      variant.done.catch((error: unknown) => (variant.failure = encoderFailure(name, error)))
      variants.push(variant)
    }
    const going = (): Variant[] => variants.filter((variant) => variant.failure === undefined && !variant.encoder.destroyed)
    const fatal = (): Error | undefined => variants.find((variant) => variant.failure !== undefined && !(variant.failure instanceof Dropped))?.failure
    try {
      for await (const chunk of handle.createReadStream({ start: 0, autoClose: false })) {
        const bytes = chunk as Buffer
        read += bytes.length
        options.onInput?.(bytes)
        const writing = going()
        // Every variant dropped: nothing left to make, unless the caller still wants to see every byte.
        if (writing.length === 0 && options.onInput === undefined) break
        // Backpressure: the next chunk waits until every encoder still going has taken this one.
        await Promise.all(writing.flatMap((variant) => (variant.encoder.write(bytes) ? [] : [drained(variant.encoder, variant.done)])))
        const failure = fatal()
        if (failure !== undefined) throw failure
      }
      for (const variant of going()) variant.encoder.end()
      await Promise.allSettled(variants.map((variant) => variant.done))
      const failure = fatal()
      if (failure !== undefined) throw failure
    } catch (error) {
      for (const variant of variants) variant.encoder.destroy()
      await Promise.allSettled(variants.map((variant) => variant.done))
      throw error
    }
    const kept: Partial<Record<EncodingName, CompressedFile>> = {}
    for (const variant of variants) {
      if (variant.failure === undefined && read > 0 && variant.tap.size <= maxRatio * read) kept[variant.name] = { path: variant.path, size: variant.tap.size }
      else await rm(variant.path, { force: true })
    }
    return kept
  } catch (error) {
    // Only the files this call made: an output that existed already (EEXIST) is someone else's.
    await Promise.all(variants.filter((variant) => !isErrorCode(variant.failure, 'EEXIST')).map((variant) => rm(variant.path, { force: true })))
    throw error
  } finally {
    await handle.close()
  }
}

interface Variant {
  readonly name: EncodingName
  readonly path: string
  readonly encoder: Transform
  readonly tap: OutputTap
  readonly done: Promise<void>
  failure: Error | undefined
}

function encoderFailure(name: EncodingName, error: unknown): Error {
  if (isErrorCode(error, 'ZSTD_error_srcSize_wrong')) return new LengthChanged()
  return error instanceof Error ? error : new Error(`the ${name} encoder failed: ${String(error)}`)
}

function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code
}

/** Resolves when `encoder` can take more, or when its pipeline has ended (failed: it will never drain). */
function drained(encoder: Transform, done: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      encoder.off('drain', finish)
      resolve()
    }
    encoder.once('drain', finish)
    done.then(finish, finish)
  })
}

/** Valid UTF-8 without NUL bytes, as far as `head` goes; `partial` when the file goes on (a character may be cut). */
function looksLikeText(head: Uint8Array, partial: boolean): boolean {
  if (head.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: partial })
    return true
  } catch {
    return false
  }
}
