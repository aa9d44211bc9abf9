import { promisify } from 'node:util'
import type { Transform } from 'node:stream'
import type * as Zlib from 'node:zlib'
import { ConvoyError } from '@convoy/errors'
import { CONTENT_ENCODINGS, contentEncodingOfPath, type ContentEncoding } from '@convoy/storage'
import { zlib, ZSTD_MAX_WINDOW_LOG, zstdParams, zstdProblem, zstdZlib, type ZstdOptions } from './node-zlib.js'

/** What an encoder is told about its input besides the bytes. */
export interface EncodeHints {
  /** The input is UTF-8 text (brotli has a text mode). */
  readonly text: boolean
  /**
   * The input's length, for a stream whose bytes are not there yet: brotli's size hint, and zstd's pledged size
   * (written in its frame header; a zstd stream whose input turns out to have another length fails). Default: the
   * data's length, or unknown.
   */
  readonly size?: number
}

/**
 * One precompressed encoding: its `Content-Encoding` token, the extension of its siblings, its levels, and how to
 * produce its bytes. Everything else in Convoy (config checks, the compress stage, `Accept-Encoding` negotiation, the
 * servers) reads this table; its names and extensions come from `CONTENT_ENCODINGS` of `@convoy/storage` (which the
 * manifest and the storages read), so a new encoding is one entry there and one here (see docs/architecture.md).
 */
export interface Encoding {
  /** The `Content-Encoding` token, also the key of the manifest's `encodings` and of the `compress.levels` config. */
  readonly name: string
  /** Suffix of the sibling file, e.g. `.gz` (from `CONTENT_ENCODINGS`). */
  readonly extension: string
  /**
   * Which coding wins when an `Accept-Encoding` header gives several the same q: the highest number (identity is 0),
   * so the smaller body is sent.
   */
  readonly preference: number
  /** Other `Accept-Encoding` tokens meaning this coding, lower case, e.g. `x-gzip`. */
  readonly aliases?: readonly string[]
  /** What its level is called in messages, e.g. `brotli quality`. */
  readonly levelName: string
  /** Highest level (the lowest is 0). */
  readonly maxLevel: number
  readonly defaultLevel: number
  /**
   * The level is capped to this above {@link COMPRESS_DEFAULTS}`.largeInputBytes`: the top levels of some encoders
   * cost seconds per megabyte for a gain of a few percent.
   */
  readonly largeInputLevel?: number
  /** The library version that decides the bytes, for cache keys. */
  readonly version: string
  /**
   * Why this Node.js cannot encode it, as a one-line reason, or `undefined` when it can (found out by trying, once).
   * gzip and br are always there; zstd needs node:zlib's zstd (Node ≥ 22.15). The encoders below throw
   * `ERR_CONVOY_CONFIG` with this reason when it is not `undefined`.
   */
  unavailable(): string | undefined
  encodeSync(data: Uint8Array, level: number, hints: EncodeHints): Uint8Array
  encode(data: Uint8Array, level: number, hints: EncodeHints): Promise<Uint8Array>
  /**
   * A stream encoder, for inputs too large to hold in memory (`compressFile`). Its raw output still goes through
   * {@link fixOutput}, as `encode`'s does, to be the same bytes.
   */
  createEncoder(level: number, hints: EncodeHints): Transform
  /**
   * Makes output bytes the same on every platform, in place; `offset` is where `chunk` starts in the whole output (a
   * stream fixes chunk by chunk). gzip's OS byte.
   */
  fixOutput?(chunk: Uint8Array, offset: number): void
}

let gzipAsync: ((data: Uint8Array, options: Zlib.ZlibOptions) => Promise<Buffer>) | undefined
let brotliAsync: ((data: Uint8Array, options: Zlib.BrotliOptions) => Promise<Buffer>) | undefined
let zstdAsync: ((data: Uint8Array, options: ZstdOptions) => Promise<Buffer>) | undefined

// zlib writes the OS byte of the build platform (3 on Unix, 10 on Windows): make it the same everywhere.
const GZIP_OS_OFFSET = 9
const fixGzipOs = (chunk: Uint8Array, offset: number): void => {
  if (offset <= GZIP_OS_OFFSET && GZIP_OS_OFFSET < offset + chunk.length) chunk[GZIP_OS_OFFSET - offset] = 3
}
const unixGzip = (bytes: Buffer): Buffer => {
  fixGzipOs(bytes, 0)
  return bytes
}
const brotliParams = (size: number, level: number, hints: EncodeHints): { params: Record<number, number> } => {
  const { constants } = zlib()
  return {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: level,
      [constants.BROTLI_PARAM_SIZE_HINT]: size,
      [constants.BROTLI_PARAM_MODE]: hints.text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
    },
  }
}

const always = (): undefined => undefined

