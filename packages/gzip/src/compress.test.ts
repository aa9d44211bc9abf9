import { randomBytes } from 'node:crypto'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { compress, compressorVersions, compressSync, encodingOfPath, ENCODINGS, resolveCompressOptions, type CompressedVariants, type CompressOptions } from './index.js'

const css = Buffer.from(
  Array.from({ length: 400 }, (_, index) => `.item-${index} { color: #${(index * 2654435761).toString(16).slice(-6)}; margin: ${index % 7}px }\n`).join(''),
)
const js = Buffer.from(`/*! lib */\n${'function add(a, b) { return a + b }\n'.repeat(200)}export { add }\n`)
// Compressible bytes that are not text.
const binary = Buffer.from(Array.from({ length: 20000 }, (_, index) => (index * index) % 7 === 0 ? 0 : index % 13))
const inputs = { css, js, binary, short: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'.repeat(3)) }

const both = [
  ['compress', (data: Uint8Array, options?: CompressOptions) => compress(data, options)],
  ['compressSync', (data: Uint8Array, options?: CompressOptions) => new Promise<CompressedVariants>((resolve) => resolve(compressSync(data, options)))],
] as const

describe.each(both)('%s', (_name, run) => {
  it('returns variants that decompress to exactly the input', async () => {
    for (const [name, data] of Object.entries(inputs)) {
      const { gzip, br } = await run(data)
      expect(gzip, name).toBeDefined()
      expect(br, name).toBeDefined()
      expect(gunzipSync(gzip!).equals(data), name).toBe(true)
      expect(brotliDecompressSync(br!).equals(data), name).toBe(true)
      expect(br!.length, name).toBeLessThanOrEqual(gzip!.length)
    }
  })

  it('writes gzip without a file name or mtime, the same bytes every time', async () => {
    const first = (await run(css)).gzip!
    const second = (await run(Buffer.from(css))).gzip!
    expect(Buffer.from(first.subarray(0, 3))).toEqual(Buffer.from([0x1f, 0x8b, 8]))
    expect(first[3]! & 0x08).toBe(0) // FNAME
    expect(first[3]).toBe(0) // no flag at all: no name, comment, extra field or header CRC
    expect([...first.subarray(4, 8)]).toEqual([0, 0, 0, 0]) // MTIME
    expect(first[9]).toBe(3) // OS
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true)
    expect(Buffer.from((await run(css)).br!).equals(Buffer.from((await run(css)).br!))).toBe(true)
  })

  it('keeps a variant only when it is at most 95% of the original', async () => {
    expect(await run(randomBytes(64 * 1024))).toEqual({})
    expect(await run(Buffer.from('a'))).toEqual({})
    const exact = gzipSync(css, { level: 9 }).length / css.length
    expect((await run(css, { brotli: false, maxRatio: exact })).gzip).toBeDefined()
    expect((await run(css, { brotli: false, maxRatio: exact * 0.999 })).gzip).toBeUndefined()
    expect(await run(css, { maxRatio: 0.001 })).toEqual({})
  })

  it('has no variants for empty input', async () => {
    expect(await run(new Uint8Array(0))).toEqual({})
  })

  it('honours the level, the quality and turning a variant off', async () => {
    expect(Object.keys(await run(css, { gzip: false }))).toEqual(['br'])
    expect(Object.keys(await run(css, { brotli: false }))).toEqual(['gzip'])
    expect(await run(css, { gzip: false, brotli: false })).toEqual({})
    const fast = await run(js, { gzip: { level: 1 }, brotli: { quality: 1 } })
    const best = await run(js)
    expect(fast.gzip!.length).toBeGreaterThan(best.gzip!.length)
    expect(fast.br!.length).toBeGreaterThan(best.br!.length)
    expect(brotliDecompressSync(fast.br!).equals(js)).toBe(true)
    expect(gunzipSync(fast.gzip!).equals(js)).toBe(true)
  })

  it('caps the brotli quality of inputs above the large-input size', async () => {
    const capped = await run(js, { largeInput: { bytes: js.length - 1, brotliQuality: 1 } })
    const atQuality1 = await run(js, { brotli: { quality: 1 } })
    expect(Buffer.from(capped.br!).equals(Buffer.from(atQuality1.br!))).toBe(true)
    const underTheSize = await run(js, { largeInput: { bytes: js.length, brotliQuality: 1 } })
    expect(Buffer.from(underTheSize.br!).equals(Buffer.from((await run(js)).br!))).toBe(true)
    const uncapped = await run(js, { largeInput: false })
    expect(Buffer.from(uncapped.br!).equals(Buffer.from((await run(js)).br!))).toBe(true)
  })

  it('rejects impossible options as configuration errors', async () => {
    for (const options of [{ gzip: { level: 10 } }, { brotli: { quality: 12 } }, { gzip: { level: 1.5 } }, { maxRatio: 0 }, { maxRatio: Number.NaN }]) {
      const error = await run(css, options).then(
        () => undefined,
        (reason: unknown) => reason,
      )
      expect(isConvoyError(error) && error.code, JSON.stringify(options)).toBe('ERR_CONVOY_CONFIG')
      expect((error as Error).message).toMatch(/^@convoy\/gzip: /)
    }
  })
})

