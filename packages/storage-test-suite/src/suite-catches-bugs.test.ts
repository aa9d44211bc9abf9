import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { LEFTOVERS_TEST_TITLE, LOCK_TEST_TITLE } from './locks.js'
import { CONDITIONAL_WRITES_TEST_TITLE } from './conditional-writes.js'

// The suite is only worth something if it fails on broken storages: run it against a few
// (src/test/broken-storages.suite.ts) in a separate vitest process and read the JSON report.

interface AssertionResult {
  readonly ancestorTitles: readonly string[]
  readonly title: string
  readonly status: string
  readonly failureMessages?: readonly string[]
}

interface Report {
  readonly testResults: readonly { readonly assertionResults: readonly AssertionResult[] }[]
}

const here = dirname(fileURLToPath(import.meta.url))
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')

async function runFixture(): Promise<Report> {
  const out = await mkdtemp(join(tmpdir(), 'convoy-suite-report-'))
  try {
    const report = join(out, 'report.json')
    const args = [vitestBin, 'run', '--config', join(here, 'test', 'vitest.broken.config.ts'), '--reporter=json', `--outputFile=${report}`]
    const stderr: Buffer[] = []
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: join(here, '..'), stdio: ['ignore', 'ignore', 'pipe'] })
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
      child.on('error', reject)
      child.on('close', resolve)
    })
    // Exit code 1 is expected: the broken storages fail. Anything else means vitest itself broke.
    expect(code, Buffer.concat(stderr).toString('utf8')).toBe(1)
    return JSON.parse(await readFile(report, 'utf8')) as Report
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}

