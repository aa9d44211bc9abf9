import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readManifestFile, writeManifestFile } from './file.js'
import { serializeManifest } from './manifest.js'
import { manifestOf, rejection } from './test-helpers.js'
import { MANIFEST_FILE, type Manifest } from './types.js'

let dir: string
let target: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-manifest-'))
  target = join(dir, MANIFEST_FILE)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const v1 = manifestOf({ 'css/a.css': 'v1' })

describe('readManifestFile / writeManifestFile', () => {
  it('writes the serialized text and reads it back', async () => {
    await writeManifestFile(target, v1)
    expect(await readFile(target, 'utf8')).toBe(serializeManifest(v1))
    expect(await readManifestFile(target)).toEqual(v1)
    expect(await readdir(dir)).toEqual([MANIFEST_FILE])
  })

  it('reports a missing manifest with ERR_CONVOY_MANIFEST and keeps the cause', async () => {
    const error = await rejection(readManifestFile(join(dir, 'nope.json')))
    expect(error.code).toBe('ERR_CONVOY_MANIFEST')
    expect(error.message).toBe(`@convoy/manifest: no manifest at ${join(dir, 'nope.json')}`)
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT')
  })

  it('reports an unreadable manifest (a directory) and an invalid one, naming the file', async () => {
    await mkdir(target)
    const unreadable = await rejection(readManifestFile(target))
    expect(unreadable.code).toBe('ERR_CONVOY_MANIFEST')
    expect(unreadable.message).toContain(`@convoy/manifest: ${target}: cannot read the manifest (EISDIR`)
    await rm(target, { recursive: true })
    await writeFile(target, '{"version": 2}')
    const invalid = await rejection(readManifestFile(target))
    expect(invalid.message).toBe(`@convoy/manifest: ${target}: unknown manifest version 2 (this version of @convoy/manifest reads version 1)`)
    expect(invalid.file).toBe(target)
  })

  it('never lets a concurrent reader see a partial manifest', async () => {
    // Large and of varying size, so a torn write would show as invalid JSON or a wrong size.
    const versions: Manifest[] = [1, 2, 3].map((v) =>
      manifestOf(Object.fromEntries(Array.from({ length: 150 * v }, (_, i) => [`css/file-${i}.css`, `v${v}`]))),
    )
    const texts = new Set(versions.map(serializeManifest))
    await writeManifestFile(target, versions[0]!)
    let writing = true
    let reads = 0
    const torn: string[] = []
    const reader = (async () => {
      while (writing) {
        const text = await readFile(target, 'utf8')
        if (!texts.has(text)) torn.push(text)
        reads++
      }
    })()
    try {
      for (let i = 0; i < 60; i++) await writeManifestFile(target, versions[i % 3]!)
    } finally {
      writing = false
      await reader
    }
    expect(torn).toEqual([])
    expect(reads).toBeGreaterThan(10)
    expect(await readdir(dir)).toEqual([MANIFEST_FILE])
  })

  it('fails with ERR_CONVOY_STORAGE and leaves no temporary file when a directory is at the target path', async () => {
    await mkdir(target)
    await writeFile(join(target, 'keep.txt'), 'x')
    const error = await rejection(writeManifestFile(target, v1))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toMatch(/^@convoy\/manifest: cannot rename the temporary file over the manifest .* \((EISDIR|ENOTEMPTY|EEXIST)/)
    expect(error.cause).toBeInstanceOf(Error)
    expect(await readdir(dir)).toEqual([MANIFEST_FILE])
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('x')
  })

  it('fails when the directory does not exist, creating nothing', async () => {
    const error = await rejection(writeManifestFile(join(dir, 'missing', MANIFEST_FILE), v1))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toContain('cannot create a temporary file for the manifest')
    expect(await readdir(dir)).toEqual([])
  })

  it('refuses an invalid manifest before touching the disk', async () => {
    await writeManifestFile(target, v1)
    const broken = { ...v1, version: 2 } as unknown as Manifest
    const error = await rejection(writeManifestFile(target, broken))
    expect(error.code).toBe('ERR_CONVOY_MANIFEST')
    expect(await readFile(target, 'utf8')).toBe(serializeManifest(v1))
    expect(await readdir(dir)).toEqual([MANIFEST_FILE])
  })
})