describe('the encodings and levels shape', () => {
  it('makes exactly the listed encodings, at their levels, the same bytes as the deprecated keys', async () => {
    expect(Object.keys(await compress(css, { encodings: ['br'] }))).toEqual(['br'])
    expect(Object.keys(await compress(css, { encodings: [] }))).toEqual([])
    const fast = await compress(js, { levels: { gzip: 1, br: 1 } })
    const legacy = await compress(js, { gzip: { level: 1 }, brotli: { quality: 1 } })
    expect(Buffer.from(fast.gzip!).equals(Buffer.from(legacy.gzip!))).toBe(true)
    expect(Buffer.from(fast.br!).equals(Buffer.from(legacy.br!))).toBe(true)
    const capped = await compress(js, { largeInput: { bytes: js.length - 1, levels: { br: 1 } } })
    expect(Buffer.from(capped.br!).equals(Buffer.from(fast.br!))).toBe(true)
  })

  it('resolves once: defaults filled in, the deprecated keys mapped, and resolving again changes nothing', () => {
    const resolved = resolveCompressOptions({ brotli: false, gzip: { level: 6 } })
    expect(resolved).toEqual({
      encodings: ['gzip'],
      levels: { gzip: 6, br: 11, zstd: 19 },
      maxRatio: 0.95,
      largeInput: { bytes: 4 * 1024 * 1024, levels: { br: 9, zstd: 15 } },
      skipped: [],
    })
    expect(resolveCompressOptions(resolved)).toEqual(resolved)
  })

  it('rejects an unknown encoding and a level out of range, naming them', () => {
    expect(() => resolveCompressOptions({ encodings: ['deflate' as 'gzip'] })).toThrow(/unknown encoding "deflate" \(known: gzip, br, zstd\)/)
    expect(() => resolveCompressOptions({ levels: { br: 12 } })).toThrow(/brotli quality must be an integer from 0 to 11, got 12/)
    expect(() => resolveCompressOptions({ levels: { zstd: 20 } })).toThrow(/zstd level must be an integer from 0 to 19, got 20/)
    expect(() => resolveCompressOptions({ largeInput: { levels: { zstd: -1 } } })).toThrow(/large-input zstd level must be an integer from 0 to 19, got -1/)
  })

  it('finds the encoding of a sibling by its extension', () => {
    expect(encodingOfPath('a.css.gz')).toBe('gzip')
    expect(encodingOfPath('a.css.br')).toBe('br')
    expect(encodingOfPath('a.css.zst')).toBe('zstd')
    expect(encodingOfPath('a.css')).toBeUndefined()
    expect(Object.values(ENCODINGS).map((encoding) => encoding.extension)).toEqual(['.gz', '.br', '.zst'])
  })
})

describe('compress and compressSync', () => {
  it('produce the same bytes', async () => {
    const asynchronous = await compress(js)
    const synchronous = compressSync(js)
    expect(Buffer.from(asynchronous.gzip!).equals(Buffer.from(synchronous.gzip!))).toBe(true)
    expect(Buffer.from(asynchronous.br!).equals(Buffer.from(synchronous.br!))).toBe(true)
  })
})

describe('compressorVersions', () => {
  it('names the zlib, brotli and zstd of this Node.js', () => {
    expect(compressorVersions()).toEqual({ zlib: process.versions.zlib, brotli: process.versions.brotli, zstd: process.versions.zstd ?? 'unknown' })
  })
})