describe('the suite against broken storages', () => {
  const results = new Map<string, AssertionResult[]>()
  const failed = (storage: string): string[] =>
    (results.get(storage) ?? []).filter((test) => test.status === 'failed').map((test) => test.title)

  beforeAll(async () => {
    const report = await runFixture()
    for (const file of report.testResults) {
      for (const test of file.assertionResults) {
        const storage = (test.ancestorTitles[0] ?? '').replace('Storage conformance: ', '')
        results.set(storage, [...(results.get(storage) ?? []), test])
      }
    }
  }, 60_000)

  it('fails every unsafe-path test of a storage that accepts unsafe paths', () => {
    const unsafe = (results.get('accepts unsafe paths') ?? []).filter((test) => test.title.startsWith('rejects '))
    expect(unsafe.length).toBeGreaterThanOrEqual(15)
    expect(unsafe.filter((test) => test.status !== 'failed')).toEqual([])
  })

  it('fails a storage that reads a missing object as empty bytes', () => {
    expect(failed('reads a missing object as empty')).toContain('read, readStream and stat give null; exists gives false')
  })

  it('fails a storage that throws when deleting a missing object', () => {
    expect(failed('fails to delete a missing object')).toContain('deleting a missing object is not an error')
  })

  it('fails a storage that lists objects twice', () => {
    expect(failed('lists objects twice')).toContain('lists every object once, with its path and size')
  })

  it('fails a storage that ignores the list prefix', () => {
    expect(failed('ignores the list prefix')).toContain('lists by prefix, as a plain string prefix')
  })

  it('fails only the URL test of a storage that does not encode URLs', () => {
    expect(failed('does not encode URLs')).toEqual(['gives a URL ending in the path, each segment percent-encoded'])
  })

  it('fails a storage that claims atomic writes but shows half-written objects', () => {
    expect(failed('tears writes')).toEqual(
      expect.arrayContaining([
        'a reader polling during repeated overwrites never sees a partial object',
        'a write in progress is invisible: readers see the old object (or none) until it ends',
        'a write whose body stream fails keeps the old object',
      ]),
    )
  })

  // The lock test runs step by step: its failure message names the step that caught the bug.
  const lockFailure = (storage: string): string =>
    (results.get(storage) ?? []).find((test) => test.title === LOCK_TEST_TITLE && test.status === 'failed')?.failureMessages?.join('\n') ?? 'did not fail'

  it('fails only the lock test of a storage whose lock is not exclusive', () => {
    expect(failed('lock is not exclusive')).toEqual([LOCK_TEST_TITLE])
    expect(lockFailure('lock is not exclusive')).toContain('a second lock({ timeoutMs: 0 }) while the lock is held')
  })

  it('fails only the lock test of a storage whose lock does not wait for timeoutMs', () => {
    expect(failed('lock ignores timeoutMs')).toEqual([LOCK_TEST_TITLE])
    expect(lockFailure('lock ignores timeoutMs')).toContain('waits about timeoutMs before it gives up')
  })

  it('fails only the lock test of a storage that lists its lock', () => {
    expect(failed('lists its lock')).toEqual([LOCK_TEST_TITLE])
    expect(lockFailure('lists its lock')).toContain('list() while the lock is held shows only the objects')
  })

  it("fails only the lock test of a storage whose release() frees another holder's lock", () => {
    expect(failed('release frees any holder')).toEqual([LOCK_TEST_TITLE])
    expect(lockFailure('release frees any holder')).toContain("a second release() of the old holder leaves the new holder's lock alone")
  })

  it('fails a storage whose removeLeftovers() removes stored objects', () => {
    expect(failed('removeLeftovers removes objects')).toEqual([LOCK_TEST_TITLE, LEFTOVERS_TEST_TITLE])
  })

  it('skips the lock and leftovers tests of a storage without lock() and removeLeftovers(), one each, named with the reason', () => {
    const tests = results.get('has no lock') ?? []
    const skipped = tests.filter((test) => test.status === 'skipped' && test.ancestorTitles.at(-1) === 'lock and leftovers').map((test) => test.title)
    expect(skipped).toEqual([LOCK_TEST_TITLE, LEFTOVERS_TEST_TITLE])
    expect(LOCK_TEST_TITLE).toContain('skipped when the storage has no lock()')
    expect(LEFTOVERS_TEST_TITLE).toContain('skipped when the storage has no removeLeftovers()')
    expect(tests.filter((test) => test.status === 'failed')).toEqual([])
  })

  it('passes the lock and leftovers tests of a storage that has both', () => {
    const tests = (results.get('skips with reasons') ?? []).filter((test) => test.ancestorTitles.at(-1) === 'lock and leftovers')
    expect(tests.map((test) => [test.title, test.status])).toEqual([
      [LOCK_TEST_TITLE, 'passed'],
      [LEFTOVERS_TEST_TITLE, 'passed'],
    ])
  })

  // The conditional-writes test runs step by step too: its failure message names the step that caught the bug.
  const conditionalFailure = (storage: string): string =>
    (results.get(storage) ?? []).find((test) => test.title === CONDITIONAL_WRITES_TEST_TITLE && test.status === 'failed')?.failureMessages?.join('\n') ?? 'did not fail'

  it('fails only the conditional-writes test of a storage that ignores ifMatch and ifNoneMatch', () => {
    expect(failed('ignores write conditions')).toEqual([CONDITIONAL_WRITES_TEST_TITLE])
    expect(conditionalFailure('ignores write conditions')).toContain('write(ifNoneMatch "*") of an existing object: expected ERR_CONVOY_CONFLICT naming manifest.json')
  })

  it('fails only the conditional-writes test of a storage that checks the conditions and then writes, not atomically', () => {
    expect(failed('checks conditions, then writes')).toEqual([CONDITIONAL_WRITES_TEST_TITLE])
    expect(conditionalFailure('checks conditions, then writes')).toContain('of 5 writers racing on created.json with {"ifNoneMatch":"*"}, exactly one succeeds')
  })

  it('skips the conditional-writes test of a storage without the capability, once, named with the reason; passes it for one with it', () => {
    const tests = (results.get('has no conditional writes') ?? []).filter((test) => test.ancestorTitles.at(-1) === 'conditional writes')
    expect(tests.map((test) => [test.title, test.status])).toEqual([[CONDITIONAL_WRITES_TEST_TITLE, 'skipped']])
    expect(CONDITIONAL_WRITES_TEST_TITLE).toContain('skipped when the storage does not declare capabilities.conditionalWrites')
    expect((results.get('has no conditional writes') ?? []).filter((test) => test.status === 'failed')).toEqual([])
    const capable = (results.get('skips with reasons') ?? []).filter((test) => test.ancestorTitles.at(-1) === 'conditional writes')
    expect(capable.map((test) => [test.title, test.status])).toEqual([[CONDITIONAL_WRITES_TEST_TITLE, 'passed']])
  })

  it('shows each skipped group as skipped, with the reason in its name, and runs the rest', () => {
    const tests = results.get('skips with reasons') ?? []
    const skipped = tests.filter((test) => test.status === 'skipped').map((test) => test.ancestorTitles.at(-1))
    expect(new Set(skipped)).toEqual(
      new Set([
        'shape', // no localDirectory: skipped at run time with its own note
        'lastModified (skipped by skips with reasons: memory keeps no times)',
        'concurrency (skipped by skips with reasons: single writer)',
        'large objects (skipped by skips with reasons: not about size)',
      ]),
    )
    expect(tests.filter((test) => test.status === 'failed')).toEqual([])
    expect(tests.filter((test) => test.status === 'passed').length).toBeGreaterThan(40)
  })
})
