import { buildCarpool, carpoolName, carpoolRecord } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import { integrity } from '@convoy/hash'
import type { ManifestCarpool, ManifestEntry } from '@convoy/manifest'
import type { DeclaredCarpool } from '../carpool-templates.js'
import { contentTypeOf } from '@convoy/manifest'
import { createAsset, servedOf, type Asset } from './asset.js'
import type { Step, StepContext } from './step.js'

/** A bundle built by `collect`: its manifest record and the files to store. */
export interface BuiltBundle {
  readonly record: ManifestCarpool
  readonly asset: Asset
  /** The `<bundle>.json` members record (the same one request-time builds write). */
  readonly membersRecord: string
}

/**
 * Builds a declared carpool from the members' served bytes, exactly as the runtime would (same name, same bytes),
 * then runs the output steps that derive siblings (`compress`) on it. Bundles with the same kind and members are
 * built once.
 */
export async function buildDeclaredCarpool(
  carpool: DeclaredCarpool,
  assets: ReadonlyMap<string, Asset>,
  entries: Readonly<Record<string, ManifestEntry>>,
  options: { hash: { algorithm: string; length: number }; steps: readonly Step[]; context: (step: Step) => StepContext },
): Promise<BuiltBundle> {
  const served: string[] = []
  const members = carpool.members.map((logicalPath) => {
    const asset = assets.get(logicalPath)
    const entry = entries[logicalPath]
    if (asset === undefined || entry === undefined) {
      throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/core: carpool ${carpool.name} names ${logicalPath}, which is not collected`)
    }
    const { path, contents } = servedOf(asset)
    served.push(path)
    return { path, content: contents ?? new Uint8Array() }
  })
  const path = carpoolName(carpool.kind, served, options.hash)
  const bytes = buildCarpool(carpool.kind, members)
  // The bundle's name is already content-addressed: it is its own fingerprinted (and served) file.
  const asset = createAsset({ logicalPath: path, sourceFile: carpool.name, size: bytes.byteLength, contentType: contentTypeOf(path), bytes })
  asset.fingerprinted = path
  // Only the steps that add siblings: the members are already minified, and the name is already content-addressed.
  for (const step of options.steps) {
    if (step.phase === 'output' && step.servedMarker === undefined && step.applies(asset)) await step.run(asset, options.context(step))
  }
  const encodings: { gzip?: { path: string; size: number }; br?: { path: string; size: number } } = {}
  if (asset.encodings.gzip !== undefined) encodings.gzip = { path: asset.encodings.gzip.path, size: asset.encodings.gzip.contents.byteLength }
  if (asset.encodings.br !== undefined) encodings.br = { path: asset.encodings.br.path, size: asset.encodings.br.contents.byteLength }
  return {
    asset,
    membersRecord: carpoolRecord(served),
    record: {
      kind: carpool.kind,
      members: [...carpool.members],
      served: path,
      size: bytes.byteLength,
      integrity: integrity(bytes),
      contentType: asset.contentType,
      ...(Object.keys(encodings).length > 0 ? { encodings } : {}),
    },
  }
}
