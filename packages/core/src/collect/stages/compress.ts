import { ENCODINGS, isCompressible, resolveCompressOptions, type CompressedVariants, type CompressOptions, type EncodingName, type ResolvedCompressOptions } from '@convoy/gzip'
import { encodedSiblingPath } from '@convoy/storage'
import { addOutput, servedOf, sizeOf, STREAM_THRESHOLD_BYTES, type Asset, type AssetOutput } from '../asset.js'
import type { Stage, StageContext } from '../stage.js'
import { createScratchFile, removeScratchFile } from '../scratch.js'
import type { TaskRunner } from '../../work/runner.js'

export interface CompressStageOptions {
  /** The encodings, levels and keep ratio (`@convoy/gzip`'s one settings shape). */
  readonly compress: CompressOptions
  readonly runner: TaskRunner
  /**
   * A served file on disk larger than this is compressed by streaming into temporary files. Default
   * {@link STREAM_THRESHOLD_BYTES} (8 MiB); tests lower it to stream small files.
   */
  readonly streamThresholdBytes?: number
}

/**
 * Adds one precompressed sibling of the served file per configured encoding (`.gz`, `.br`, …) for every compressible
 * type, each kept only when at most `maxRatio` (95%) of its size, for storages that cannot compress on the fly (S3)
 * and servers that pick them by `Accept-Encoding`.
 *
 * Memory stays bounded: served bytes in memory are compressed in memory; a served file on disk (a file no stage
 * needed to read) is read by the worker itself, or, above the stream threshold, compressed by streaming into
 * temporary files that the write stage stores and removes. Either way the main thread never holds its bytes.
 */
export function createCompressStage(options: CompressStageOptions): Stage {
  const settings: ResolvedCompressOptions = resolveCompressOptions(options.compress)
  const threshold = options.streamThresholdBytes ?? STREAM_THRESHOLD_BYTES
  // Every encoder's version decides its bytes, and so does the large-input cap: both are part of the cache key.
  const signature = { settings, versions: settings.encodings.map((name) => ENCODINGS[name].version) }

  /** Variants in memory, through the cache: by the served bytes, or by the source hash of a served source file. */
  const inMemory = async (asset: Asset, served: AssetOutput, context: StageContext): Promise<CompressedVariants> => {
    // A served source file whose SRI the read stage knows: keyed by its hash, read and checked by the worker.
    const onDisk = served.bytes === undefined && isSourceFile(asset, served) && asset.sourceIntegrity !== undefined
    const data = onDisk ? undefined : await context.bytesOf(served)
    return context.cached({
      input: data === undefined ? { hash: asset.sourceHash } : { bytes: data },
      compute: async () => {
        const task =
          data === undefined
            ? { kind: 'compress-file' as const, file: asset.sourceFile, size: asset.size, integrity: asset.sourceIntegrity!, options: settings }
            : { kind: 'compress' as const, data, options: settings }
        const result = await options.runner.run(task)
        if (result.kind !== 'compressed') throw new Error('unexpected task result')
        return result.variants
      },
      // One part per configured encoding, empty standing for "not kept", so an entry always has them all.
      encode: (kept) => settings.encodings.map((name) => kept[name] ?? new Uint8Array()),
      decode: (parts) => (parts.length === settings.encodings.length ? Object.fromEntries(settings.encodings.map((name, index) => [name, parts[index]!])) : undefined),
    })
  }

  /**
   * Variants streamed into temporary files. Not cached: the cache keeps entries as parts read whole into memory,
   * which is what a large file must not cost; an unchanged large file is not even read again under the stat index,
   * and its siblings, content-addressed, are not rewritten when stored already.
   */
  const streamed = async (asset: Asset, served: AssetOutput): Promise<Partial<Record<EncodingName, { file: string; size: number }>>> => {
    const file = served.file ?? asset.sourceFile
    const outputs: Partial<Record<EncodingName, string>> = {}
    try {
      for (const name of settings.encodings) outputs[name] = await createScratchFile(ENCODINGS[name].extension)
      const integrity = isSourceFile(asset, served) ? asset.sourceIntegrity : undefined
      const result = await options.runner.run({ kind: 'compress-to-files', file, size: sizeOf(asset, served), ...(integrity === undefined ? {} : { integrity }), outputs, options: settings })
      if (result.kind !== 'compressed-files') throw new Error('unexpected task result')
      const kept: Partial<Record<EncodingName, { file: string; size: number }>> = {}
      for (const name of settings.encodings) {
        const size = result.sizes[name]
        if (size !== undefined) kept[name] = { file: outputs[name]!, size }
        else await removeScratchFile(outputs[name]!)
      }
      return kept
    } catch (error) {
      await Promise.all(Object.values(outputs).map((path) => removeScratchFile(path)))
      throw error
    }
  }

  return {
    name: 'compress',
    phase: 'output',
    signature: JSON.stringify(signature),
    applies: (asset) => settings.encodings.length > 0 && isCompressible(asset.logicalPath, asset.contentType),
    async run(asset, context) {
      const served = servedOf(asset)
      if (served.bytes === undefined && sizeOf(asset, served) > threshold) {
        const files = await streamed(asset, served)
        for (const name of settings.encodings) {
          const kept = files[name]
          if (kept !== undefined) await replaceOutput(asset, { role: 'encoded', encoding: name, name: encodedSiblingPath(served.name, name), file: kept.file, size: kept.size, temporary: true })
        }
        return
      }
      const variants = await inMemory(asset, served, context)
      for (const name of settings.encodings) {
        const bytes = variants[name]
        if (bytes !== undefined && bytes.byteLength > 0) await replaceOutput(asset, { role: 'encoded', encoding: name, name: encodedSiblingPath(served.name, name), bytes })
      }
    },
  }
}

/** Whether an output is the asset's own source file, whose hash and SRI the read stage took. */
function isSourceFile(asset: Asset, output: AssetOutput): boolean {
  return output.bytes === undefined && (output.file === undefined || output.file === asset.sourceFile)
}

/** Adds an output; a temporary file it replaces (the stage run again on a bundle) is removed. */
async function replaceOutput(asset: Asset, output: AssetOutput): Promise<void> {
  const earlier = asset.outputs.find((existing) => existing.role === output.role && existing.encoding === output.encoding)
  addOutput(asset, output)
  if (earlier?.temporary === true && earlier.file !== undefined && earlier.file !== output.file) await removeScratchFile(earlier.file)
}
