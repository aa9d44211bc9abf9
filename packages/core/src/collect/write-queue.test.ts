import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileBody, WHOLE_FILE_BYTES } from './write-queue.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-write-queue-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function bytesOf(body: Uint8Array | Readable): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe('fileBody()', () => {
  it('reads a small file whole, and streams one above the bound (never holding it whole)', async () => {
    const small = Buffer.alloc(WHOLE_FILE_BYTES, 1)
    const large = Buffer.alloc(WHOLE_FILE_BYTES + 1, 2)
    await writeFile(join(dir, 'small'), small)
    await writeFile(join(dir, 'large'), large)
    const smallBody = await fileBody(join(dir, 'small'))
    expect(smallBody).toBeInstanceOf(Uint8Array)
    expect((await bytesOf(smallBody)).equals(small)).toBe(true)
    const largeBody = await fileBody(join(dir, 'large'))
    expect(largeBody).toBeInstanceOf(Readable)
    expect((await bytesOf(largeBody)).equals(large)).toBe(true)
  })

  it('a missing file is an error, not an empty body', async () => {
    await expect(fileBody(join(dir, 'missing'))).rejects.toThrow(/ENOENT/)
  })
})
