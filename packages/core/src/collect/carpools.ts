import { carpoolName, carpoolRecord } from '@convoy/carpool'
import { buildCarpool } from '@convoy/carpool/build'
import { ConvoyError } from '@convoy/errors'
import { integrity } from '@convoy/hash'
import type { ManifestCarpool, ManifestEntry } from '@convoy/manifest'
import { contentTypeOf } from '@convoy/storage'
import { IMMUTABLE_CACHE_CONTROL } from '@convoy/storage'
import type { DeclaredCarpool } from '../carpool-templates.js'
import { addOutput, createAsset, servedOf, type Asset } from './asset.js'
import type { Stage, StageContext } from './stage.js'
import { deltasOf, encodingsOf } from './stages/write.js'
import type { PendingWrite } from './write-queue.js'

/** A bundle built by `collect`: its manifest record and the files to store. */
export interface BuiltBundle {
  readonly record: ManifestCarpool
  /** The bundle, its `<bundle>.json` members record (the same one request-time builds write) and its siblings. */
  readonly writes: readonly PendingWrite[]
}

/**
 * Builds a declared carpool from the members' served bytes, exactly as the runtime would (same name, same bytes),
 * then runs the output stages that add siblings and deltas (`compress`, `deltas`) on it. Bundles with the same kind
 * and members are built once. A bundle's name is its hash, so its family is every bundle of its kind
 * (`CARPOOL/js/*.cmin.js`), and its one earlier version the bundle of the same name in the manifest in force.
 */
export async function buildDeclaredCarpool(
  carpool: DeclaredCarpool,
  assets: ReadonlyMap<string, Asset>,
  entries: Readonly<Record<string, ManifestEntry>>,
  options: {
    hash: { algorithm: string; length: number }
    stages: readonly Stage[]
    contextFor: (stage: Stage) => StageContext
    /** The record of this carpool in the manifest in force, if any (with only deltas that are still stored). */
    previous: ManifestCarpool | undefined
  },
): Promise<BuiltBundle> {
  const served: string[] = []
  const members = carpool.members.map((logicalPath) => {
    const asset = assets.get(logicalPath)
    if (asset === undefined || entries[logicalPath] === undefined) {
      throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/core: carpool ${carpool.name} names ${logicalPath}, which is not collected`)
    }
    const output = servedOf(asset)
    served.push(output.name)
    return { path: output.name, content: output.bytes ?? new Uint8Array() }
  })
  const path = carpoolName(carpool.kind, served, options.hash)
  const bytes = buildCarpool(carpool.kind, members)
  // The bundle's name is already content-addressed: it is its own fingerprinted (and served) file.
  const asset = createAsset({ logicalPath: path, sourceFile: carpool.name, size: bytes.byteLength, contentType: contentTypeOf(path), bytes })
  addOutput(asset, { role: 'fingerprinted', name: path, bytes })
  const lastSlash = path.lastIndexOf('/')
  const versions = { match: `${path.slice(0, lastSlash + 1)}*${path.slice(path.indexOf('.', lastSlash))}`, earlier: options.previous !== undefined && options.previous.served !== path ? [options.previous.served] : [] }
  // Only the output stages that add siblings: the members are already minified, and the name is already content-addressed.
  for (const stage of options.stages) {
    if (stage.phase === 'output' && stage.servedMarker === undefined && stage.applies(asset)) await stage.run(asset, { ...options.contextFor(stage), versionsOf: () => versions })
  }
  const immutable = { cacheControl: IMMUTABLE_CACHE_CONTROL, contentType: asset.contentType }
  const encodings = encodingsOf(asset.outputs)
  // Rebuilt as it was (no stat index vouched for it): its deltas were made against a version no longer in force,
  // and still hold.
  const deltas = deltasOf(asset.outputs) ?? (options.previous?.served === path ? options.previous.deltas : undefined)
  return {
    writes: [
      { path, body: bytes, options: immutable, skipWhenPresent: true },
      { path: `${path}.json`, body: Buffer.from(carpoolRecord(served)), options: { ...immutable, contentType: 'application/json; charset=utf-8' }, skipWhenPresent: true },
      ...asset.outputs.flatMap((output) => (output.role === 'encoded' || output.role === 'delta' ? [{ path: output.name, body: output.bytes!, options: { ...immutable, contentEncoding: output.encoding! }, skipWhenPresent: true }] : [])),
    ],
    record: {
      kind: carpool.kind,
      members: [...carpool.members],
      served: path,
      size: bytes.byteLength,
      integrity: integrity(bytes),
      contentType: asset.contentType,
      ...(encodings === undefined ? {} : { encodings }),
      ...(asset.dictionary === undefined ? {} : { dictionary: asset.dictionary }),
      ...(deltas === undefined ? {} : { deltas }),
    },
  }
}
