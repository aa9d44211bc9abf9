import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { rejection } from './test/rejection.js'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createFsStorage, type FsStorage } from './index.js'
import type { LockRecord } from './lock.js'
import { type Child, buildChildProgram, deadPid, killChildren, startChild } from './test/children.js'

const TWO_HOURS_AGO = () => new Date(Date.now() - 2 * 60 * 60 * 1000)

let program: string
let disposeProgram: () => Promise<void>
let dir: string
let root: string
let lockFile: string

beforeAll(async () => {
  ;({ program, dispose: disposeProgram } = await buildChildProgram())
}, 60_000)

afterAll(async () => {
  await disposeProgram()
})

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'convoy-fs-lock-')))
  root = join(dir, 'root')
  lockFile = join(root, '.convoy-lock')
})

afterEach(async () => {
  await killChildren()
  await rm(dir, { recursive: true, force: true })
})


async function record(): Promise<LockRecord> {
  return JSON.parse(await readFile(lockFile, 'utf8')) as LockRecord
}

async function rootNames(): Promise<string[]> {
  return (await readdir(root)).sort()
}

async function paths(storage: FsStorage): Promise<string[]> {
  const found: string[] = []
  for await (const entry of storage.list()) found.push(entry.path)
  return found.sort()
}

/** A child that holds the lock (and says so), started with `go`. */
async function holdingChild(): Promise<Child> {
  const child = startChild(program, 'lock', root)
  await child.next('ready')
  child.send('go')
  const outcome = await child.next(['locked', 'error'])
  expect(outcome, 'the child takes the free lock').toEqual({ event: 'locked' })
  return child
}

function conflictMessage(held: LockRecord, tail: string): string {
  return `@convoy/storage-fs: the storage is locked, held by pid ${held.pid} on host ${held.host} since ${held.startedAt} for "${held.purpose}"; ${tail} (${lockFile})`
}

function staleNotice(held: LockRecord): string {
  return (
    `@convoy/storage-fs: taking over the stale lock of pid ${held.pid} on host ${held.host}, taken ${held.startedAt} ` +
    `for "${held.purpose}": that process is no longer running (${lockFile})`
  )
}