// Found out once per process: node:zlib does not change while it runs.
let zstdReason: { readonly reason: string | undefined } | undefined
const zstdUnavailable = (): string | undefined => (zstdReason ??= { reason: zstdProblem() }).reason

/** The zstd functions of node:zlib, or `ERR_CONVOY_CONFIG` saying why this Node.js has none. */
function zstd(): Required<ReturnType<typeof zstdZlib>> {
  const reason = zstdUnavailable()
  if (reason !== undefined) throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/gzip: cannot encode zstd: ${reason}`)
  return zstdZlib() as Required<ReturnType<typeof zstdZlib>>
}

/**
 * zstd options for an input of `size` bytes (unknown: `undefined`): the window is at most 8 MiB (browsers' limit),
 * and the size is pledged, so that the frame header carries it and a small file gets a small window (a decoder
 * then needs no more memory than the file).
 */
const zstdOptions = (level: number, size: number | undefined): ZstdOptions => ({
  params: zstdParams(level, ZSTD_MAX_WINDOW_LOG),
  ...(size === undefined ? {} : { pledgedSrcSize: size }),
})

/** Every encoding Convoy can precompress, in the order their siblings are listed. */
export const ENCODINGS = Object.freeze({
  gzip: {
    name: 'gzip',
    extension: CONTENT_ENCODINGS.gzip.extension,
    preference: 1,
    aliases: Object.freeze(['x-gzip']),
    levelName: 'gzip level',
    maxLevel: 9,
    defaultLevel: 9,
    version: `zlib ${process.versions.zlib ?? 'unknown'}`,
    unavailable: always,
    encodeSync: (data, level) => unixGzip(zlib().gzipSync(data, { level })),
    encode: async (data, level) => unixGzip(await (gzipAsync ??= promisify(zlib().gzip))(data, { level })),
    createEncoder: (level) => zlib().createGzip({ level }),
    fixOutput: fixGzipOs,
  },
  br: {
    name: 'br',
    extension: CONTENT_ENCODINGS.br.extension,
    preference: 2,
    levelName: 'brotli quality',
    maxLevel: 11,
    defaultLevel: 11,
    largeInputLevel: 9,
    version: `brotli ${process.versions.brotli ?? 'unknown'}`,
    unavailable: always,
    encodeSync: (data, level, hints) => zlib().brotliCompressSync(data, brotliParams(hints.size ?? data.length, level, hints)),
    encode: (data, level, hints) => (brotliAsync ??= promisify(zlib().brotliCompress))(data, brotliParams(hints.size ?? data.length, level, hints)),
    // A size hint of 0 means unknown.
    createEncoder: (level, hints) => zlib().createBrotliCompress(brotliParams(hints.size ?? 0, level, hints)),
  },
  zstd: {
    name: 'zstd',
    extension: CONTENT_ENCODINGS.zstd.extension,
    preference: 3,
    levelName: 'zstd level',
    // zstd's "ultra" levels 20–22 are made for windows past the 8 MiB browsers accept.
    maxLevel: 19,
    defaultLevel: 19,
    // Level 19 runs at about 2 MB/s, 15 at about 20, for some 5–15% more bytes (as brotli 9 against 11).
    largeInputLevel: 15,
    version: `zstd ${process.versions.zstd ?? 'unknown'}`,
    unavailable: zstdUnavailable,
    // In memory the length is known for sure: pledging another one would fail.
    encodeSync: (data, level) => zstd().zstdCompressSync(data, zstdOptions(level, data.length)),
    encode: async (data, level) => (zstdAsync ??= promisify(zstd().zstdCompress))(data, zstdOptions(level, data.length)),
    createEncoder: (level, hints) => zstd().createZstdCompress(zstdOptions(level, hints.size)),
  },
} satisfies Record<ContentEncoding, Encoding>)

/** The name of an encoding in {@link ENCODINGS}: `'gzip' | 'br' | 'zstd'`. */
export type EncodingName = keyof typeof ENCODINGS

/** The encodings `collect` and the carpool builder write when not told otherwise (zstd is opt-in). */
export const DEFAULT_ENCODINGS: readonly EncodingName[] = Object.freeze(['gzip', 'br'])

/** Every encoding name, in table order. */
export const ENCODING_NAMES = Object.freeze(Object.keys(ENCODINGS)) as readonly EncodingName[]

/**
 * True for a name in {@link ENCODINGS}.
 *
 * @example
 * isEncodingName('br') // true
 * isEncodingName('deflate') // false
 */
export function isEncodingName(name: unknown): name is EncodingName {
  return typeof name === 'string' && Object.hasOwn(ENCODINGS, name)
}

/**
 * The encoding of a sibling file by its extension (`app.js.br` → `br`), or `undefined` for a file that is not one.
 *
 * @example
 * encodingOfPath('css/a.1b2c3d4e5f6a.css.gz') // 'gzip'
 */
export function encodingOfPath(path: string): EncodingName | undefined {
  return contentEncodingOfPath(path)
}
