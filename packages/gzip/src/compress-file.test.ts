import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { compressFile, compressSync, ENCODINGS, TEXT_SNIFF_BYTES, type CompressOptions } from './index.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-gzip-file-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Log lines: text, compressible, long enough to take many read chunks (64 KiB each). */
function logText(lines: number): Buffer {
  return Buffer.from(Array.from({ length: lines }, (_, index) => `2024-05-01T12:00:${String(index % 60).padStart(2, '0')}Z GET /items/${(index * 2654435761) % 9973} ${[200, 304, 404][index % 3]}\n`).join(''))
}

let counter = 0
async function fileOf(bytes: Uint8Array): Promise<{ input: string; outputs: { gzip: string; br: string } }> {
  counter += 1
  const input = join(dir, `input-${counter}.txt`)
  await writeFile(input, bytes)
  return { input, outputs: { gzip: join(dir, `out-${counter}.gz`), br: join(dir, `out-${counter}.br`) } }
}

describe('compressFile', () => {
  it('streams variants that decompress to the input and are byte for byte what compressSync makes', async () => {
    const data = logText(20_000) // ~1 MB: many chunks
    // A low large-input bound, so the level cap must be applied the same way on both paths.
    const cases: CompressOptions[] = [{}, { levels: { gzip: 6, br: 5 } }, { largeInput: { bytes: 1000, levels: { br: 4 } } }]
    for (const options of cases) {
      const { input, outputs } = await fileOf(data)
      const files = await compressFile(input, { ...options, outputs })
      const inMemory = compressSync(data, options)
      const gz = await readFile(outputs.gzip)
      const br = await readFile(outputs.br)
      expect(files, JSON.stringify(options)).toEqual({ gzip: { path: outputs.gzip, size: gz.length }, br: { path: outputs.br, size: br.length } })
      expect(gunzipSync(gz).equals(data)).toBe(true)
      expect(brotliDecompressSync(br).equals(data)).toBe(true)
      expect(gz.equals(Buffer.from(inMemory.gzip!)), JSON.stringify(options)).toBe(true)
      expect(br.equals(Buffer.from(inMemory.br!)), JSON.stringify(options)).toBe(true)
      expect(gz[9]).toBe(3) // the OS byte, the same on every platform
    }
  })

  it('tells text from binary by the first bytes, even when a character is cut at the sniff boundary', async () => {
    const createEncoder = vi.spyOn(ENCODINGS.br, 'createEncoder')
    try {
      // 'é' is two bytes: one of them straddles the boundary.
      const cut = Buffer.from(`a${'é'.repeat(TEXT_SNIFF_BYTES)}`)
      expect(cut[TEXT_SNIFF_BYTES - 1]).toBe(0xc3)
      const cases: [Buffer, boolean][] = [
        [cut, true],
        [Buffer.concat([Buffer.from([0, 1, 2]), logText(5000)]), false], // a NUL byte
        [Buffer.concat([logText(10), Buffer.from([0xff, 0xfe]), logText(5000)]), false], // not UTF-8
        [Buffer.concat([logText(5000), Buffer.from([0])]), true], // past the sniffed bytes: not looked at
      ]
      for (const [data, text] of cases) {
        createEncoder.mockClear()
        const { input, outputs } = await fileOf(data)
        await compressFile(input, { encodings: ['br'], outputs })
        expect(createEncoder.mock.calls[0]?.[1]).toEqual({ text, size: data.length })
        expect(brotliDecompressSync(await readFile(outputs.br)).equals(data)).toBe(true)
      }
    } finally {
      createEncoder.mockRestore()
    }
  })

  it('writes beside the input by default', async () => {
    const { input } = await fileOf(logText(100))
    const files = await compressFile(input)
    expect(files.gzip?.path).toBe(`${input}${ENCODINGS.gzip.extension}`)
    expect(files.br?.path).toBe(`${input}.br`)
    expect(gunzipSync(await readFile(`${input}.gz`)).equals(await readFile(input))).toBe(true)
  })

  it('drops a variant that is not small enough, leaving no file, and makes nothing of an empty file', async () => {
    const noise = await fileOf(randomBytes(512 * 1024))
    expect(await compressFile(noise.input, { outputs: noise.outputs })).toEqual({})
    const empty = await fileOf(new Uint8Array())
    expect(await compressFile(empty.input, { outputs: empty.outputs })).toEqual({})
    const data = logText(2000)
    const exact = compressSync(data, { encodings: ['gzip'] }).gzip!.length / data.length
    const kept = await fileOf(data)
    expect(Object.keys(await compressFile(kept.input, { encodings: ['gzip'], maxRatio: exact, outputs: kept.outputs }))).toEqual(['gzip'])
    const dropped = await fileOf(data)
    expect(await compressFile(dropped.input, { encodings: ['gzip'], maxRatio: exact * 0.999, outputs: dropped.outputs })).toEqual({})
    const names = await readdir(dir)
    for (const path of [...Object.values(noise.outputs), ...Object.values(empty.outputs), ...Object.values(dropped.outputs)]) expect(names).not.toContain(path.slice(dir.length + 1))
  })

  it('shows every input byte to onInput, once, in order', async () => {
    const data = logText(10_000)
    const { input, outputs } = await fileOf(data)
    const seen: Buffer[] = []
    await compressFile(input, { outputs, onInput: (chunk) => seen.push(Buffer.from(chunk)) })
    expect(seen.length).toBeGreaterThan(1)
    expect(Buffer.concat(seen).equals(data)).toBe(true)
  })

  it('fails without touching an output that exists, and removes the ones it made', async () => {
    const { input, outputs } = await fileOf(logText(3000))
    await writeFile(outputs.br, 'not ours')
    await expect(compressFile(input, { outputs })).rejects.toMatchObject({ code: 'EEXIST' })
    expect(await readFile(outputs.br, 'utf8')).toBe('not ours')
    expect(await readdir(dir)).not.toContain(outputs.gzip.slice(dir.length + 1))
  })

  it('fails for a missing input and checks its options first', async () => {
    await expect(compressFile(join(dir, 'missing.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
    const { input } = await fileOf(logText(10))
    await expect(compressFile(input, { levels: { br: 12 } })).rejects.toMatchObject({ code: 'ERR_CONVOY_CONFIG' })
  })
})

describe('ENCODINGS fixOutput', () => {
  it('sets the gzip OS byte wherever the chunk holding it starts', () => {
    const chunk = new Uint8Array(4).fill(10)
    ENCODINGS.gzip.fixOutput(chunk, 8) // covers offsets 8–11: byte 9 is chunk[1]
    expect([...chunk]).toEqual([10, 3, 10, 10])
    const later = new Uint8Array(4).fill(10)
    ENCODINGS.gzip.fixOutput(later, 10)
    expect([...later]).toEqual([10, 10, 10, 10])
  })
})
