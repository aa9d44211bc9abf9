import { fingerprintedName } from '@convoy/hash'
import { addOutput } from '../asset.js'
import type { Stage } from '../stage.js'

/**
 * Names the fingerprinted file by a hash of the bytes the content stages left: `css/a.css` → `css/a.<h>.css`. Files
 * in one reference cycle share one hash over all of them (their names depend on each other).
 */
export function createFingerprintStage(options: { readonly length: number }): Stage {
  return {
    name: 'fingerprint',
    phase: 'content',
    applies: () => true,
    run(asset, context) {
      const component = context.component
      let hash: string
      if (component?.cyclic === true) hash = component.sharedFingerprint()
      // Bytes no content stage changed: the fingerprint is a prefix of the full source hash (same algorithm).
      else if (asset.contents === null || asset.contents === asset.original) hash = asset.sourceHash.slice(0, options.length)
      else hash = context.fingerprint(asset.contents)
      const name = fingerprintedName(asset.logicalPath, hash)
      addOutput(asset, asset.contents === null ? { role: 'fingerprinted', name, file: asset.sourceFile } : { role: 'fingerprinted', name, bytes: asset.contents })
    },
  }
}
