import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as zlib from 'node:zlib'
import { isConvoyError } from '@convoy/errors'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { compress, compressFile, compressSync, DEFAULT_ENCODINGS, ENCODINGS, resolveCompressOptions, type Encoding } from './index.js'
import { EXPECT_ZSTD } from './test/node-lines.js'

const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: (data: Uint8Array) => Buffer }).zstdDecompressSync

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-gzip-zstd-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const css = Buffer.from(
  Array.from({ length: 400 }, (_, index) => `.item-${index} { color: #${(index * 2654435761).toString(16).slice(-6)}; margin: ${index % 7}px }\n`).join(''),
)

/** Log lines: text, compressible, in many read chunks. */
function logText(lines: number): Buffer {
  return Buffer.from(Array.from({ length: lines }, (_, index) => `2024-05-01T12:00:${String(index % 60).padStart(2, '0')}Z GET /items/${(index * 2654435761) % 9973} ${[200, 304, 404][index % 3]}\n`).join(''))
}

/** What the header of a zstd frame says (RFC 8878 §3.1.1.1). */
function frameHeader(frame: Uint8Array): { magic: string; checksum: boolean; singleSegment: boolean; contentSize: number | undefined; window: number } {
  const descriptor = frame[4]!
  const sizeFlag = descriptor >> 6
  const singleSegment = ((descriptor >> 5) & 1) === 1
  let offset = 5
  let window = 0
  if (!singleSegment) {
    const exponent = (frame[5]! >> 3) + 10
    window = 2 ** exponent + (2 ** exponent / 8) * (frame[5]! & 7)
    offset += 1
  }
  offset += [0, 1, 2, 4][descriptor & 3]! // the dictionary ID
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag]!
  let contentSize: number | undefined
  if (sizeBytes > 0) {
    contentSize = 0
    for (let index = sizeBytes - 1; index >= 0; index -= 1) contentSize = contentSize * 256 + frame[offset + index]!
    if (sizeBytes === 2) contentSize += 256
  }
  if (singleSegment) window = contentSize!
  return { magic: Buffer.from(frame.subarray(0, 4)).toString('hex'), checksum: ((descriptor >> 2) & 1) === 1, singleSegment, contentSize, window }
}

describe('the zstd encoding', () => {
  it('is in the table, after br, and opt-in', async () => {
    expect(ENCODINGS.zstd).toMatchObject({ name: 'zstd', extension: '.zst', preference: 3, levelName: 'zstd level', maxLevel: 19, defaultLevel: 19, largeInputLevel: 15 })
    expect(ENCODINGS.zstd.version).toBe(`zstd ${process.versions.zstd ?? 'unknown'}`)
    expect(DEFAULT_ENCODINGS).toEqual(['gzip', 'br'])
    expect(Object.keys(await compress(css))).toEqual(['gzip', 'br'])
  })

  it('gzip and br are available on every Node.js', () => {
    expect(ENCODINGS.gzip.unavailable()).toBeUndefined()
    expect(ENCODINGS.br.unavailable()).toBeUndefined()
  })

  it(`is ${EXPECT_ZSTD ? 'available' : 'unavailable, with a reason,'} on Node ${process.version}`, () => {
    if (EXPECT_ZSTD) expect(ENCODINGS.zstd.unavailable()).toBeUndefined()
    else expect(ENCODINGS.zstd.unavailable()).toBe(`node:zlib of Node ${process.version} has no zstd (Node ≥ 22.15 has)`)
  })
})

