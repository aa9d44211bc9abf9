import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import type { Transform } from 'node:stream'
import type * as Zlib from 'node:zlib'
import { CONTENT_ENCODINGS, contentEncodingOfPath, type ContentEncoding } from '@convoy/storage'

/** What an encoder is told about its input besides the bytes. */
export interface EncodeHints {
  /** The input is UTF-8 text (brotli has a text mode). */
  readonly text: boolean
  /** The input's length, for a stream whose bytes are not there yet (brotli's size hint). Default: the data's length, or unknown. */
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

// node:zlib is required on first use, not imported, so that importing this package for content negotiation alone
// (a web process) does not load it.
const requireBuiltin = createRequire(import.meta.url)
const zlib = (): typeof Zlib => requireBuiltin('node:zlib') as typeof Zlib
let gzipAsync: ((data: Uint8Array, options: Zlib.ZlibOptions) => Promise<Buffer>) | undefined
let brotliAsync: ((data: Uint8Array, options: Zlib.BrotliOptions) => Promise<Buffer>) | undefined

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
    encodeSync: (data, level, hints) => zlib().brotliCompressSync(data, brotliParams(hints.size ?? data.length, level, hints)),
    encode: (data, level, hints) => (brotliAsync ??= promisify(zlib().brotliCompress))(data, brotliParams(hints.size ?? data.length, level, hints)),
    // A size hint of 0 means unknown.
    createEncoder: (level, hints) => zlib().createBrotliCompress(brotliParams(hints.size ?? 0, level, hints)),
  },
} satisfies Record<ContentEncoding, Encoding>)

/** The name of an encoding in {@link ENCODINGS}: `'gzip' | 'br'`. */
export type EncodingName = keyof typeof ENCODINGS

/** The encodings `collect` and the carpool builder write when not told otherwise. */
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
