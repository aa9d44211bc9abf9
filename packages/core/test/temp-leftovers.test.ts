// The check every package's vitest run can use (scripts/vitest-no-temp-leftovers.mjs): a test file that leaves a
// `convoy-*` temporary directory behind fails the run, listing it; one that cleans up passes.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { removeTemporaryDirectories, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

const VITEST = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
const CHECK = pathToFileURL(fileURLToPath(new URL('../../../scripts/vitest-no-temp-leftovers.mjs', import.meta.url))).href

/** Runs vitest on a project of one test file that uses the check. */
async function runVitest(testFile: string): Promise<{ code: number | null; output: string }> {
  const root = await temporaryDirectory('convoy-leak-project-')
  await writeTree(root, {
    // Plain objects and globals: the project sits in the temporary directory, where `vitest` cannot be imported.
    'vitest.config.mjs': `import { noTempLeftovers } from ${JSON.stringify(CHECK)}\nexport default { test: { globals: true, globalSetup: [noTempLeftovers] } }\n`,
    'temp.test.mjs': testFile,
  })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITEST, 'run', '--root', root], { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

const MAKE_DIRECTORY = `
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
`

describe('scripts/vitest-no-temp-leftovers.mjs', () => {
  it('fails a run whose tests leave convoy-* temporary directories, naming them, and removes them', async () => {
    const before = await readdir(tmpdir())
    const run = await runVitest(`${MAKE_DIRECTORY}
it('leaks', () => {
  mkdtempSync(join(tmpdir(), 'convoy-leaked-'))
  mkdtempSync(join(tmpdir(), 'unrelated-'))
})
`)
    expect(run.output).toMatch(/1 passed/)
    expect(run.output).toMatch(/FAIL the tests left 1 temporary entry behind .*\n {2}convoy-leaked-\w+\n/)
    expect(run.code).toBe(1)
    // The run had a directory of its own, and it is gone with what was left in it.
    expect((await readdir(tmpdir())).filter((name) => !before.includes(name) && !name.startsWith('convoy-leak-project-'))).toEqual([])
  }, 60_000)

  it('passes a run whose tests remove what they create', async () => {
    const run = await runVitest(`${MAKE_DIRECTORY}
it('cleans up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convoy-tidy-'))
  rmSync(dir, { recursive: true })
})
`)
    expect(run.output).not.toMatch(/left \d+ temporary/)
    expect(run.code).toBe(0)
  }, 60_000)
})
