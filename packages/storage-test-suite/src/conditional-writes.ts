import { isConvoyError } from '@convoy/errors'
import type { Storage, StorageWriteOptions } from '@convoy/storage'
import { describe, expect, it } from 'vitest'
import { chunkedStream, expectBytes, patterned } from './bodies.js'
import { step } from './steps.js'

/** The title of the test, exported for the suite's own self-test. */
export const CONDITIONAL_WRITES_TEST_TITLE =
  'readVersioned() and write() with ifMatch / ifNoneMatch "*" compare and set atomically, refusing with ERR_CONVOY_CONFLICT (skipped when the storage does not declare capabilities.conditionalWrites)'

type Versioned = Storage & Required<Pick<Storage, 'readVersioned'>>

type Settled = { readonly ok: true } | { readonly ok: false; readonly error: unknown }

async function settle(write: Promise<void>): Promise<Settled> {
  try {
    await write
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}

/** What a write that should have been refused did instead, or `undefined` when it threw ERR_CONVOY_CONFLICT naming the path. */
function notAConflict(settled: Settled, path: string): string | undefined {
  if (settled.ok) return 'it succeeded'
  const { error } = settled
  if (!isConvoyError(error)) return `it threw a non-Convoy error: ${error instanceof Error ? error.message : String(error)}`
  if (error.code !== 'ERR_CONVOY_CONFLICT') return `it threw ${error.code}: ${error.message}`
  if (!error.message.includes(path)) return `its message does not name ${path}: ${error.message}`
  return undefined
}

/**
 * Registers the conformance test of conditional writes (`readVersioned()`, `write()` with `ifMatch` or
 * `ifNoneMatch: '*'`): one test, run step by step (a failure names its step), skipped with the reason for a storage
 * that does not declare `capabilities.conditionalWrites`. `runStorageTestSuite` calls it inside its `describe`, so
 * `current()` is the fresh storage of each test.
 */
export function registerConditionalWriteTests(current: () => Storage, timeout: number): void {
  describe('conditional writes', () => {
    it(CONDITIONAL_WRITES_TEST_TITLE, async (context) => {
      const candidate = current()
      if (candidate.capabilities.conditionalWrites !== true) return context.skip('the storage does not declare capabilities.conditionalWrites')
      expect(typeof candidate.readVersioned, 'a storage that declares conditionalWrites has readVersioned()').toBe('function')
      const storage = candidate as Versioned

      const versionOf = async (path: string, label: string): Promise<string> => {
        const object = await step(`readVersioned(${JSON.stringify(path)}) ${label}`, () => storage.readVersioned(path))
        expect(object, `readVersioned(${JSON.stringify(path)}) ${label}`).not.toBeNull()
        expect(typeof object!.version === 'string' && object!.version !== '', `the version of ${path} ${label} is a non-empty string`).toBe(true)
        return object!.version
      }
      const refused = async (label: string, path: string, body: Parameters<Storage['write']>[1], options: StorageWriteOptions): Promise<void> => {
        expect(notAConflict(await settle(storage.write(path, body, options)), path), `${label}: expected ERR_CONVOY_CONFLICT naming ${path}`).toBeUndefined()
      }

      // A missing object.
      expect(await step('readVersioned() of a missing object', () => storage.readVersioned('missing.json')), 'readVersioned() of a missing object').toBeNull()
      await storage.write('other.json', '{}')
      expect(await storage.readVersioned('other.json/inside.json'), 'readVersioned() inside a path that is an object').toBeNull()

      // readVersioned gives the bytes and a version that changes with them.
      const bytes = patterned(3000, 7)
      await storage.write('data.bin', bytes)
      expectBytes((await storage.readVersioned('data.bin'))?.body, bytes, 'the body readVersioned() gives')
      const first = await versionOf('data.bin', 'after a write')
      expect(await versionOf('data.bin', 'read again'), 'reading again gives the same version').toBe(first)
      await storage.write('data.bin', 'other bytes')
      expectBytes((await storage.readVersioned('data.bin'))?.body, 'other bytes', 'the body readVersioned() gives after an overwrite')
      const second = await versionOf('data.bin', 'after an overwrite')
      expect(second, 'the version changes when the object changes').not.toBe(first)

      // ifNoneMatch '*': creates a missing object, refuses an existing one and leaves it alone.
      await step('write(ifNoneMatch "*") of a missing object', () => storage.write('manifest.json', '{"id":"first"}', { ifNoneMatch: '*' }))
      expectBytes(await storage.read('manifest.json'), '{"id":"first"}', 'the object created with ifNoneMatch "*"')
      const created = await versionOf('manifest.json', 'after the create')
      await refused('write(ifNoneMatch "*") of an existing object', 'manifest.json', '{"id":"second"}', { ifNoneMatch: '*' })
      expectBytes(await storage.read('manifest.json'), '{"id":"first"}', 'the object after a refused ifNoneMatch "*"')
      expect(await versionOf('manifest.json', 'after a refused create'), 'the version after a refused ifNoneMatch "*"').toBe(created)
      await refused('write(ifNoneMatch "*") over an object written without conditions', 'data.bin', 'replaced', { ifNoneMatch: '*' })
      expectBytes(await storage.read('data.bin'), 'other bytes', 'data.bin after a refused ifNoneMatch "*"')

      // ifMatch: the current version replaces the object; a stale one is refused and changes nothing.
      await step('write(ifMatch the current version)', () => storage.write('manifest.json', '{"id":"two"}', { ifMatch: created }))
      expectBytes(await storage.read('manifest.json'), '{"id":"two"}', 'the object after ifMatch with the current version')
      const two = await versionOf('manifest.json', 'after the write with ifMatch')
      expect(two, 'the version after a write with ifMatch').not.toBe(created)
      await refused('write(ifMatch a stale version)', 'manifest.json', '{"id":"three"}', { ifMatch: created })
      expectBytes(await storage.read('manifest.json'), '{"id":"two"}', 'the object after a refused ifMatch')
      expect(await versionOf('manifest.json', 'after a refused ifMatch'), 'the version after a refused ifMatch').toBe(two)

      // ifMatch of an object that is gone creates nothing.
      await storage.delete('data.bin')
      await refused('write(ifMatch) of a deleted object', 'data.bin', 'back', { ifMatch: second })
      expect(await storage.exists('data.bin'), 'a deleted object after a refused ifMatch').toBe(false)

      // Every kind of body, with the other write options.
      const big = patterned(300 * 1024, 3)
      await step('write(ifNoneMatch "*") of a stream', () => storage.write('stream.bin', chunkedStream(big, 32 * 1024), { ifNoneMatch: '*', contentType: 'application/octet-stream' }))
      expectBytes(await storage.read('stream.bin'), big, 'the object created from a stream')
      const streamed = await versionOf('stream.bin', 'after a stream')
      const small = patterned(1000, 9)
      await step('write(ifMatch) of bytes', () => storage.write('stream.bin', small, { ifMatch: streamed, cacheControl: 'no-cache' }))
      expectBytes(await storage.read('stream.bin'), small, 'the object replaced with bytes')
      await refused('write(ifMatch a stale version) of a stream', 'stream.bin', chunkedStream(big, 32 * 1024), { ifMatch: streamed })
      expectBytes(await storage.read('stream.bin'), small, 'the object after a refused stream')

      // Writers racing with one version, or to create one object: exactly one wins, whole.
      const race = async (path: string, options: StorageWriteOptions): Promise<void> => {
        const bodies = Array.from({ length: 5 }, (_, index) => `${path} by writer ${index}`)
        const outcomes = await Promise.all(bodies.map((body) => settle(storage.write(path, body, options))))
        const winners = outcomes.flatMap((outcome, index) => (outcome.ok ? [index] : []))
        expect(winners, `of 5 writers racing on ${path} with ${JSON.stringify(options)}, exactly one succeeds`).toHaveLength(1)
        const others = outcomes.map((outcome) => notAConflict(outcome, path)).filter((problem, index) => index !== winners[0] && problem !== undefined)
        expect(others, `the other writers racing on ${path} get ERR_CONVOY_CONFLICT`).toEqual([])
        expectBytes(await storage.read(path), bodies[winners[0]!]!, `${path} holds the bytes of the writer that won`)
      }
      await race('created.json', { ifNoneMatch: '*' })
      await race('manifest.json', { ifMatch: two })
    }, timeout)
  })
}
