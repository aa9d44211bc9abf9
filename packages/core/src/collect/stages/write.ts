import { integrity, integrityOfFile } from '@convoy/hash'
import type { EncodingName } from '@convoy/gzip'
import type { DeltaVariants, Manifest, ManifestEntry } from '@convoy/manifest'
import { contentTypeOf, DELTA_ENCODING_NAMES, type DeltaEncoding } from '@convoy/storage'
import { IMMUTABLE_CACHE_CONTROL, SHORT_CACHE_CONTROL } from '@convoy/storage'
import { outputOf, servedOf, sizeOf, type Asset, type AssetOutput } from '../asset.js'
import type { Stage } from '../stage.js'
import { removeScratchFile } from '../scratch.js'
import type { PendingWrite, WriteQueue } from '../write-queue.js'

export interface WriteStageOptions {
  /** The manifest in force: an original whose source hash it already records is not written again. */
  readonly previous: Manifest | null
  readonly writes: WriteQueue
  /** Told each asset's manifest entry once its outputs are stored. */
  readonly onEntry: (asset: Asset, entry: ManifestEntry) => void
}

/**
 * The run's last stage: stores every output of the asset (the original under its logical path with a short cache,
 * the content-addressed rest immutable, precompressed siblings with their `Content-Encoding`) and makes its manifest
 * entry. Each asset waits for its own writes, so a slow storage slows the run instead of filling memory. Temporary
 * files (streamed compressions) are removed once stored, or once storing them failed.
 */
export function createWriteStage(options: WriteStageOptions): Stage {
  return {
    name: 'write',
    phase: 'output',
    applies: () => true,
    async run(asset) {
      try {
        await options.writes.write(writesOf(asset, options.previous))
      } finally {
        await Promise.all(asset.outputs.flatMap((output) => (output.temporary === true && output.file !== undefined ? [removeScratchFile(output.file)] : [])))
      }
      options.onEntry(asset, await entryOf(asset))
    },
  }
}

function writesOf(asset: Asset, previous: Manifest | null): PendingWrite[] {
  const body = (output: AssetOutput): PendingWrite['body'] => output.bytes ?? { file: output.file ?? asset.sourceFile }
  const original: PendingWrite = {
    path: asset.logicalPath,
    body: asset.original ?? { file: asset.sourceFile },
    options: { contentType: asset.contentType, cacheControl: SHORT_CACHE_CONTROL },
    // Content-addressed outputs are skipped when present; the original is compared by source hash instead.
    skipWhenPresent: previous?.files[asset.logicalPath]?.sourceHash === asset.sourceHash,
  }
  return [
    original,
    ...asset.outputs.map((output): PendingWrite => ({
      path: output.name,
      body: body(output),
      options:
        output.role === 'encoded' || output.role === 'delta'
          ? { contentType: asset.contentType, cacheControl: IMMUTABLE_CACHE_CONTROL, contentEncoding: output.encoding! }
          : { contentType: contentTypeOf(output.name), cacheControl: IMMUTABLE_CACHE_CONTROL },
      skipWhenPresent: true,
    })),
  ]
}

async function entryOf(asset: Asset): Promise<ManifestEntry> {
  const served = servedOf(asset)
  const size = sizeOf(asset, served)
  const sri = served.bytes !== undefined ? integrity(served.bytes) : (asset.sourceIntegrity ?? (await integrityOfFile(asset.sourceFile)))
  const encodings = encodingsOf(asset.outputs)
  const deltas = deltasOf(asset.outputs)
  const map = outputOf(asset, 'map')
  return {
    served: served.name,
    size,
    integrity: sri,
    fingerprinted: outputOf(asset, 'fingerprinted')!.name,
    sourceHash: asset.sourceHash,
    contentType: asset.contentType,
    ...(encodings === undefined ? {} : { encodings }),
    ...(map === undefined ? {} : { map: map.name }),
    ...(asset.dictionary === undefined ? {} : { dictionary: asset.dictionary }),
    ...(deltas === undefined ? {} : { deltas }),
  }
}

/** The manifest's `deltas` of some outputs: by dictionary hash (sorted, as the manifest keeps them), then encoding. */
export function deltasOf(outputs: readonly AssetOutput[]): Record<string, DeltaVariants> | undefined {
  const found = outputs.filter((output) => output.role === 'delta' && output.dictionary !== undefined && output.bytes !== undefined)
  if (found.length === 0) return undefined
  const deltas: Record<string, Partial<Record<DeltaEncoding, { path: string; size: number }>>> = {}
  for (const output of found.sort((a, b) => (a.dictionary! < b.dictionary! ? -1 : a.dictionary! > b.dictionary! ? 1 : 0))) {
    const variants = (deltas[output.dictionary!] ??= {})
    variants[output.encoding as DeltaEncoding] = { path: output.name, size: output.bytes!.byteLength }
  }
  // Encodings in the manifest's order (dcb, dcz), whichever was added first.
  return Object.fromEntries(Object.entries(deltas).map(([hash, variants]) => [hash, Object.fromEntries(DELTA_ENCODING_NAMES.flatMap((name) => (variants[name] === undefined ? [] : [[name, variants[name]]])))]))
}

/**
 * The manifest's `encodings` of some outputs: path and size per encoding, or `undefined` when there is none. A
 * variant is in memory (its bytes' length) or a file (its recorded size).
 */
export function encodingsOf(outputs: readonly AssetOutput[]): Partial<Record<EncodingName, { path: string; size: number }>> | undefined {
  const encoded = outputs.flatMap((output) => {
    const size = output.bytes?.byteLength ?? output.size
    return output.role === 'encoded' && output.encoding !== undefined && size !== undefined ? [{ encoding: output.encoding, path: output.name, size }] : []
  })
  if (encoded.length === 0) return undefined
  return Object.fromEntries(encoded.map(({ encoding, path, size }) => [encoding, { path, size }]))
}
