import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import type * as Zlib from 'node:zlib'
import { ConvoyError } from '@convoy/errors'
import { DELTA_ENCODINGS, type DeltaEncoding } from '@convoy/storage'
import { zlib, zlibConstant, zstdParams, zstdProblem, zstdZlib, type ZstdOptions } from './node-zlib.js'

/**
 * One dictionary-compressed encoding of Compression Dictionary Transport (RFC 9842): the target file compressed
 * against an earlier file the client already holds (the dictionary), behind a header naming that dictionary by its
 * SHA-256. Made at deploy time, like the siblings; served as `Content-Encoding: dcb` or `dcz` to a request whose
 * `Available-Dictionary` is that hash.
 */
export interface DeltaEncoder {
  /** The `Content-Encoding` token. */
  readonly name: DeltaEncoding
  /** Suffix of the delta file, e.g. `.dcz` (from `DELTA_ENCODINGS` of `@convoy/storage`; `deltaPath()` names the file). */
  readonly extension: string
  /** What its level is called in messages, e.g. `brotli quality`. */
  readonly levelName: string
  /** Highest level (the lowest is 0). */
  readonly maxLevel: number
  readonly defaultLevel: number
  /** The library version that decides the bytes, for cache keys. */
  readonly version: string
  /**
   * Why this Node.js cannot make these deltas, as a one-line reason, or `undefined` when it can. Found out at the
   * first call by a round trip (a sample compressed against most of itself must come out much smaller than without
   * the dictionary, and decompress back), then remembered: Node 22 takes a brotli `dictionary` and silently ignores it.
   */
  unavailable(): string | undefined
  /**
   * Why `dictionary` cannot be used by this encoder, or `undefined` when it can. Only `dcz` refuses one: node:zlib
   * reads a dictionary that starts with the zstd dictionary magic (`37 a4 30 ec`) as a trained dictionary, where
   * RFC 9842 wants raw content.
   */
  dictionaryProblem(dictionary: Uint8Array): string | undefined
  /**
   * The delta of `target` against `dictionary` at `level`, header included, on libuv's thread pool. Throws
   * `ERR_CONVOY_CONFIG` where {@link unavailable} gives a reason or the level is out of range, `ERR_CONVOY_STEP` for a
   * dictionary {@link dictionaryProblem} refuses.
   */
  encode(target: Uint8Array, dictionary: Uint8Array, level: number): Promise<Uint8Array>
  /** The synchronous {@link encode}, for worker threads. */
  encodeSync(target: Uint8Array, dictionary: Uint8Array, level: number): Uint8Array
  /**
   * The target back from a delta and its dictionary, after checking the header: its magic, and that it names this
   * dictionary. Throws `ERR_CONVOY_STEP` saying what does not match, or that the bytes do not decompress (cut short,
   * followed by other bytes, damaged); and `ERR_CONVOY_CONFIG` where {@link unavailable} gives a reason. A dcz
   * frame carries a checksum of the target, so damaged bytes are found; a brotli stream has none, so a damaged dcb
   * delta may decode to other bytes: to verify a delta, compare what this gives with the target.
   */
  decode(delta: Uint8Array, dictionary: Uint8Array): Uint8Array
}

/**
 * The SHA-256 of a dictionary's bytes in standard base64: how RFC 9842 names a dictionary (`Available-Dictionary:
 * :<hash>:`), and what `deltaPath()` of `@convoy/storage` takes.
 *
 * @example
 * dictionaryHash(new TextEncoder().encode('test')) // 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg='
 */
export function dictionaryHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()

/** "Dictionary-Compressed Brotli": 4 magic bytes, then the dictionary's SHA-256, then the brotli stream. */
const DCB_MAGIC = Object.freeze([0xff, 0x44, 0x43, 0x42])
/** "Dictionary-Compressed Zstandard": a zstd skippable frame (magic 0x184D2A5E, 32 bytes long) holding the SHA-256. */
const DCZ_MAGIC = Object.freeze([0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00])
/** The bytes a trained zstd dictionary starts with (0xEC30A437, little-endian). */
const ZSTD_DICTIONARY_MAGIC = Object.freeze([0x37, 0xa4, 0x30, 0xec])

/** RFC 9842: a dcb stream's window is at most 16 MiB (brotli's largest outside its large-window extension). */
const DCB_MAX_WINDOW_LOG = 24
/** The smallest brotli window. */
const BROTLI_MIN_WINDOW_LOG = 10
/**
 * RFC 9842: a dcz client decodes windows of 8 MiB or 1.25 × the dictionary's size, whichever is larger, up to
 * 128 MiB; the window must stay below that limit.
 */
