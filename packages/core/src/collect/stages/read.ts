import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { ConvoyError } from '@convoy/errors'
import { contentHash, integrity } from '@convoy/hash'
import { stampOf } from '../../sources.js'
import { looksBinary, STREAM_THRESHOLD_BYTES, type Asset } from '../asset.js'
import type { Stage } from '../stage.js'

/**
 * The run's first stage: hashes every file. The files a content stage reads (CSS, JS) are kept in memory for the
 * reference scan; the rest are streamed, hashed and given their SRI in one read, and read again only when an output
 * stage needs their bytes, so the whole tree never sits in memory at once.
 *
 * With `stampOf` (the stat the walk saw), a file whose stat is different once it has been read changed while it was
 * read: the run fails rather than publish bytes that may be half old, half new, or a hash the index would pin to
 * the wrong stat.
 */
export function createReadStage(options: { readonly algorithm: string; readonly contentStages: readonly Stage[]; readonly stampOf?: (asset: Asset) => string | undefined }): Stage {
  const assertUnchanged = async (asset: Asset): Promise<void> => {
    const before = options.stampOf?.(asset)
    if (before === undefined) return
    const after = stampOf(await stat(asset.sourceFile, { bigint: true })).key
    if (after !== before) throw new ConvoyError('ERR_CONVOY_READ', `@convoy/core: ${asset.sourceFile} changed while collect was reading it; nothing is published: run collect again`, { file: asset.sourceFile })
  }
  // The full-length hash of the original; the fingerprint of an untouched file is its prefix.
  const sourceHash = { algorithm: options.algorithm, length: createHash(options.algorithm).digest('hex').length }
  return {
    name: 'read',
    phase: 'content',
    applies: () => true,
    async run(asset, context) {
      const readAsText = options.contentStages.some((stage) => stage.applies(asset))
      if (readAsText && asset.size > STREAM_THRESHOLD_BYTES) {
        // Held whole, a file this size (and what terser or clean-css make of it) would not bound memory.
        asset.binary = true
        context.warn({ kind: 'large-text', file: asset.sourceFile, message: `is ${mebibytes(asset.size)} MiB, above the ${mebibytes(STREAM_THRESHOLD_BYTES)} MiB streaming threshold: copied as it is (references not rewritten, not minified)` })
      } else if (readAsText) {
        const contents = new Uint8Array(await readFile(asset.sourceFile))
        await assertUnchanged(asset)
        asset.sourceHash = contentHash(contents, sourceHash)
        // A binary file with a text name is not held for the content stages: it is streamed like any other binary.
        if (looksBinary(contents)) {
          asset.binary = true
          asset.sourceIntegrity = integrity(contents)
          context.warn({ kind: 'binary-text', file: asset.sourceFile, message: `has a NUL byte in its first 8 KiB: treated as binary (references not rewritten, not minified)` })
          return
        }
        asset.original = contents
        asset.contents = contents
        return
      }
      const hash = createHash(options.algorithm)
      const sri = createHash('sha384')
      for await (const chunk of createReadStream(asset.sourceFile)) {
        hash.update(chunk as Buffer)
        sri.update(chunk as Buffer)
      }
      await assertUnchanged(asset)
      asset.sourceHash = hash.digest('hex')
      asset.sourceIntegrity = `sha384-${sri.digest('base64')}`
    },
  }
}

const mebibytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')
