// lock() on a file system without hard links (FAT, exFAT, some network and FUSE file systems): link() fails with
// EPERM there, and the lock file is created exclusively instead.
import type * as FsPromises from 'node:fs/promises'
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFsStorage } from './index.js'
import { deadPid } from './test/children.js'

const link = vi.hoisted(() => vi.fn())

vi.mock('node:fs/promises', async (importOriginal) => ({ ...(await importOriginal<typeof FsPromises>()), link }))

let dir: string
let root: string

beforeEach(async () => {
  link.mockReset()
  link.mockRejectedValue(Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }))
  dir = await realpath(await mkdtemp(join(tmpdir(), 'convoy-fs-nolink-')))
  root = join(dir, 'root')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('lock() without hard links', () => {
  it('creates the lock file exclusively, refuses a second lock, and releases it', async () => {
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect' })
    expect(link).toHaveBeenCalled()
    expect(JSON.parse(await readFile(join(root, '.convoy-lock'), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), purpose: 'convoy collect' })
    expect(await readdir(root)).toEqual(['.convoy-lock'])
    await expect(storage.lock({ purpose: 'convoy clean' })).rejects.toMatchObject({ code: 'ERR_CONVOY_CONFLICT' })
    await lock.assertHeld()
    await lock.release()
    expect(await readdir(root)).toEqual([])
  })

  it('takes over a stale lock, one winner among racers', async () => {
    await mkdir(root)
    const stale = { pid: await deadPid(), host: hostname(), startedAt: '2020-01-01T00:00:00.000Z', purpose: 'convoy collect', token: 'a'.repeat(32) }
    await writeFile(join(root, '.convoy-lock'), JSON.stringify(stale))
    const notices: string[] = []
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) => createFsStorage({ root }).lock({ purpose: `racer ${index}`, onNotice: (notice) => notices.push(notice) })),
    )
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1)
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain(`taking over the stale lock of pid ${stale.pid}`)
    expect(await readdir(root)).toEqual(['.convoy-lock'])
  })
})
