// What compresses the bodies: node:zlib where the runtime has it (Node, Bun, Deno, workerd with nodejs_compat), so
// gzip levels and brotli qualities apply exactly as in `gzipHttpOnly`; else the Web `CompressionStream`. Detected once
// by what the runtime offers, never by its version.
import type { CompressionPolicy, HttpEncoding } from '@convoy/http'

/** A pair to `pipeThrough()`: bytes in, compressed bytes out. */
export interface EncoderPair {
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
}

/** The compressor a `compress()` middleware uses. */
export interface CompressionEngine {
  /** `'node:zlib'` or `'CompressionStream'`. */
  readonly name: 'node:zlib' | 'CompressionStream'
  /** The codings it can produce, in the order of `HTTP_ENCODINGS`. */
  readonly encodings: readonly HttpEncoding[]
  /** Whether `gzipLevel` and `brotliQuality` apply (`CompressionStream` has no such settings). */
  readonly tunable: boolean
  /** A fresh compressor for one response. */
  encoder(encoding: HttpEncoding, policy: CompressionPolicy): EncoderPair
}

interface ZlibModule {
  createGzip(options: { level: number }): unknown
  createBrotliCompress(options: { params: Record<number, number> }): unknown
  readonly constants: { readonly BROTLI_PARAM_QUALITY: number }
}

interface StreamModule {
  readonly Duplex: { toWeb(duplex: unknown): EncoderPair }
}

type CompressionStreamConstructor = new (format: string) => EncoderPair

/** node:zlib, through node's own Duplex → Web pair (the one its `CompressionStream` is built on: backpressure both ways). */
export function zlibEngine(zlib: ZlibModule, stream: StreamModule): CompressionEngine {
  return {
    name: 'node:zlib',
    encodings: ['br', 'gzip'],
    tunable: true,
    encoder(encoding, policy) {
      const duplex =
        encoding === 'br'
          ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: policy.brotliQuality } })
          : zlib.createGzip({ level: policy.gzipLevel })
      return stream.Duplex.toWeb(duplex)
    },
  }
}

/**
 * The Web `CompressionStream`: `gzip` everywhere it exists, `br` only where the runtime's `CompressionStream`
 * accepts `'brotli'` (tried once). Neither can be given a level.
 */
export function webEngine(CompressionStreamClass: CompressionStreamConstructor | undefined): CompressionEngine {
  const formats = { br: 'brotli', gzip: 'gzip' } as const
  const works = (format: string): boolean => {
    if (CompressionStreamClass === undefined) return false
    try {
      new CompressionStreamClass(format)
      return true
    } catch {
      return false
    }
  }
  const encodings = (['br', 'gzip'] as const).filter((encoding) => works(formats[encoding]))
  return {
    name: 'CompressionStream',
    encodings,
    tunable: false,
    encoder(encoding) {
      if (CompressionStreamClass === undefined) throw new Error('@convoy/hono: no CompressionStream in this runtime')
      return new CompressionStreamClass(formats[encoding])
    },
  }
}

let detected: CompressionEngine | undefined

/** The engine of this runtime, detected on first use and then kept. */
export function runtimeEngine(): CompressionEngine {
  detected ??= detect()
  return detected
}

function detect(): CompressionEngine {
  const runtime = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown }; CompressionStream?: CompressionStreamConstructor }
  const getBuiltinModule = runtime.process?.getBuiltinModule
  if (typeof getBuiltinModule === 'function') {
    try {
      const zlib = getBuiltinModule.call(runtime.process, 'node:zlib') as Partial<ZlibModule> | undefined
      const stream = getBuiltinModule.call(runtime.process, 'node:stream') as Partial<StreamModule> | undefined
      if (
        typeof zlib?.createGzip === 'function' &&
        typeof zlib.createBrotliCompress === 'function' &&
        typeof zlib.constants?.BROTLI_PARAM_QUALITY === 'number' &&
        typeof stream?.Duplex?.toWeb === 'function'
      ) {
        return zlibEngine(zlib as ZlibModule, stream as StreamModule)
      }
    } catch {
      // A runtime that lists the function but refuses the modules: the Web engine below.
    }
  }
  return webEngine(runtime.CompressionStream)
}