describe.runIf(EXPECT_ZSTD)('zstd siblings (Node ≥ 22.15)', () => {
  it('decompress to the input, the same bytes from compress, compressSync and every run', async () => {
    const options = { encodings: ['gzip', 'br', 'zstd'] } as const
    const synchronous = compressSync(css, options)
    const asynchronous = await compress(css, options)
    expect(Object.keys(synchronous)).toEqual(['gzip', 'br', 'zstd'])
    expect(zstdDecompressSync!(synchronous.zstd!).equals(css)).toBe(true)
    expect(Buffer.from(asynchronous.zstd!).equals(Buffer.from(synchronous.zstd!))).toBe(true)
    expect(Buffer.from(compressSync(css, options).zstd!).equals(Buffer.from(synchronous.zstd!))).toBe(true)
  })

  it('carry the length and a checksum, and a small file gets a window of its own size', () => {
    const header = frameHeader(compressSync(css, { encodings: ['zstd'] }).zstd!)
    expect(header).toEqual({ magic: '28b52ffd', checksum: true, singleSegment: true, contentSize: css.length, window: css.length })
  })

  it('never use a window above 8 MiB, in memory or streamed', async () => {
    const data = logText(250_000) // ~10 MB: more than the window
    expect(data.length).toBeGreaterThan(8 * 1024 * 1024)
    const options = { encodings: ['zstd'], levels: { zstd: 1 } } as const
    const inMemory = compressSync(data, options).zstd!
    expect(frameHeader(inMemory)).toMatchObject({ checksum: true, singleSegment: false, contentSize: data.length, window: 8 * 1024 * 1024 })
    expect(zstdDecompressSync!(inMemory).equals(data)).toBe(true)
    const input = join(dir, 'large.log')
    await writeFile(input, data)
    const files = await compressFile(input, options)
    const streamed = await readFile(files.zstd!.path)
    expect(files.zstd!.path).toBe(`${input}.zst`)
    expect(streamed.equals(Buffer.from(inMemory))).toBe(true)
  })

  it('honour the level, and cap it for large inputs', () => {
    const data = logText(5000)
    const fast = compressSync(data, { encodings: ['zstd'], levels: { zstd: 1 } }).zstd!
    const best = compressSync(data, { encodings: ['zstd'] }).zstd!
    // (On such regular lines level 1 may even come out smaller: the level is seen in the bytes, not the size.)
    expect(Buffer.from(fast).equals(Buffer.from(best))).toBe(false)
    expect(zstdDecompressSync!(fast).equals(data)).toBe(true)
    const capped = compressSync(data, { encodings: ['zstd'], largeInput: { bytes: data.length - 1, levels: { zstd: 1 } } }).zstd!
    expect(Buffer.from(capped).equals(Buffer.from(fast))).toBe(true)
  })

  it('are streamed by compressFile, byte for byte what compressSync makes', async () => {
    const data = logText(20_000)
    for (const options of [{ encodings: ['zstd'], levels: { zstd: 9 } }, { encodings: ['gzip', 'zstd'], largeInput: { bytes: 1000, levels: { zstd: 3 } } }] as const) {
      const input = join(dir, `streamed-${options.encodings.length}.log`)
      await writeFile(input, data)
      const files = await compressFile(input, options)
      const zst = await readFile(files.zstd!.path)
      expect(files.zstd).toEqual({ path: `${input}.zst`, size: zst.length })
      expect(zst.equals(Buffer.from(compressSync(data, options).zstd!))).toBe(true)
      expect(zstdDecompressSync!(zst).equals(data)).toBe(true)
    }
  })

  it('a file whose length changes while compressFile reads it gets no zstd variant, and keeps the others', async () => {
    const data = logText(3000)
    const input = join(dir, 'growing.log')
    await writeFile(input, data)
    const createEncoder = ENCODINGS.zstd.createEncoder.bind(ENCODINGS.zstd)
    // As if the file had been stat'ed before its last bytes were written.
    const spy = vi.spyOn(ENCODINGS.zstd, 'createEncoder').mockImplementation((level, hints) => createEncoder(level, { ...hints, size: hints.size! - 10 }))
    try {
      const files = await compressFile(input, { encodings: ['gzip', 'zstd'] })
      expect(spy).toHaveBeenCalledOnce()
      expect(Object.keys(files)).toEqual(['gzip'])
      await expect(readFile(`${input}.zst`)).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      spy.mockRestore()
    }
  })

  it('resolves with nothing skipped', () => {
    expect(resolveCompressOptions({ encodings: ['gzip', 'zstd'] })).toMatchObject({ encodings: ['gzip', 'zstd'], skipped: [] })
  })
})

describe.runIf(!EXPECT_ZSTD)('without zstd in node:zlib (Node < 22.15)', () => {
  const reason = `node:zlib of Node ${process.version} has no zstd (Node ≥ 22.15 has)`

  it('resolves without it, saying why, and the same again', () => {
    const resolved = resolveCompressOptions({ encodings: ['gzip', 'zstd'], levels: { zstd: 5 } })
    expect(resolved).toMatchObject({ encodings: ['gzip'], skipped: [{ name: 'zstd', reason }], levels: { zstd: 5 } })
    expect(resolveCompressOptions(resolved)).toEqual(resolved)
    expect(resolveCompressOptions({ encodings: ['zstd', 'zstd'] }).skipped).toEqual([{ name: 'zstd', reason }])
  })

  it('still checks its level', () => {
    expect(() => resolveCompressOptions({ encodings: ['zstd'], levels: { zstd: 20 } })).toThrow(/zstd level must be an integer from 0 to 19, got 20/)
  })

  it('makes the other variants', async () => {
    expect(Object.keys(await compress(css, { encodings: ['gzip', 'zstd'] }))).toEqual(['gzip'])
    expect(Object.keys(compressSync(css, { encodings: ['zstd', 'br'] }))).toEqual(['br'])
    const input = join(dir, 'no-zstd.css')
    await writeFile(input, css)
    expect(Object.keys(await compressFile(input, { encodings: ['gzip', 'zstd'] }))).toEqual(['gzip'])
    await expect(readFile(`${input}.zst`)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('its encoders throw ERR_CONVOY_CONFIG with the reason when called anyway', async () => {
    const zstd: Encoding = ENCODINGS.zstd
    const calls = [() => zstd.encodeSync(css, 19, { text: true }), () => zstd.createEncoder(19, { text: true })]
    for (const call of calls) {
      let error: unknown
      try {
        call()
      } catch (caught) {
        error = caught
      }
      expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
      expect((error as Error).message).toBe(`@convoy/gzip: cannot encode zstd: ${reason}`)
    }
    await expect(zstd.encode(css, 19, { text: true })).rejects.toMatchObject({ code: 'ERR_CONVOY_CONFIG', message: `@convoy/gzip: cannot encode zstd: ${reason}` })
  })
})
