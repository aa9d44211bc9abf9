import { ConvoyError } from '@convoy/errors'
import { DELTA_ENCODERS, dictionaryHash } from '@convoy/gzip'
import { deltaPath, DELTA_ENCODING_NAMES, type DeltaEncoding } from '@convoy/storage'
import { addOutput, servedOf, sizeOf, STREAM_THRESHOLD_BYTES, type Asset } from '../asset.js'
import type { Stage } from '../stage.js'
import type { TaskRunner } from '../../work/runner.js'

/** `compress.deltas` of the config: `false`, `true` (the defaults) or these settings. */
export interface DeltaOptions {
  /** How many earlier versions of a file each new version gets a delta against, newest first. Default `3`. */
  readonly versions?: number
  /** A served file smaller than this gets no delta (its brotli sibling is a few hundred bytes already). Default `1024`. */
  readonly minBytes?: number
  /** Which delta encodings to build, each where this Node can: `dcb` (brotli) and `dcz` (zstd). Default both. */
  readonly encodings?: readonly DeltaEncoding[]
}

/** {@link DeltaOptions} checked and filled in; `encodings` holds only those this Node can build. */
export interface ResolvedDeltaOptions {
  readonly versions: number
  readonly minBytes: number
  readonly encodings: readonly DeltaEncoding[]
  /** The encodings asked for that this Node cannot build, each with why: collect says so once. */
  readonly skipped: readonly { readonly name: DeltaEncoding; readonly reason: string }[]
}

export const DELTA_DEFAULTS = Object.freeze({ versions: 3, minBytes: 1024, encodings: DELTA_ENCODING_NAMES })

/**
 * Checks `compress.deltas` and keeps the encodings this Node can build (found by trying, at the first call).
 * Throws `ERR_CONVOY_CONFIG` for a value out of range or an unknown encoding.
 */
export function resolveDeltaOptions(options: boolean | DeltaOptions | undefined): ResolvedDeltaOptions {
  if (options === false) return { versions: 0, minBytes: 0, encodings: [], skipped: [] }
  const given = options === true || options === undefined ? {} : options
  const versions = given.versions ?? DELTA_DEFAULTS.versions
  const minBytes = given.minBytes ?? DELTA_DEFAULTS.minBytes
  const wanted = given.encodings ?? DELTA_DEFAULTS.encodings
  if (!Number.isSafeInteger(versions) || versions < 1 || versions > 20) throw configError(`versions must be an integer from 1 to 20, got ${String(versions)}`)
  if (!Number.isSafeInteger(minBytes) || minBytes < 0) throw configError(`minBytes must be a whole number of bytes ≥ 0, got ${String(minBytes)}`)
  for (const name of wanted) {
    if (!DELTA_ENCODING_NAMES.includes(name)) throw configError(`unknown delta encoding ${JSON.stringify(name)} (known: ${DELTA_ENCODING_NAMES.join(', ')})`)
  }
  const encodings: DeltaEncoding[] = []
  const skipped: { name: DeltaEncoding; reason: string }[] = []
  for (const name of new Set(wanted)) {
    const reason = DELTA_ENCODERS[name].unavailable()
    if (reason === undefined) encodings.push(name)
    else skipped.push({ name, reason })
  }
  return { versions, minBytes, encodings, skipped }
}

function configError(message: string): ConvoyError {
  return new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: compress.deltas: ${message}`)
}

/** What gets deltas: the scripts and stylesheets pages load (RFC 9842 dictionaries are matched by URL). */
function isDeltaType(asset: Asset): boolean {
  return /^(?:text\/css|text\/javascript|application\/javascript)(?:;|$)/.test(asset.contentType)
}

export interface DeltaStageOptions {
  readonly deltas: ResolvedDeltaOptions
  readonly runner: TaskRunner
}

/**
 * Compression Dictionary Transport (RFC 9842) at deploy time. Each served script and stylesheet is recorded as a
 * dictionary for its later versions (its SHA-256 and the URL pattern they share, `context.versionsOf`), and gets a
 * delta against each of the newest `versions` earlier versions still in the storage: `dcb` (brotli) and `dcz` (zstd) framed as the RFC
 * says, each kept only when smaller than the file's best precompressed sibling. A returning visitor whose browser
 * holds an earlier version then downloads only the delta. Runs after `compress`, whose siblings it must beat.
 */
export function createDeltaStage(options: DeltaStageOptions): Stage {
  const { deltas, runner } = options
  const levels = Object.fromEntries(deltas.encodings.map((name) => [name, DELTA_ENCODERS[name].defaultLevel]))
  return {
    name: 'deltas',
    phase: 'output',
    signature: JSON.stringify({ versions: deltas.versions, minBytes: deltas.minBytes, levels, encoders: deltas.encodings.map((name) => DELTA_ENCODERS[name].version) }),
    applies: (asset) => deltas.encodings.length > 0 && !asset.binary && isDeltaType(asset),
    async run(asset, context) {
      const served = servedOf(asset)
      const size = sizeOf(asset, served)
      // A file streamed from disk (above the threshold) is never held whole, which a dictionary compressor needs.
      if (size < deltas.minBytes || size > STREAM_THRESHOLD_BYTES) return
      const versions = context.versionsOf(asset)
      if (versions === undefined) return
      const target = await context.bytesOf(served)
      const hash = dictionaryHash(target)
      asset.dictionary = { hash, match: versions.match }
      // What a delta must beat: the smallest way of sending the file without one.
      let best = size
      for (const output of asset.outputs) if (output.role === 'encoded') best = Math.min(best, sizeOf(asset, output))
      let built = 0
      for (const path of versions.earlier) {
        if (built === deltas.versions) break
        const dictionary = await context.readStored(path)
        // Removed by `convoy clean`: no returning visitor can be sent a delta against it that the server has.
        if (dictionary === null) continue
        built += 1
        const against = dictionaryHash(dictionary)
        if (against === hash) continue
        for (const encoding of deltas.encodings) {
          // A dictionary zstd would read as a trained one (its magic bytes first) cannot be a raw dcz dictionary.
          if (DELTA_ENCODERS[encoding].dictionaryProblem(dictionary) !== undefined) continue
          const level = levels[encoding]!
          const delta = await context.cached({
            input: { bytes: target },
            key: { dictionary: against, encoding },
            compute: async () => {
              const result = await runner.run({ kind: 'delta', encoding, target, dictionary, level })
              if (result.kind !== 'delta') throw new Error('unexpected task result')
              return result.bytes
            },
            encode: (bytes) => [bytes],
            decode: (parts) => parts[0],
          })
          if (delta.byteLength < best) addOutput(asset, { role: 'delta', encoding, dictionary: against, name: deltaPath(served.name, against, encoding), bytes: delta })
        }
      }
    },
  }
}
