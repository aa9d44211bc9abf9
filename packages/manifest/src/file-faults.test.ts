// Disk faults that cannot be provoked for real when the tests run as root (permissions are ignored then):
// node:fs/promises is wrapped so chosen calls fail, everything else stays real.
import type * as FsPromises from 'node:fs/promises'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isConvoyError } from '@convoy/errors'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { writeManifestFile } from './file.js'
import { serializeManifest } from './manifest.js'
import { manifestOf } from './test-helpers.js'
import { MANIFEST_FILE } from './types.js'

const faults = vi.hoisted(() => ({ rename: false, write: false, open: false }))

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>()
  const fail = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: injected fault`), { code })
  return {
    ...fs,
    open: async (...args: Parameters<typeof fs.open>) => {
      if (faults.open) throw fail('EACCES')
      const handle = await fs.open(...args)
      if (!faults.write) return handle
      // Disk full half-way: some bytes reach the temporary file, then the write fails.
      return Object.assign(handle, {
        writeFile: async (data: string) => {
          await fs.writeFile(handle, data.slice(0, data.length >> 1))
          throw fail('ENOSPC')
        },
      })
    },
    rename: async (...args: Parameters<typeof fs.rename>) => {
      if (faults.rename) throw fail('EXDEV')
      return fs.rename(...args)
    },
  }
})

let dir: string
let target: string
const v1 = manifestOf({ 'css/a.css': 'v1' })
const v2 = manifestOf({ 'css/a.css': 'v2' })

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-manifest-faults-'))
  target = join(dir, MANIFEST_FILE)
  await writeManifestFile(target, v1)
})
afterEach(async () => {
  Object.assign(faults, { rename: false, write: false, open: false })
  await rm(dir, { recursive: true, force: true })
})

describe('writeManifestFile under disk faults', () => {
  it.each([
    ['the directory is read-only', 'open', 'cannot create a temporary file for the manifest', 'EACCES'],
    ['the disk fills up during the write', 'write', 'cannot write the manifest', 'ENOSPC'],
    ['the rename fails', 'rename', 'cannot rename the temporary file over the manifest', 'EXDEV'],
  ] as const)('keeps the old manifest and no temporary file when %s', async (_, fault, problem, code) => {
    faults[fault] = true
    const error = await writeManifestFile(target, v2).then(() => undefined, (e: unknown) => e)
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_STORAGE')
    expect((error as Error).message).toBe(`@convoy/manifest: ${problem} ${target} (${code}: injected fault)`)
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe(code)
    expect(await readFile(target, 'utf8')).toBe(serializeManifest(v1))
    expect(await readdir(dir)).toEqual([MANIFEST_FILE])
  })
})