const DCZ_MIN_WINDOW_LIMIT = 8 * 1024 * 1024
const DCZ_MAX_WINDOW_LIMIT = 128 * 1024 * 1024
/** Decoding: the largest window `dcz` may use (128 MiB), which zstd refuses by default (its limit is 2 ** 27 = 128 MiB, the same). */
const DCZ_MAX_WINDOW_LOG = 27

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean => bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte)

/** A brotli window that holds the whole target (bytes within the target reach each other), at most 16 MiB. */
function dcbWindowLog(targetLength: number): number {
  // A brotli window of 2 ** n holds 2 ** n - 16 bytes.
  return Math.min(DCB_MAX_WINDOW_LOG, Math.max(BROTLI_MIN_WINDOW_LOG, Math.ceil(Math.log2(targetLength + 16))))
}

/** The largest zstd window RFC 9842 lets a dcz delta against a dictionary of `dictionaryLength` bytes use. */
function dczWindowLog(dictionaryLength: number): number {
  const limit = Math.min(DCZ_MAX_WINDOW_LIMIT, Math.max(DCZ_MIN_WINDOW_LIMIT, 1.25 * dictionaryLength))
  // zstd then shrinks it to what the target and the dictionary need (their sizes are known).
  return Math.floor(Math.log2(limit))
}

function dcbOptions(target: Uint8Array, dictionary: Uint8Array, level: number): Zlib.BrotliOptions & { dictionary: Uint8Array } {
  const { constants } = zlib()
  const text = isUtf8(target) && !target.includes(0)
  return {
    dictionary,
    params: {
      [constants.BROTLI_PARAM_QUALITY]: level,
      [constants.BROTLI_PARAM_SIZE_HINT]: target.length,
      [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
      [constants.BROTLI_PARAM_LGWIN]: dcbWindowLog(target.length),
    },
  }
}

function dczOptions(target: Uint8Array, dictionary: Uint8Array, level: number): ZstdOptions {
  return { dictionary, params: zstdParams(level, dczWindowLog(dictionary.length)), pledgedSrcSize: target.length }
}

/** Header, then body, in one buffer. */
function framed(magic: readonly number[], dictionary: Uint8Array, body: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(magic), sha256(dictionary), body])
}

/** The part of a delta after its header, once the header is checked against `dictionary`. */
function body(name: DeltaEncoding, magic: readonly number[], delta: Uint8Array, dictionary: Uint8Array): Uint8Array {
  const headerLength = magic.length + 32
  if (delta.length < headerLength || !startsWith(delta, magic)) {
    throw stepError(`this is not a ${name} delta: it does not start with the bytes ${hexBytes(magic)} and a 32-byte SHA-256 (${delta.length} bytes in all)`)
  }
  const named = Buffer.from(delta.subarray(magic.length, headerLength))
  const given = sha256(dictionary)
  if (!named.equals(given)) {
    throw stepError(`this ${name} delta was made against another dictionary: its header names ${named.toString('base64')}, the dictionary given is ${given.toString('base64')}`)
  }
  return delta.subarray(headerLength)
}

const hexBytes = (bytes: readonly number[]): string => bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' ')

function stepError(message: string, cause?: unknown): ConvoyError {
  return new ConvoyError('ERR_CONVOY_STEP', `@convoy/gzip: ${message}`, cause === undefined ? undefined : { cause })
}

