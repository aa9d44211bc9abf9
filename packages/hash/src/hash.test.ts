import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contentHash, hashFile, integrity, integrityOfFile } from './index.js'

describe('contentHash', () => {
  it('is the first 12 hex characters of md5 by default', () => {
    const full = createHash('md5').update('body{color:red}').digest('hex')
    expect(contentHash('body{color:red}')).toBe(full.slice(0, 12))
    expect(contentHash(Buffer.from('body{color:red}'))).toBe(full.slice(0, 12))
  })

  it('honours the algorithm and length', () => {
    const full = createHash('sha256').update('x').digest('hex')
    expect(contentHash('x', { algorithm: 'sha256', length: 20 })).toBe(full.slice(0, 20))
    expect(contentHash('x', { algorithm: 'sha256', length: 64 })).toBe(full)
  })

  it('hashes several parts as their concatenation', () => {
    expect(contentHash(['ab', Buffer.from('cd')])).toBe(contentHash('abcd'))
  })

  it('rejects unknown algorithms and impossible lengths with a clear message', () => {
    expect(() => contentHash('x', { algorithm: 'nope' })).toThrow(/unknown hash algorithm "nope"/)
    expect(() => contentHash('x', { length: 0 })).toThrow(/positive integer/)
    expect(() => contentHash('x', { length: 33 })).toThrow(/exceeds the 32 hex characters of md5/)
  })
})

describe('hashFile', () => {
  it('streams a file and matches contentHash of its bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'convoy-hash-'))
    try {
      const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 'abc')
      await writeFile(join(dir, 'big.bin'), bytes)
      await writeFile(join(dir, 'empty'), '')
      expect(await hashFile(join(dir, 'big.bin'))).toBe(contentHash(bytes))
      expect(await hashFile(join(dir, 'empty'))).toBe(contentHash(''))
      expect(await integrityOfFile(join(dir, 'big.bin'))).toBe(integrity(bytes))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects a missing file', async () => {
    await expect(hashFile('/nonexistent/convoy/file')).rejects.toThrow(/ENOENT/)
  })
})

describe('integrity', () => {
  it('is an SRI string, sha384 by default', () => {
    const expected = createHash('sha384').update('alert(1)').digest('base64')
    expect(integrity('alert(1)')).toBe(`sha384-${expected}`)
    expect(integrity('alert(1)', 'sha256')).toMatch(/^sha256-[A-Za-z0-9+/]+=*$/)
  })
})
