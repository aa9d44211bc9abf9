import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDiskCache, PACK_FOLDER } from './cache.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-cache-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const texts = (parts: Uint8Array[] | undefined): string[] | undefined => parts?.map((part) => Buffer.from(part).toString('utf8'))
const key = (n: number): string => n.toString(16).padStart(64, '0')

describe('the disk cache', () => {
  it('keeps entries across instances, in two pack files however many entries a burst writes', async () => {
    const writer = createDiskCache(dir)
    await Promise.all(Array.from({ length: 500 }, (_, n) => writer.set(key(n), [bytes(`a${n}`), new Uint8Array(), bytes('z'.repeat(n))])))
    expect((await readdir(join(dir, PACK_FOLDER))).length).toBe(2)
    // Seen by the writer itself, and by a later process.
    expect(texts(await writer.get(key(7)))).toEqual(['a7', '', 'zzzzzzz'])
    const reader = createDiskCache(dir)
    for (const n of [0, 1, 250, 499]) expect(texts(await reader.get(key(n)))).toEqual([`a${n}`, '', 'z'.repeat(n)])
    expect(await reader.get(key(500))).toBeUndefined()
  })

  it('a later set seen by an instance that had already loaded the index', async () => {
    const cache = createDiskCache(dir)
    expect(await cache.get(key(1))).toBeUndefined()
    await cache.set(key(1), [bytes('one')])
    expect(texts(await cache.get(key(1)))).toEqual(['one'])
  })

  it('a damaged pack or a torn index is a miss, never wrong bytes', async () => {
    const writer = createDiskCache(dir)
    await writer.set(key(1), [bytes('first entry')])
    await writer.set(key(2), [bytes('second entry')])
    const names = await readdir(join(dir, PACK_FOLDER))
    const pack = join(dir, PACK_FOLDER, names.find((name) => name.endsWith('.pack'))!)
    const index = join(dir, PACK_FOLDER, names.find((name) => name.endsWith('.idx'))!)
    // Flip one byte of the first record's body: its checksum no longer matches.
    const damaged = await readFile(pack)
    const at = damaged.indexOf('first entry')
    damaged[at] = damaged[at]! ^ 0xff
    await writeFile(pack, damaged)
    expect(await createDiskCache(dir).get(key(1))).toBeUndefined()
    expect(texts(await createDiskCache(dir).get(key(2)))).toEqual(['second entry'])
    // A crash halfway through the index's second record: the first still counts, the second is gone.
    await truncate(index, 48 + 20)
    expect(await createDiskCache(dir).get(key(2))).toBeUndefined()
    // And a pack cut short: the record its index points at is not whole.
    const other = join(dir, 'other')
    await createDiskCache(other).set(key(4), [bytes('fourth entry')])
    const otherPack = (await readdir(join(other, PACK_FOLDER))).find((name) => name.endsWith('.pack'))!
    await truncate(join(other, PACK_FOLDER, otherPack), 30)
    expect(await createDiskCache(other).get(key(4))).toBeUndefined()
  })

  it('still reads entries of the one-file-per-entry layout', async () => {
    const old = key(3)
    await mkdir(join(dir, old.slice(0, 2)), { recursive: true })
    const header = Buffer.alloc(8)
    header.writeUInt32LE(1, 0)
    header.writeUInt32LE(3, 4)
    await writeFile(join(dir, old.slice(0, 2), old), Buffer.concat([header, Buffer.from('old')]))
    expect(texts(await createDiskCache(dir).get(old))).toEqual(['old'])
  })

  it('a cache that cannot be written costs nothing but speed', async () => {
    await writeFile(join(dir, PACK_FOLDER), 'a file where the folder should be')
    const cache = createDiskCache(dir)
    await expect(cache.set(key(1), [bytes('x')])).resolves.toBeUndefined()
    expect(await cache.get(key(1))).toBeUndefined()
  })
})