function configError(message: string): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/gzip: ${message}`)
}

/** A sample that compresses poorly on its own (pseudo-random base64 text), and most of it as its dictionary. */
function probeSample(): { sample: Buffer; dictionary: Buffer } {
  let state = 0x2545f491
  const bytes = Buffer.alloc(3072)
  for (let index = 0; index < bytes.length; index += 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    bytes[index] = state >>> 24
  }
  const sample = Buffer.from(bytes.toString('base64'))
  return { sample, dictionary: sample.subarray(0, Math.floor(sample.length * 0.9)) }
}

/**
 * Why the round trip fails, or `undefined` when it works: against its dictionary the sample must come out at most
 * half its size without one (about 0.1 + a few bytes against 0.75), and decompress back.
 */
function roundTripProblem(what: string, compress: (data: Uint8Array, dictionary?: Uint8Array) => Uint8Array, decompress: (data: Uint8Array, dictionary: Uint8Array) => Uint8Array): string | undefined {
  try {
    const { sample, dictionary } = probeSample()
    const plain = compress(sample)
    const delta = compress(sample, dictionary)
    if (delta.length > plain.length / 2) return `node:zlib of Node ${process.version} ignores a ${what} dictionary`
    if (!Buffer.from(decompress(delta, dictionary)).equals(sample)) return `node:zlib of Node ${process.version} does not decode its own ${what} output with a dictionary`
  } catch (error) {
    return `node:zlib of Node ${process.version} cannot compress ${what} with a dictionary: ${error instanceof Error ? error.message : String(error)}`
  }
  return undefined
}

/** A memo of one probe. */
function once(probe: () => string | undefined): () => string | undefined {
  let found: { readonly reason: string | undefined } | undefined
  return () => (found ??= { reason: probe() }).reason
}

const dcbUnavailable = once(() => {
  const reason = roundTripProblem(
    'brotli',
    (data, dictionary) => zlib().brotliCompressSync(data, { ...(dictionary === undefined ? {} : { dictionary }) } as Zlib.BrotliOptions),
    (data, dictionary) => zlib().brotliDecompressSync(data, { dictionary } as Zlib.BrotliOptions),
  )
  return reason === undefined ? undefined : `${reason} (recent releases of Node 24 use it)`
})

const dczUnavailable = once(() => {
  const missing = zstdProblem()
  if (missing !== undefined) return missing
  const { zstdCompressSync, zstdDecompressSync } = zstdZlib()
  return roundTripProblem(
    'zstd',
    (data, dictionary) => zstdCompressSync!(data, dictionary === undefined ? {} : { dictionary }),
    (data, dictionary) => zstdDecompressSync!(data, { dictionary }),
  )
})

let brotliAsync: ((data: Uint8Array, options: Zlib.BrotliOptions) => Promise<Buffer>) | undefined
let zstdAsync: ((data: Uint8Array, options: ZstdOptions) => Promise<Buffer>) | undefined

/** Throws what stops `encoder` from encoding `dictionary` at `level`, if anything does. */
function checkEncode(encoder: DeltaEncoder, dictionary: Uint8Array, level: number): void {
  const reason = encoder.unavailable()
  if (reason !== undefined) throw configError(`cannot make ${encoder.name} deltas: ${reason}`)
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > encoder.maxLevel) {
    throw configError(`the ${encoder.name} ${encoder.levelName} must be an integer from 0 to ${encoder.maxLevel}, got ${String(level)}`)
  }
  const problem = encoder.dictionaryProblem(dictionary)
  if (problem !== undefined) throw stepError(`cannot make a ${encoder.name} delta against this dictionary: ${problem}`)
}

function checkDecode(encoder: DeltaEncoder): void {
  const reason = encoder.unavailable()
  if (reason !== undefined) throw configError(`cannot decode ${encoder.name} deltas: ${reason}`)
}

function decompressed(name: DeltaEncoding, decompress: () => Uint8Array): Uint8Array {
  try {
    return decompress()
  } catch (error) {
    throw stepError(`this ${name} delta does not decompress: ${error instanceof Error ? error.message : String(error)}`, error)
  }
}

const ZSTD_FRAME_MAGIC = 0xfd2fb528

/**
 * Where a zstd frame ends (RFC 8878 §3.1.1), walking its block headers; `'cut'` when the bytes end before it does;
 * `undefined` when this is no zstd frame (decompressing says why).
 */
function zstdFrameEnd(frame: Uint8Array): number | 'cut' | undefined {
  if (frame.length < 5 || Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).readUInt32LE(0) !== ZSTD_FRAME_MAGIC) return undefined
  const descriptor = frame[4]!
  const singleSegment = (descriptor & 0x20) !== 0
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]! + [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!
  for (;;) {
    if (at + 3 > frame.length) return 'cut'
    const header = frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16)
    // An RLE block (type 1) holds one byte, whatever the size it stands for.
    at += 3 + (((header >> 1) & 3) === 1 ? 1 : header >>> 3)
    if ((header & 1) === 1) break
  }
  // The content checksum.
  if ((descriptor & 0x04) !== 0) at += 4
  return at > frame.length ? 'cut' : at
}

/** The content size a zstd frame's header gives (RFC 8878 §3.1.1.1.4), or `undefined` when it gives none. */
function zstdContentSize(frame: Uint8Array): number | undefined {
  const descriptor = frame[4]
  if (frame.length < 6 || descriptor === undefined) return undefined
  const singleSegment = (descriptor & 0x20) !== 0
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!
  if (sizeBytes === 0) return undefined
  const at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]!
  if (frame.length < at + sizeBytes) return undefined
  let size = 0
  for (let index = sizeBytes - 1; index >= 0; index -= 1) size = size * 256 + frame[at + index]!
  return sizeBytes === 2 ? size + 256 : size
}

const dcb: DeltaEncoder = {
  name: 'dcb',
  extension: DELTA_ENCODINGS.dcb.extension,
  levelName: 'brotli quality',
  maxLevel: 11,
  defaultLevel: 11,
  version: `brotli ${process.versions.brotli ?? 'unknown'}`,
  unavailable: dcbUnavailable,
  dictionaryProblem: () => undefined,
  encodeSync(target, dictionary, level) {
    checkEncode(dcb, dictionary, level)
    return framed(DCB_MAGIC, dictionary, zlib().brotliCompressSync(target, dcbOptions(target, dictionary, level)))
  },
  async encode(target, dictionary, level) {
    checkEncode(dcb, dictionary, level)
    const compressed = await (brotliAsync ??= promisify(zlib().brotliCompress))(target, dcbOptions(target, dictionary, level))
    return framed(DCB_MAGIC, dictionary, compressed)
  },
  decode(delta, dictionary) {
    checkDecode(dcb)
    const stream = body('dcb', DCB_MAGIC, delta, dictionary)
    // Bytes after the end of the stream are no part of a dcb delta (node:zlib ignores them unless told).
    return decompressed('dcb', () => zlib().brotliDecompressSync(stream, { dictionary, rejectGarbageAfterEnd: true } as Zlib.BrotliOptions))
  },
}

const dcz: DeltaEncoder = {
  name: 'dcz',
  extension: DELTA_ENCODINGS.dcz.extension,
  levelName: 'zstd level',
  maxLevel: 19,
  defaultLevel: 19,
  version: `zstd ${process.versions.zstd ?? 'unknown'}`,
  unavailable: dczUnavailable,
  dictionaryProblem: (dictionary) =>
    startsWith(dictionary, ZSTD_DICTIONARY_MAGIC) ? `it starts with the bytes of a trained zstd dictionary (${hexBytes(ZSTD_DICTIONARY_MAGIC)}), which node:zlib would not read as raw content` : undefined,
  encodeSync(target, dictionary, level) {
    checkEncode(dcz, dictionary, level)
    return framed(DCZ_MAGIC, dictionary, zstdZlib().zstdCompressSync!(target, dczOptions(target, dictionary, level)))
  },
  async encode(target, dictionary, level) {
    checkEncode(dcz, dictionary, level)
    const compressed = await (zstdAsync ??= promisify(zstdZlib().zstdCompress!))(target, dczOptions(target, dictionary, level))
    return framed(DCZ_MAGIC, dictionary, compressed)
  },
  decode(delta, dictionary) {
    checkDecode(dcz)
    const frame = body('dcz', DCZ_MAGIC, delta, dictionary)
    const params = { [zlibConstant('ZSTD_d_windowLogMax')!]: DCZ_MAX_WINDOW_LOG }
    // Node 22 decodes a frame cut short without an error, giving what it got: the frame's own structure tells.
    const end = zstdFrameEnd(frame)
    if (end === 'cut') throw stepError(`this dcz delta does not decompress: its zstd frame is cut short`)
    if (end !== undefined && end !== frame.length) throw stepError(`this dcz delta does not decompress: ${frame.length - end} bytes follow its zstd frame`)
    const target = decompressed('dcz', () => zstdZlib().zstdDecompressSync!(frame, { dictionary, params }))
    const length = zstdContentSize(frame)
    if (length !== undefined && target.length !== length) throw stepError(`this dcz delta does not decompress: ${target.length} bytes came out, its header says ${length}`)
    return target
  },
}

/**
 * The delta encoders of RFC 9842, by `Content-Encoding` token. `dcb`: brotli (default and highest quality 11) with
 * the dictionary as a raw prefix dictionary, text mode for UTF-8, a window of at most 16 MiB; it needs a node:zlib that
 * uses a brotli `dictionary` (Node 24; Node 22 ignores it). `dcz`: zstd (default and highest level 19) with the
 * dictionary as raw content, a window of at most 8 MiB or 1.25 × the dictionary's size (whichever is larger, at most
 * 128 MiB), the length in the frame header and a content checksum; it needs node:zlib's zstd (Node ≥ 22.15).
 *
 * @example
 * const encoder = DELTA_ENCODERS.dcz
 * if (encoder.unavailable() === undefined) {
 *   const delta = await encoder.encode(newScript, oldScript, encoder.defaultLevel)
 *   // store it at deltaPath(served, dictionaryHash(oldScript), 'dcz')
 * }
 */
export const DELTA_ENCODERS: Readonly<Record<DeltaEncoding, DeltaEncoder>> = Object.freeze({ dcb, dcz })
