import { mkdir, mkdtemp, readdir, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createFsStorage } from './index.js'
import { hostIdOf, thisHostId } from './owners.js'
import { buildChildProgram, deadPid, killChildren, startChild } from './test/children.js'

let program: string
let disposeProgram: () => Promise<void>
let dir: string
let root: string

beforeAll(async () => {
  ;({ program, dispose: disposeProgram } = await buildChildProgram())
}, 60_000)

afterAll(async () => {
  await disposeProgram()
})

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'convoy-fs-leftovers-')))
  root = join(dir, 'root')
})

afterEach(async () => {
  await killChildren()
  await rm(dir, { recursive: true, force: true })
})

/** A host id that is not ours, as another machine sharing the disk would write it. */
const OTHER_HOST = [hostIdOf('build-2.example'), hostIdOf('build-3.example')].find((id) => id !== thisHostId())!
const RANDOM = '0123456789abcdef'

function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60 * 1000)
}

async function plant(path: string, modified?: Date): Promise<void> {
  const file = join(root, path)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, 'half a file')
  if (modified !== undefined) await utimes(file, modified, modified)
}

async function exists(path: string): Promise<boolean> {
  return stat(join(root, path)).then(
    () => true,
    () => false,
  )
}

describe('removeLeftovers()', () => {
  it('removes the temp file of a writer SIGKILLed mid-write; keeps one of a live process', async () => {
    const writer = startChild(program, 'write', root)
    await writer.next('writing')
    // Bounded: the child has 4 MiB on the way; wait until part of it is on disk.
    let temp: string | undefined
    for (let tries = 0; tries < 500 && temp === undefined; tries++) {
      const names = await readdir(join(root, 'big')).catch(() => [])
      const name = names.find((candidate) => candidate.startsWith('.convoy-tmp-'))
      if (name !== undefined && (await stat(join(root, 'big', name))).size > 0) temp = name
      else await sleep(10)
    }
    expect(temp, 'the writer has started its temp file').toMatch(new RegExp(`^\\.convoy-tmp-${writer.pid}-${thisHostId()}-[0-9a-f]{16}$`))
    await writer.kill()
    // A write of this (live) process in progress, as its name says.
    const live = `css/.convoy-tmp-${process.pid}-${thisHostId()}-${RANDOM}`
    await plant(live, minutesAgo(24 * 60))

    const storage = createFsStorage({ root })
    expect(await storage.removeLeftovers()).toEqual([`big/${temp!}`])
    expect(await readdir(join(root, 'big'))).toEqual([])
    expect(await exists(live), 'the temp file of a live process is kept, however old').toBe(true)
    expect(await storage.exists('big/video.bin'), 'the interrupted write never became an object').toBe(false)
    expect(await storage.removeLeftovers()).toEqual([])
  }, 30_000)

  it('removes those of another host or of the old format only when older than one hour, a dead pid of this host at once', async () => {
    const dead = await deadPid()
    const removed = [
      `.convoy-tmp-${RANDOM}`, // the old format, 2 hours old
      `css/.convoy-tmp-${dead}-${OTHER_HOST}-${RANDOM}`, // another host, 2 hours old
      'deep/er/.convoy-tmp-whatever', // a name we cannot read, 2 hours old
    ]
    for (const path of removed) await plant(path, minutesAgo(120))
    const deadHere = `js/.convoy-tmp-${dead}-${thisHostId()}-${RANDOM}` // a dead writer of this host, just now
    await plant(deadHere)
    const kept = [
      `.convoy-tmp-fedcba9876543210`, // the old format, 50 minutes old
      `css/.convoy-tmp-${process.pid}-${OTHER_HOST}-${RANDOM}`, // another host, 10 minutes old (its pid means nothing here)
      `js/.convoy-tmp-${process.pid}-${thisHostId()}-${RANDOM}`, // this live process, 2 hours old
    ]
    await plant(kept[0]!, minutesAgo(50))
    await plant(kept[1]!, minutesAgo(10))
    await plant(kept[2]!, minutesAgo(120))
    const storage = createFsStorage({ root })
    await storage.write('css/site.css', 'body{}')
    await storage.write('x.txt', 'x')

    expect(await storage.removeLeftovers()).toEqual([...removed, deadHere].sort())
    for (const path of removed) expect(await exists(path), path).toBe(false)
    for (const path of kept) expect(await exists(path), path).toBe(true)
    const listed: string[] = []
    for await (const entry of storage.list()) listed.push(entry.path)
    expect(listed.sort()).toEqual(['css/site.css', 'x.txt'])
  })

  it('never follows a symbolic link out of the root, and leaves the lock and objects alone', async () => {
    const dead = await deadPid()
    const outside = join(dir, 'outside')
    await mkdir(outside)
    const outsideTemp = join(outside, `.convoy-tmp-${dead}-${thisHostId()}-${RANDOM}`)
    await writeFile(outsideTemp, 'not ours to remove')
    await mkdir(root)
    await symlink(outside, join(root, 'linked'))
    await symlink(outsideTemp, join(root, `.convoy-tmp-${dead}-${thisHostId()}-${RANDOM.split('').reverse().join('')}`))
    const storage = createFsStorage({ root })
    await storage.write('a.txt', 'a')
    const lock = await storage.lock({ purpose: 'convoy collect' })
    expect(await storage.removeLeftovers(), 'a symbolic link is not a temp file, and linked folders are not walked').toEqual([])
    expect(await stat(outsideTemp)).toBeTruthy()
    await lock.assertHeld()
    expect(await storage.exists('a.txt')).toBe(true)
    await lock.release()
  })

  it('a missing root has no leftovers, and is not created', async () => {
    expect(await createFsStorage({ root }).removeLeftovers()).toEqual([])
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
