import { createRequire } from 'node:module'
import type { Transform } from 'node:stream'
import type * as Zlib from 'node:zlib'

// node:zlib is required on first use, not imported, so that importing this package for content negotiation alone
// (a web process) does not load it.
const requireBuiltin = createRequire(import.meta.url)

/** node:zlib, loaded at the first call. */
export const zlib = (): typeof Zlib => requireBuiltin('node:zlib') as typeof Zlib

/**
 * The options of node:zlib's zstd functions (Node ≥ 22.15; `@types/node` of Node 20, which this package builds
 * against, has none of them). `dictionary` is raw content unless it starts with the zstd dictionary magic.
 */
export interface ZstdOptions {
  readonly params?: Readonly<Record<number, number>>
  /** The exact input length: written in the frame header, and the window shrunk to it. A stream given another length fails. */
  readonly pledgedSrcSize?: number
  readonly dictionary?: Uint8Array
}

/** node:zlib's zstd functions, where this Node.js has them. */
export interface ZstdZlib {
  readonly zstdCompressSync?: (data: Uint8Array, options?: ZstdOptions) => Buffer
  readonly zstdCompress?: (data: Uint8Array, options: ZstdOptions, callback: (error: Error | null, result: Buffer) => void) => void
  readonly zstdDecompressSync?: (data: Uint8Array, options?: ZstdOptions) => Buffer
  readonly createZstdCompress?: (options?: ZstdOptions) => Transform
}

/** node:zlib seen with its zstd functions (each `undefined` on a Node.js without zstd). */
export const zstdZlib = (): ZstdZlib => zlib() as unknown as ZstdZlib

/** A constant of node:zlib that `@types/node` of Node 20 may not know, e.g. `ZSTD_c_windowLog`; `undefined` when this Node.js lacks it. */
export function zlibConstant(name: string): number | undefined {
  return (zlib().constants as unknown as Readonly<Record<string, number | undefined>>)[name]
}

/**
 * The largest zstd window of `Content-Encoding: zstd`, as a log2: 8 MiB, which RFC 9659 makes the limit of the HTTP
 * coding (RFC 8878 §3.1.1.1.2 recommended it already); browsers refuse a larger window.
 */
export const ZSTD_MAX_WINDOW_LOG = 23

/** The zstd encoder parameters Convoy uses: `level`, a window of at most `2 ** windowLog`, and a content checksum. */
export function zstdParams(level: number, windowLog: number): Record<number, number> {
  return {
    [zlibConstant('ZSTD_c_compressionLevel')!]: level,
    [zlibConstant('ZSTD_c_windowLog')!]: windowLog,
    // The checksum lets a decoder see corruption (a truncated or damaged file, the wrong dictionary) instead of
    // producing wrong bytes; the zstd command line writes it by default. Four bytes per file.
    [zlibConstant('ZSTD_c_checksumFlag')!]: 1,
  }
}

/** Why zstd cannot be used here, as a one-line reason, or `undefined` when it can: tried on a few bytes, not read off a version. */
export function zstdProblem(): string | undefined {
  const { zstdCompressSync, zstdDecompressSync, zstdCompress, createZstdCompress } = zstdZlib()
  if (zstdCompressSync === undefined || zstdDecompressSync === undefined || zstdCompress === undefined || createZstdCompress === undefined) {
    return `node:zlib of Node ${process.version} has no zstd (Node ≥ 22.15 has)`
  }
  if (zlibConstant('ZSTD_c_windowLog') === undefined || zlibConstant('ZSTD_c_checksumFlag') === undefined || zlibConstant('ZSTD_c_compressionLevel') === undefined) {
    return `node:zlib of Node ${process.version} does not let its zstd window be set`
  }
  try {
    const sample = Buffer.from('zstd zstd zstd zstd zstd zstd zstd zstd')
    const encoded = zstdCompressSync(sample, { params: zstdParams(3, ZSTD_MAX_WINDOW_LOG), pledgedSrcSize: sample.length })
    if (!zstdDecompressSync(encoded).equals(sample)) return `node:zlib of Node ${process.version} does not decode its own zstd output`
  } catch (error) {
    return `node:zlib of Node ${process.version} cannot encode zstd: ${error instanceof Error ? error.message : String(error)}`
  }
  return undefined
}
