import { COMPRESS_DEFAULTS, compressorVersions, isCompressible } from '@convoy/gzip'
import { servedOf } from '../collect/asset.js'
import type { Step } from '../collect/step.js'
import type { TaskCache } from '../work/cache.js'
import { cacheKey } from '../work/cache-key.js'
import type { TaskRunner } from '../work/runner.js'

export interface CompressStepOptions {
  /** gzip level (1–9), or `false` for no `.gz`. */
  readonly gzip: number | false
  /** brotli quality (0–11), or `false` for no `.br`. */
  readonly brotli: number | false
  readonly runner: TaskRunner
  readonly cache: TaskCache
}

/**
 * Writes `.gz` and `.br` siblings of the served file of every compressible type, kept only when at most 95% of its
 * size, for storages that cannot compress on the fly (S3) and servers that pick them by `Accept-Encoding`.
 */
export function createCompressStep(options: CompressStepOptions): Step {
  const settings = {
    gzip: options.gzip === false ? (false as const) : { level: options.gzip },
    brotli: options.brotli === false ? (false as const) : { quality: options.brotli },
  }
  // The large-input cap is part of what decides the bytes, so a change of it is a cache miss.
  const signature = { settings, largeInput: [COMPRESS_DEFAULTS.largeInputBytes, COMPRESS_DEFAULTS.largeInputBrotliQuality], versions: compressorVersions() }
  return {
    name: 'compress',
    phase: 'output',
    signature: JSON.stringify(signature),
    applies: (asset) => (options.gzip !== false || options.brotli !== false) && isCompressible(asset.logicalPath, asset.contentType),
    async run(asset, context) {
      const served = servedOf(asset)
      const data = served.contents!
      const key = cacheKey({ task: 'compress', signature }, data)
      let parts = await options.cache.get(key)
      if (parts === undefined) {
        const result = await options.runner.run({ kind: 'compress', data: Uint8Array.from(data), options: settings })
        if (result.kind !== 'compressed') throw new Error('unexpected task result')
        // Empty parts stand for "not kept" so a cache entry always has two.
        parts = [result.gzip ?? new Uint8Array(), result.br ?? new Uint8Array()]
        await options.cache.set(key, parts)
      } else {
        context.cacheHit()
      }
      const [gzip, br] = parts as [Uint8Array, Uint8Array]
      asset.encodings = {
        ...(gzip.byteLength > 0 ? { gzip: { path: `${served.path}.gz`, contents: gzip } } : {}),
        ...(br.byteLength > 0 ? { br: { path: `${served.path}.br`, contents: br } } : {}),
      }
    },
  }
}
