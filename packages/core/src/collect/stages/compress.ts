import { ENCODINGS, isCompressible, resolveCompressOptions, type CompressOptions, type ResolvedCompressOptions } from '@convoy/gzip'
import { encodedSiblingPath } from '@convoy/storage'
import { addOutput, servedOf } from '../asset.js'
import type { Stage } from '../stage.js'
import type { TaskRunner } from '../../work/runner.js'

export interface CompressStageOptions {
  /** The encodings, levels and keep ratio (`@convoy/gzip`'s one settings shape). */
  readonly compress: CompressOptions
  readonly runner: TaskRunner
}

/**
 * Adds one precompressed sibling of the served file per configured encoding (`.gz`, `.br`, …) for every compressible
 * type, each kept only when at most `maxRatio` (95%) of its size, for storages that cannot compress on the fly (S3)
 * and servers that pick them by `Accept-Encoding`.
 */
export function createCompressStage(options: CompressStageOptions): Stage {
  const settings: ResolvedCompressOptions = resolveCompressOptions(options.compress)
  // Every encoder's version decides its bytes, and so does the large-input cap: both are part of the cache key.
  const signature = { settings, versions: settings.encodings.map((name) => ENCODINGS[name].version) }
  return {
    name: 'compress',
    phase: 'output',
    signature: JSON.stringify(signature),
    applies: (asset) => settings.encodings.length > 0 && isCompressible(asset.logicalPath, asset.contentType),
    async run(asset, context) {
      const served = servedOf(asset)
      const data = await context.bytesOf(served)
      const variants = await context.cached({
        input: { bytes: data },
        compute: async () => {
          const result = await options.runner.run({ kind: 'compress', data: Uint8Array.from(data), options: settings })
          if (result.kind !== 'compressed') throw new Error('unexpected task result')
          return result.variants
        },
        // One part per configured encoding, empty standing for "not kept", so an entry always has them all.
        encode: (kept) => settings.encodings.map((name) => kept[name] ?? new Uint8Array()),
        decode: (parts) => (parts.length === settings.encodings.length ? Object.fromEntries(settings.encodings.map((name, index) => [name, parts[index]!])) : undefined),
      })
      for (const name of settings.encodings) {
        const bytes = variants[name]
        if (bytes !== undefined && bytes.byteLength > 0) addOutput(asset, { role: 'encoded', encoding: name, name: encodedSiblingPath(served.name, name), bytes })
      }
    },
  }
}