describe('lock()', () => {
  it('creates the root and a lock file with pid, host, start time, purpose and a random token; list() never shows it', async () => {
    const storage = createFsStorage({ root })
    const before = Date.now()
    const lock = await storage.lock({ purpose: 'convoy collect' })
    const held = await record()
    expect(Object.keys(held).sort()).toEqual(['host', 'pid', 'purpose', 'startedAt', 'token'])
    expect(held).toMatchObject({ pid: process.pid, host: hostname(), purpose: 'convoy collect' })
    expect(held.token).toMatch(/^[0-9a-f]{32}$/)
    expect(Date.parse(held.startedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(held.startedAt)).toBeLessThanOrEqual(Date.now())
    expect(await rootNames(), 'the temporary file it was linked from is gone').toEqual(['.convoy-lock'])
    expect(await paths(storage)).toEqual([])
    await storage.write('.convoy-lockfile.txt', 'an ordinary object with a similar name')
    expect(await paths(storage)).toEqual(['.convoy-lockfile.txt'])
    for await (const entry of storage.list('.convoy-lo')) expect(entry.path).toBe('.convoy-lockfile.txt')
    expect((await rejection(storage.read('.convoy-lock'))).code).toBe('ERR_CONVOY_STORAGE_PATH')
    await lock.release()
    expect(await rootNames()).toEqual(['.convoy-lockfile.txt'])
    const again = await storage.lock({ purpose: 'convoy clean' })
    expect((await record()).token, 'every lock() has a new token').not.toBe(held.token)
    await again.release()
  })

  it('a lock held by this live process: timeoutMs 0 throws ERR_CONVOY_CONFLICT at once, naming pid, host, time and purpose', async () => {
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect' })
    const held = await record()
    const notices: string[] = []
    const error = await rejection(createFsStorage({ root }).lock({ purpose: 'convoy clean', onNotice: (notice) => notices.push(notice) }))
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toBe(conflictMessage(held, 'not waiting for it (timeoutMs 0)'))
    expect(notices, 'no wait, so no notice').toEqual([])
    await lock.assertHeld()
    expect(await record()).toEqual(held)
    await lock.release()
  })

  it('waits up to timeoutMs with one notice, then gives up naming the wait', async () => {
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect' })
    const held = await record()
    const notices: string[] = []
    const started = Date.now()
    const error = await rejection(storage.lock({ purpose: 'convoy clean', timeoutMs: 300, onNotice: (notice) => notices.push(notice) }))
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(Date.now() - started, 'polls with a short interval, so it ends soon after the timeout').toBeLessThan(3000)
    expect(error.message).toBe(conflictMessage(held, 'gave up after waiting 300 ms'))
    expect(notices).toEqual([
      `@convoy/storage-fs: waiting up to 300 ms for the lock, held by pid ${held.pid} on host ${held.host} since ${held.startedAt} for "convoy collect" (${lockFile})`,
    ])
    await lock.release()
  })

  it('a child SIGKILLed while holding the lock: the next lock() takes it over with exactly one notice', async () => {
    const child = await holdingChild()
    const held = await record()
    expect(held.pid).toBe(child.pid)
    await child.kill()
    const notices: string[] = []
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect', onNotice: (notice) => notices.push(notice) })
    expect(notices).toEqual([staleNotice(held)])
    expect(await record()).toMatchObject({ pid: process.pid, purpose: 'convoy collect' })
    expect(await rootNames(), 'the stale lock file is gone, no temporary file is left').toEqual(['.convoy-lock'])
    await lock.assertHeld()
    await lock.release()
    expect(await rootNames()).toEqual([])
  }, 30_000)

  it('a live child holding the lock: timeoutMs 0 throws naming its pid and host; a waiter gets it once the child releases', async () => {
    const child = await holdingChild()
    const held = await record()
    const storage = createFsStorage({ root })
    const error = await rejection(storage.lock({ purpose: 'convoy collect', timeoutMs: 0 }))
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toContain(`held by pid ${child.pid} on host ${hostname()} since ${held.startedAt} for "test child ${child.pid}"`)
    expect(error.message).toBe(conflictMessage(held, 'not waiting for it (timeoutMs 0)'))

    const notices: string[] = []
    let settled = false
    const waiting = storage.lock({ purpose: 'convoy collect', timeoutMs: 20_000, onNotice: (notice) => notices.push(notice) })
    waiting.then(
      () => (settled = true),
      () => (settled = true),
    )
    for (let tries = 0; tries < 100 && notices.length === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(notices, 'told once, when the wait starts').toHaveLength(1)
    expect(notices[0]).toContain(`waiting up to 20000 ms for the lock, held by pid ${child.pid}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(settled, 'still waiting while the child holds the lock').toBe(false)
    child.send('release')
    expect(await child.next('released')).toEqual({ event: 'released' })
    const lock = await waiting
    expect(notices, 'no further notice: the lock was released, not taken over').toHaveLength(1)
    expect(await record()).toMatchObject({ pid: process.pid })
    await lock.release()
  }, 30_000)

  it('two processes taking over one stale lock at the same moment: exactly one wins, and one notice is given', async () => {
    // A few rounds, each with a fresh stale lock, so that different interleavings get their chance.
    for (let round = 0; round < 3; round++) {
      await rm(root, { recursive: true, force: true })
      const dead = await holdingChild()
      const stale = await record()
      await dead.kill()
      const racers = [startChild(program, 'lock', root), startChild(program, 'lock', root)] as const
      await Promise.all(racers.map((racer) => racer.next('ready')))
      for (const racer of racers) racer.send('go')
      const outcomes = await Promise.all(racers.map((racer) => racer.next(['locked', 'error'])))
      const winners = racers.filter((_, index) => outcomes[index]!.event === 'locked')
      expect(winners, `round ${round}: ${JSON.stringify(outcomes)}`).toHaveLength(1)
      const loser = outcomes.find((outcome) => outcome.event === 'error')
      expect(loser?.code, `round ${round}: the loser's error`).toBe('ERR_CONVOY_CONFLICT')
      // It lost either to the lock the winner took, or while the winner was taking the stale one over.
      const lostTo = [`held by pid ${winners[0]!.pid} on host ${hostname()}`, `held by pid ${stale.pid} on host ${stale.host}`]
      expect(lostTo.some((holder) => String(loser?.message).includes(holder)), String(loser?.message)).toBe(true)
      if (String(loser?.message).includes(lostTo[1]!)) expect(loser?.message).toContain('another process is taking the lock over')
      expect(await record(), 'the lock file is the winner’s').toMatchObject({ pid: winners[0]!.pid })
      const notices = racers.flatMap((racer) => racer.messages.filter((message) => message.event === 'notice').map((message) => message.notice))
      expect(notices, `round ${round}: only the one that removed the stale lock tells`).toEqual([staleNotice(stale)])
      const names = await rootNames()
      expect(names, `round ${round}: nothing but the lock is left`).toEqual(['.convoy-lock'])
      await Promise.all(racers.map((racer) => racer.kill()))
    }
  }, 60_000)

  it('eight lock() calls racing for one stale lock in one process: exactly one wins, with one notice (10 rounds)', async () => {
    const pid = await deadPid()
    await mkdir(root)
    for (let round = 0; round < 10; round++) {
      const stale: LockRecord = { pid, host: hostname(), startedAt: `2020-01-01T00:00:0${round}.000Z`, purpose: 'convoy collect', token: `${round}`.repeat(32) }
      await writeFile(lockFile, JSON.stringify(stale))
      const notices: string[] = []
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          createFsStorage({ root }).lock({ purpose: `racer ${index}`, timeoutMs: 0, onNotice: (notice) => notices.push(notice) }),
        ),
      )
      const won = attempts.filter((attempt) => attempt.status === 'fulfilled')
      expect(won, `round ${round}`).toHaveLength(1)
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') expect(attempt.reason).toMatchObject({ code: 'ERR_CONVOY_CONFLICT' })
      }
      expect(notices, `round ${round}`).toEqual([staleNotice(stale)])
      expect(await rootNames(), `round ${round}: no claim or temporary file is left`).toEqual(['.convoy-lock'])
      await won[0]!.value.assertHeld()
      await won[0]!.value.release()
    }
  })

  it('a take-over claimed by a live process is left to it; one abandoned by a dead process is taken past', async () => {
    await mkdir(root)
    const stale: LockRecord = { pid: await deadPid(), host: hostname(), startedAt: '2020-01-01T00:00:00.000Z', purpose: 'convoy collect', token: 'e'.repeat(32) }
    await writeFile(lockFile, JSON.stringify(stale))
    const { ino } = await stat(lockFile, { bigint: true })
    const claim = join(root, `.convoy-tmp-claim-${ino}-1`)
    const claimant = (pid: number): string => JSON.stringify({ ...stale, pid, token: 'f'.repeat(32), purpose: 'taking over' })
    await writeFile(claim, claimant(process.pid))
    const storage = createFsStorage({ root })
    const error = await rejection(storage.lock({ purpose: 'convoy clean' }))
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toBe(conflictMessage(stale, 'not waiting for it (timeoutMs 0); its holder is gone and another process is taking the lock over'))
    expect(await record(), 'the stale lock is left to the live claimant').toEqual(stale)

    await writeFile(claim, claimant(await deadPid()))
    const notices: string[] = []
    const lock = await storage.lock({ purpose: 'convoy clean', onNotice: (notice) => notices.push(notice) })
    expect(notices).toEqual([staleNotice(stale)])
    expect(await rootNames(), 'the abandoned claim is removed too').toEqual(['.convoy-lock'])
    await lock.release()
  })

  it('never takes over a lock of another host, however old', async () => {
    await mkdir(root)
    const foreign: LockRecord = { pid: await deadPid(), host: 'build-2.example', startedAt: '2020-01-01T00:00:00.000Z', purpose: 'convoy collect', token: 'b'.repeat(32) }
    await writeFile(lockFile, JSON.stringify(foreign))
    await utimes(lockFile, new Date('2020-01-01'), new Date('2020-01-01'))
    const notices: string[] = []
    const error = await rejection(createFsStorage({ root }).lock({ purpose: 'convoy collect', timeoutMs: 50, onNotice: (notice) => notices.push(notice) }))
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toBe(
      conflictMessage(foreign, 'gave up after waiting 50 ms; a lock of another host is never taken over: delete the lock file once no deploy runs there'),
    )
    expect(notices).toHaveLength(1)
    expect(await record()).toEqual(foreign)
  })

  it('an unreadable lock file counts as held until it is more than one hour old, then is taken over with a notice', async () => {
    await mkdir(root)
    await writeFile(lockFile, '{"pid": 12')
    const storage = createFsStorage({ root })
    const error = await rejection(storage.lock({ purpose: 'convoy collect' }))
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toMatch(/^@convoy\/storage-fs: the storage is locked, held through a lock file that cannot be read \(last changed [-0-9T:.]+Z\); not waiting/)
    expect(error.message).toContain(`an unreadable lock file counts as held until it is 1 hour old: delete it if no deploy runs (${lockFile})`)
    expect(await readFile(lockFile, 'utf8'), 'left as it was').toBe('{"pid": 12')

    const old = TWO_HOURS_AGO()
    await utimes(lockFile, old, old)
    const notices: string[] = []
    const lock = await storage.lock({ purpose: 'convoy collect', onNotice: (notice) => notices.push(notice) })
    expect(notices).toHaveLength(1)
    const [, changed] = /^@convoy\/storage-fs: taking over a lock file that cannot be read, last changed (\S+) \(more than 1 hour ago\) \((.+)\)$/.exec(notices[0]!) ?? []
    expect(notices[0]).toContain(`(${lockFile})`)
    expect(Math.abs(Date.parse(changed!) - old.getTime()), `${notices[0]} names the time of the file`).toBeLessThan(1000)
    expect(await record()).toMatchObject({ pid: process.pid })
    await lock.release()
  })

  it('takes the other kinds of unreadable lock files for held too: wrong fields, not JSON, empty, too big', async () => {
    await mkdir(root)
    const storage = createFsStorage({ root })
    const samples = ['', 'not json', '[]', '{"pid":"1","host":"h","startedAt":"t","purpose":"p","token":"x"}', `{"pid":0,"host":"h","startedAt":"t","purpose":"p","token":"x"}`, 'x'.repeat(70_000)]
    for (const sample of samples) {
      await writeFile(lockFile, sample)
      const error = await rejection(storage.lock({ purpose: 'convoy collect' }))
      expect(error.message, sample.slice(0, 40)).toMatch(/held through a lock file that cannot be read/)
      expect(await readFile(lockFile, 'utf8')).toBe(sample)
    }
  })

  it('refuses a folder or a symbolic link in place of the lock file, and leaves it alone', async () => {
    await mkdir(lockFile, { recursive: true })
    const storage = createFsStorage({ root })
    let error = await rejection(storage.lock({ purpose: 'convoy collect' }))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toBe(`@convoy/storage-fs: cannot lock: ${lockFile} is a folder, not a lock file; remove it`)
    expect((await lstat(lockFile)).isDirectory()).toBe(true)
    await rm(lockFile, { recursive: true })
    await writeFile(join(dir, 'elsewhere'), 'x')
    await symlink(join(dir, 'elsewhere'), lockFile)
    error = await rejection(storage.lock({ purpose: 'convoy collect' }))
    expect(error.message).toBe(`@convoy/storage-fs: cannot lock: ${lockFile} is a symbolic link, not a lock file; remove it`)
    expect((await lstat(lockFile)).isSymbolicLink()).toBe(true)
    expect(await readFile(join(dir, 'elsewhere'), 'utf8')).toBe('x')
  })

  it('assertHeld() and release() once the lock file is someone else’s: a conflict naming them, and their lock is kept', async () => {
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect' })
    const mine = await record()
    const theirs: LockRecord = { ...mine, purpose: 'convoy clean', token: 'c'.repeat(32), startedAt: new Date().toISOString() }
    await writeFile(lockFile, JSON.stringify(theirs))
    const error = await rejection(lock.assertHeld())
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toBe(
      `@convoy/storage-fs: the lock taken ${mine.startedAt} for "convoy collect" is no longer ours: it is now held by pid ${theirs.pid} on host ${theirs.host} since ${theirs.startedAt} for "convoy clean" (${lockFile})`,
    )
    await lock.release()
    expect(await record(), 'release() removes only our own lock file').toEqual(theirs)
    await rm(lockFile)
    expect((await rejection(lock.assertHeld())).message).toMatch(/was released/)
  })

  it('assertHeld() when the lock file is gone: a conflict saying so', async () => {
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect' })
    await rm(lockFile)
    const error = await rejection(lock.assertHeld())
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toMatch(/is no longer ours: the lock file is gone \(/)
    await lock.release()
  })

  it('release() removes the lock file, twice is fine (also at once), and assertHeld() then throws', async () => {
    const storage = createFsStorage({ root })
    const lock = await storage.lock({ purpose: 'convoy collect' })
    const held = await record()
    await lock.assertHeld()
    await Promise.all([lock.release(), lock.release()])
    await lock.release()
    expect(await rootNames()).toEqual([])
    const error = await rejection(lock.assertHeld())
    expect(error.code).toBe('ERR_CONVOY_CONFLICT')
    expect(error.message).toBe(`@convoy/storage-fs: the lock taken ${held.startedAt} for "convoy collect" was released (${lockFile})`)
  })

  it('escapes control characters of a lock file it did not write in its messages', async () => {
    await mkdir(root)
    const odd: LockRecord = { pid: process.pid, host: 'evil\u001b[31mhost', startedAt: 'now\nthen', purpose: 'a\u0007b', token: 'd'.repeat(32) }
    await writeFile(lockFile, JSON.stringify(odd))
    const error = await rejection(createFsStorage({ root }).lock({ purpose: 'convoy collect' }))
    expect(error.message).toContain('held by pid')
    expect(error.message).toContain('on host evil\\u001b[31mhost since now\\u000athen for "a\\u0007b"')
    // eslint-disable-next-line no-control-regex
    expect(error.message).not.toMatch(/[\u0000-\u001f]/)
  })

  it('refuses bad options with ERR_CONVOY_CONFIG before touching the disk', async () => {
    const storage = createFsStorage({ root })
    const bad: [unknown, string][] = [
      [undefined, 'needs options'],
      [{}, '`purpose` must say what holds the lock'],
      [{ purpose: '  ' }, '`purpose` must say what holds the lock'],
      [{ purpose: 'x', timeoutMs: -1 }, '`timeoutMs` must be a finite number'],
      [{ purpose: 'x', timeoutMs: Number.NaN }, '`timeoutMs` must be a finite number'],
      [{ purpose: 'x', timeoutMs: Number.POSITIVE_INFINITY }, '`timeoutMs` must be a finite number'],
      [{ purpose: 'x', timeoutMs: '10' }, '`timeoutMs` must be a finite number'],
      [{ purpose: 'x', onNotice: 'log' }, '`onNotice` must be a function'],
    ]
    for (const [options, rule] of bad) {
      const error = await rejection(storage.lock(options as never))
      expect(error.code, JSON.stringify(options)).toBe('ERR_CONVOY_CONFIG')
      expect(error.message).toContain(`@convoy/storage-fs: lock(): ${rule}`)
    }
    await expect(lstat(root)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
