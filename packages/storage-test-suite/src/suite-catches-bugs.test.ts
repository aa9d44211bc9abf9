import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

// The suite is only worth something if it fails on broken storages: run it against a few
// (src/test/broken-storages.suite.ts) in a separate vitest process and read the JSON report.

interface AssertionResult {
  readonly ancestorTitles: readonly string[]
  readonly title: string
  readonly status: string
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
