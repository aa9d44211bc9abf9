import { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { isConvoyError } from '@convoy/errors'
import type { Storage, StorageLock } from '@convoy/storage'
import { describe, expect, it } from 'vitest'
import { expectBytes, filled } from './bodies.js'
import { drained, listPaths, step } from './steps.js'

/** The titles of the two tests, exported for the suite's own self-test. */
export const LOCK_TEST_TITLE =
  'lock() is exclusive, can be waited for, released (twice) and taken again, and is never listed (skipped when the storage has no lock())'
export const LEFTOVERS_TEST_TITLE =
  'removeLeftovers() returns an array and never removes a stored object or a write in progress (skipped when the storage has no removeLeftovers())'

/** How long the holder of a lock keeps it while a waiter waits, and how long an impatient waiter waits. */
const HOLD_MS = 60
const IMPATIENT_MS = 150

/**
 * Registers the conformance tests of the optional `lock()` and `removeLeftovers()`: one test each, run step by step
 * (a failure names its step), skipped with the reason for a storage that lacks the method. `runStorageTestSuite`
 * calls it inside its `describe`, so `current()` is the fresh storage of each test.
 */
export function registerLockTests(current: () => Storage, timeout: number): void {
  describe('lock and leftovers', () => {
    it(LOCK_TEST_TITLE, async (context) => {
      const storage = current()
      if (storage.lock === undefined) return context.skip('the storage has no lock()')
      const take = storage.lock.bind(storage)
      const held: StorageLock[] = []
      try {
        await storage.write('kept.txt', 'kept')
        const notices: string[] = []
        const first = await step('taking a free lock', () => take({ purpose: 'conformance holder', onNotice: (notice) => notices.push(notice) }))
        held.push(first)
        await step('assertHeld() passes while the lock is held', () => first.assertHeld())

        const second = await conflictOf(take({ purpose: 'conformance second', timeoutMs: 0 }), held)
        expect(second.code, 'a second lock({ timeoutMs: 0 }) while the lock is held').toBe('ERR_CONVOY_CONFLICT')
        expect(second.message, "the conflict names the holder's purpose").toContain('conformance holder')
        await step('assertHeld() passes after a refused second lock()', () => first.assertHeld())
        expect(await listPaths(storage), 'list() while the lock is held shows only the objects').toEqual(['kept.txt'])

        const impatientNotices: string[] = []
        const started = Date.now()
        const impatient = await conflictOf(
          take({ purpose: 'conformance impatient', timeoutMs: IMPATIENT_MS, onNotice: (notice) => impatientNotices.push(notice) }),
          held,
        )
        const waited = Date.now() - started
        expect(impatient.code, `lock({ timeoutMs: ${IMPATIENT_MS} }) while the lock stays held`).toBe('ERR_CONVOY_CONFLICT')
        expect(waited, `lock({ timeoutMs: ${IMPATIENT_MS} }) waits about timeoutMs before it gives up`).toBeGreaterThanOrEqual(IMPATIENT_MS - 20)
        expect(impatientNotices, 'a waiter is told once that it waits').toHaveLength(1)

        const waiterNotices: string[] = []
        let settled = false
        const waiting = take({ purpose: 'conformance waiter', timeoutMs: 5_000, onNotice: (notice) => waiterNotices.push(notice) })
        waiting.then(
          (lock) => {
            settled = true
            held.push(lock)
          },
          () => {
            settled = true
          },
        )
        await sleep(HOLD_MS)
        expect(settled, 'a waiter with timeoutMs waits while the lock is held').toBe(false)
        await step('release() of the holder', () => first.release())
        const waiter = await step('a waiter with timeoutMs gets the lock once the holder releases it', () => waiting)
        expect(waiterNotices, 'a waiter is told once that it waits').toHaveLength(1)
        await step("the waiter's assertHeld() passes", () => waiter.assertHeld())
        const released = await conflictOf(first.assertHeld(), held)
        expect(released.code, 'assertHeld() of a released lock').toBe('ERR_CONVOY_CONFLICT')

        await step('release() of a lock already released', () => first.release())
        await step("a second release() of the old holder leaves the new holder's lock alone", () => waiter.assertHeld())
        const third = await conflictOf(take({ purpose: 'conformance third', timeoutMs: 0 }), held)
        expect(third.code, 'lock({ timeoutMs: 0 }) while the waiter holds the lock').toBe('ERR_CONVOY_CONFLICT')
        expect(third.message, "the conflict names the new holder's purpose").toContain('conformance waiter')
        const removeLeftovers = storage.removeLeftovers?.bind(storage)
        if (removeLeftovers !== undefined) {
          await step('removeLeftovers() while the lock is held', removeLeftovers)
          await step('removeLeftovers() leaves a held lock alone', () => waiter.assertHeld())
        }
        await step('release()', () => waiter.release())
        await step('release() twice', () => waiter.release())

        const again = await step('after release() the lock can be taken again', () => take({ purpose: 'conformance again', timeoutMs: 0 }))
        held.push(again)
        await step('assertHeld() of the lock taken again', () => again.assertHeld())
        await step('release() of the lock taken again', () => again.release())
        expect(await listPaths(storage), 'list() after the locks shows only the objects').toEqual(['kept.txt'])
        expectBytes(await storage.read('kept.txt'), 'kept', 'kept.txt after the locks')
        expect(notices, 'taking a free lock tells nothing').toEqual([])
      } finally {
        for (const lock of held) await lock.release().catch(() => undefined)
      }
    }, timeout)

    it(LEFTOVERS_TEST_TITLE, async (context) => {
      const storage = current()
      if (storage.removeLeftovers === undefined) return context.skip('the storage has no removeLeftovers()')
      const objects: Readonly<Record<string, string>> = {
        'a.txt': 'a',
        'css/base.css': 'body{}',
        'deep/er/still/x.js': 'x()',
        'dir/.hidden': 'hidden',
        'with space/ünï.txt': 'ü',
      }
      for (const [path, body] of Object.entries(objects)) await storage.write(path, body)
      const body = new PassThrough()
      try {
        body.write(filled(64 * 1024, 0x6c))
        const writing = storage.write('pending.bin', body)
        writing.catch(() => undefined) // awaited below; this only keeps a failed assertion from leaving it unhandled
        await drained(body)
        const removed: unknown = await storage.removeLeftovers()
        expect(Array.isArray(removed), 'removeLeftovers() returns an array').toBe(true)
        expect(removed, 'a storage whose writers all still run has no leftovers').toEqual([])
        body.end(filled(1024, 0x6c))
        await step('a write in progress during removeLeftovers() still lands', () => writing)
      } finally {
        body.end()
      }
      expectBytes(await storage.read('pending.bin'), filled(65 * 1024, 0x6c), 'pending.bin')
      for (const [path, content] of Object.entries(objects)) expectBytes(await storage.read(path), content, `${path} after removeLeftovers()`)
      expect(await listPaths(storage), 'list() after removeLeftovers()').toEqual([...Object.keys(objects), 'pending.bin'].sort())
      expect(await storage.removeLeftovers(), 'removeLeftovers() again').toEqual([])
    }, timeout)
  })
}

/** The Convoy error `attempt` rejects with; fails the test when it resolves (and keeps a lock it got, to release). */
async function conflictOf(attempt: Promise<unknown>, held: StorageLock[]): Promise<{ code: string; message: string }> {
  try {
    const value = await attempt
    if (isLock(value)) held.push(value)
    return { code: 'resolved instead of rejecting', message: '' }
  } catch (error) {
    if (isConvoyError(error)) return { code: error.code, message: error.message }
    return { code: `a non-Convoy error: ${error instanceof Error ? error.message : String(error)}`, message: '' }
  }
}

function isLock(value: unknown): value is StorageLock {
  return typeof value === 'object' && value !== null && typeof (value as StorageLock).release === 'function'
}

