import { createHash, randomBytes } from 'node:crypto'
import * as zlib from 'node:zlib'
import { isConvoyError } from '@convoy/errors'
import { DELTA_ENCODING_NAMES, deltaPath, type DeltaEncoding } from '@convoy/storage'
import { describe, expect, it } from 'vitest'
import { DELTA_ENCODERS, dictionaryHash, ENCODINGS, type Encoding } from './index.js'
import { EXPECT_BROTLI_DICTIONARY, EXPECT_ZSTD } from './test/node-lines.js'

const zstd = zlib as unknown as {
  zstdDecompressSync?: (data: Uint8Array, options?: { dictionary?: Uint8Array }) => Buffer
  zstdCompressSync?: (data: Uint8Array) => Buffer
}
const brotliDecompress = (data: Uint8Array, dictionary: Uint8Array): Buffer => zlib.brotliDecompressSync(data, { dictionary } as zlib.BrotliOptions)

const EXPECTED_AVAILABLE: Readonly<Record<DeltaEncoding, boolean>> = { dcb: EXPECT_BROTLI_DICTIONARY, dcz: EXPECT_ZSTD }
const MAGIC: Readonly<Record<DeltaEncoding, string>> = { dcb: 'ff444342', dcz: '5e2a4d1820000000' }

/** What a failing call threw. */
function thrown(call: () => unknown): unknown {
  try {
    call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

/** A script of about 15 kB whose lines differ (no long repeats within it), as a bundle's would. */
function script(seed: number): string {
  let state = seed
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0)
  const lines: string[] = []
  for (let index = 0; lines.join('\n').length < 15_000; index += 1) {
    lines.push(`export function handler${index}(event) { return dispatch('${next().toString(36)}', event.detail?.${next().toString(36).slice(0, 5)} ?? ${next() % 1000}) }`)
  }
  return lines.join('\n')
}

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()

const oldScript = Buffer.from(script(1))
const lines = oldScript.toString().split('\n')
lines[Math.floor(lines.length / 2)] = "export function changed() { return 'one line changed between two deploys' }"
const newScript = Buffer.from(lines.join('\n'))

describe('dictionaryHash', () => {
  it('is the SHA-256 in standard base64, as Available-Dictionary carries it and deltaPath takes it', () => {
    expect(dictionaryHash(new TextEncoder().encode('test'))).toBe('n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=')
    expect(dictionaryHash(oldScript)).toBe(sha256(oldScript).toString('base64'))
    expect(deltaPath('js/app.js', dictionaryHash(oldScript), 'dcz')).toBe(`js/app.js.${sha256(oldScript).toString('hex', 0, 8)}.dcz`)
  })
})

describe('DELTA_ENCODERS', () => {
  it('has one encoder per delta encoding, with its levels', () => {
    expect(Object.keys(DELTA_ENCODERS)).toEqual([...DELTA_ENCODING_NAMES])
    expect(DELTA_ENCODERS.dcb).toMatchObject({ name: 'dcb', extension: '.dcb', levelName: 'brotli quality', maxLevel: 11, defaultLevel: 11, version: `brotli ${process.versions.brotli}` })
    expect(DELTA_ENCODERS.dcz).toMatchObject({ name: 'dcz', extension: '.dcz', levelName: 'zstd level', maxLevel: 19, defaultLevel: 19, version: `zstd ${process.versions.zstd ?? 'unknown'}` })
    expect(Object.isFrozen(DELTA_ENCODERS)).toBe(true)
  })

  // Node 20: neither; Node 22: dcz only (its brotli takes a dictionary and ignores it); Node 24: both.
  it(`on Node ${process.version}: dcb ${EXPECTED_AVAILABLE.dcb ? 'available' : 'unavailable'}, dcz ${EXPECTED_AVAILABLE.dcz ? 'available' : 'unavailable'}`, () => {
    expect(DELTA_ENCODERS.dcb.unavailable()).toBe(EXPECTED_AVAILABLE.dcb ? undefined : `node:zlib of Node ${process.version} ignores a brotli dictionary (recent releases of Node 24 use it)`)
    expect(DELTA_ENCODERS.dcz.unavailable()).toBe(
      EXPECTED_AVAILABLE.dcz ? undefined : EXPECT_ZSTD ? `node:zlib of Node ${process.version} ignores a zstd dictionary` : `node:zlib of Node ${process.version} has no zstd (Node ≥ 22.15 has)`,
    )
    // Remembered: the same answer without trying again.
    for (const name of DELTA_ENCODING_NAMES) expect(DELTA_ENCODERS[name].unavailable()).toBe(DELTA_ENCODERS[name].unavailable())
  })
})

const available = DELTA_ENCODING_NAMES.filter((name) => EXPECTED_AVAILABLE[name])
const unavailable = DELTA_ENCODING_NAMES.filter((name) => !EXPECTED_AVAILABLE[name])

/** The target back from the stream after the header, with node:zlib itself: what a browser does. */
function decodedByZlib(name: DeltaEncoding, delta: Uint8Array, dictionary: Uint8Array): Buffer {
  const stream = delta.subarray(MAGIC[name].length / 2 + 32)
  return name === 'dcb' ? brotliDecompress(stream, dictionary) : zstd.zstdDecompressSync!(stream, { dictionary })
}

describe.each(available)('%s deltas', (name) => {
  const encoder = DELTA_ENCODERS[name]

  it('start with the magic bytes and the SHA-256 of the dictionary, then the stream', () => {
    const delta = encoder.encodeSync(newScript, oldScript, encoder.defaultLevel)
    expect(Buffer.from(delta.subarray(0, MAGIC[name].length / 2)).toString('hex')).toBe(MAGIC[name])
    const hashAt = MAGIC[name].length / 2
    expect(Buffer.from(delta.subarray(hashAt, hashAt + 32)).equals(sha256(oldScript))).toBe(true)
    expect(decodedByZlib(name, delta, oldScript).equals(newScript)).toBe(true)
    expect(Buffer.from(encoder.decode(delta, oldScript)).equals(newScript)).toBe(true)
  })

  it('of a one-line change in a 15 kB script are far smaller than its brotli', () => {
    expect(newScript.length).toBeGreaterThan(15_000)
    const br = (ENCODINGS.br as Encoding).encodeSync(newScript, 11, { text: true })
    const delta = encoder.encodeSync(newScript, oldScript, encoder.defaultLevel)
    expect(delta.length).toBeLessThan(br.length * 0.1)
  })

  it('are the same bytes from encode and encodeSync, at the level asked for', async () => {
    const synchronous = encoder.encodeSync(newScript, oldScript, 1)
    expect(Buffer.from(await encoder.encode(newScript, oldScript, 1)).equals(Buffer.from(synchronous))).toBe(true)
    expect(Buffer.from(synchronous).equals(Buffer.from(encoder.encodeSync(newScript, oldScript, encoder.defaultLevel)))).toBe(false)
    expect(Buffer.from(encoder.decode(synchronous, oldScript)).equals(newScript)).toBe(true)
  })

  it('work for binary files and for an empty target or dictionary', () => {
    const binary = randomBytes(4096)
    const grown = Buffer.concat([binary, randomBytes(16)])
    expect(Buffer.from(encoder.decode(encoder.encodeSync(grown, binary, 5), binary)).equals(grown)).toBe(true)
    expect(encoder.decode(encoder.encodeSync(new Uint8Array(), binary, 5), binary).length).toBe(0)
    expect(Buffer.from(encoder.decode(encoder.encodeSync(binary, new Uint8Array(), 5), new Uint8Array())).equals(binary)).toBe(true)
  })

  it('refuse to decode against another dictionary, naming both hashes', () => {
    const delta = encoder.encodeSync(newScript, oldScript, 5)
    const error = thrown(() => encoder.decode(delta, newScript))
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_STEP')
    expect((error as Error).message).toBe(
      `@convoy/gzip: this ${name} delta was made against another dictionary: its header names ${dictionaryHash(oldScript)}, the dictionary given is ${dictionaryHash(newScript)}`,
    )
  })

  it('refuse bytes that are not such a delta, or do not decompress', () => {
    const other = name === 'dcb' ? 'dcz' : 'dcb'
    const notOurs = Buffer.concat([Buffer.from(MAGIC[other], 'hex'), sha256(oldScript), Buffer.from('x')])
    for (const bytes of [notOurs, new Uint8Array(), Buffer.from(MAGIC[name], 'hex')]) {
      const error = thrown(() => encoder.decode(bytes, oldScript))
      expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_STEP')
      expect((error as Error).message).toMatch(new RegExp(`^@convoy/gzip: this is not a ${name} delta: it does not start with the bytes ${MAGIC[name].replace(/(..)(?!$)/g, '$1 ')} and a 32-byte SHA-256`))
    }
    const delta = Buffer.from(encoder.encodeSync(newScript, oldScript, 5))
    // Damaged bytes: only zstd has a checksum to find them by (brotli may decode them to other bytes).
    const damaged = Buffer.from(delta)
    damaged[damaged.length - 8]! ^= 0xff
    const broken = [delta.subarray(0, delta.length - 3), delta.subarray(0, delta.length - 20), Buffer.concat([delta, Buffer.from([0])]), ...(name === 'dcz' ? [damaged] : [])]
    for (const bytes of broken) {
      const error = thrown(() => encoder.decode(bytes, oldScript))
      expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_STEP')
      expect((error as Error).message).toMatch(new RegExp(`^@convoy/gzip: this ${name} delta does not decompress: `))
    }
  })

  it('refuse a level out of range as a configuration error', async () => {
    for (const level of [-1, encoder.maxLevel + 1, 1.5]) {
      const error = thrown(() => encoder.encodeSync(newScript, oldScript, level))
      expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
      expect((error as Error).message).toBe(`@convoy/gzip: the ${name} ${encoder.levelName} must be an integer from 0 to ${encoder.maxLevel}, got ${level}`)
      await expect(encoder.encode(newScript, oldScript, level)).rejects.toMatchObject({ code: 'ERR_CONVOY_CONFIG' })
    }
  })
})

describe.runIf(EXPECTED_AVAILABLE.dcz)('dcz frames', () => {
  const encoder = DELTA_ENCODERS.dcz
  /** The zstd frame header after the 40-byte dcz header: its checksum flag and window (RFC 8878 §3.1.1.1). */
  const frame = (delta: Uint8Array): { checksum: boolean; window: number | 'content size' } => {
    const descriptor = delta[40 + 4]!
    const singleSegment = ((descriptor >> 5) & 1) === 1
    const windowByte = delta[40 + 5]!
    const exponent = (windowByte >> 3) + 10
    return { checksum: ((descriptor >> 2) & 1) === 1, window: singleSegment ? 'content size' : 2 ** exponent + (2 ** exponent / 8) * (windowByte & 7) }
  }

  it('carry a content checksum, as browsers check', () => {
    expect(frame(encoder.encodeSync(newScript, oldScript, 19)).checksum).toBe(true)
  })

  it('keep the window at 8 MiB for a small dictionary, however large the target', () => {
    const target = randomBytes(9 * 1024 * 1024)
    const dictionary = target.subarray(0, 1024 * 1024)
    const delta = encoder.encodeSync(target, dictionary, 1)
    expect(frame(delta)).toEqual({ checksum: true, window: 8 * 1024 * 1024 })
    expect(Buffer.from(encoder.decode(delta, dictionary)).equals(target)).toBe(true)
  })

  // Level 13 or more: zstd's faster levels index only part of a dictionary this large.
  it('reach the whole of a dictionary larger than 8 MiB (a window up to 1.25 × its size)', { timeout: 30_000 }, () => {
    const dictionary = randomBytes(14 * 1024 * 1024)
    const target = Buffer.concat([Buffer.from('a new first line\n'), dictionary])
    const delta = encoder.encodeSync(target, dictionary, 13)
    expect(delta.length).toBeLessThan(target.length * 0.001)
    const { window } = frame(delta)
    // Either the whole target in one segment, or a window of at most 1.25 × 14 MiB (a power of two: 16 MiB).
    expect(window === 'content size' ? target.length : window).toBeLessThanOrEqual(1.25 * dictionary.length)
    expect(Buffer.from(encoder.decode(delta, dictionary)).equals(target)).toBe(true)
  })

  it('refuse a dictionary node:zlib would read as a trained zstd dictionary', () => {
    const dictionary = Buffer.concat([Buffer.from([0x37, 0xa4, 0x30, 0xec]), oldScript])
    const reason = 'it starts with the bytes of a trained zstd dictionary (37 a4 30 ec), which node:zlib would not read as raw content'
    expect(encoder.dictionaryProblem(dictionary)).toBe(reason)
    expect(encoder.dictionaryProblem(oldScript)).toBeUndefined()
    expect(DELTA_ENCODERS.dcb.dictionaryProblem(dictionary)).toBeUndefined()
    const error = thrown(() => encoder.encodeSync(newScript, dictionary, 19))
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_STEP')
    expect((error as Error).message).toBe(`@convoy/gzip: cannot make a dcz delta against this dictionary: ${reason}`)
  })
})

describe.runIf(unavailable.length > 0)(`delta encoders this Node.js (${process.version}) lacks: ${unavailable.join(', ')}`, () => {
  it.each(unavailable)('%s: encode and decode throw ERR_CONVOY_CONFIG with the reason', async (name) => {
    const encoder = DELTA_ENCODERS[name]
    const reason = encoder.unavailable()
    expect(reason).toMatch(/^node:zlib of Node v\d+\.\d+\.\d+ /)
    const encodeError = thrown(() => encoder.encodeSync(newScript, oldScript, encoder.defaultLevel))
    expect(isConvoyError(encodeError) && encodeError.code).toBe('ERR_CONVOY_CONFIG')
    expect((encodeError as Error).message).toBe(`@convoy/gzip: cannot make ${name} deltas: ${reason}`)
    await expect(encoder.encode(newScript, oldScript, encoder.defaultLevel)).rejects.toMatchObject({ code: 'ERR_CONVOY_CONFIG', message: `@convoy/gzip: cannot make ${name} deltas: ${reason}` })
    const decodeError = thrown(() => encoder.decode(Buffer.from(MAGIC[name], 'hex'), oldScript))
    expect(isConvoyError(decodeError) && decodeError.code).toBe('ERR_CONVOY_CONFIG')
    expect((decodeError as Error).message).toBe(`@convoy/gzip: cannot decode ${name} deltas: ${reason}`)
  })
})
