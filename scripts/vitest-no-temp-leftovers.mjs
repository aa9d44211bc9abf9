// A vitest globalSetup that fails the run when tests leave `convoy-*` entries in the temporary directory.
//
// Use it from a package's vitest.config.ts:
//
//   import { defineConfig } from 'vitest/config'
//   import { noTempLeftovers } from '../../scripts/vitest-no-temp-leftovers.mjs'
//   export default defineConfig({ test: { globalSetup: [noTempLeftovers] } })
//
// The run gets a temporary directory of its own (TMPDIR, TMP and TEMP point into it, so worker processes, worker
// threads and the commands the tests spawn all use it): other test runs on the same machine, and leftovers of earlier
// runs, can neither hide a leak nor be blamed for one. At the end, every entry whose name starts with `convoy-` is a
// leftover: the run fails and lists them. The run's directory is then removed, whatever it holds.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

/** This file's path, for `globalSetup: [noTempLeftovers]`. */
export const noTempLeftovers = fileURLToPath(import.meta.url)

/** Entries with this prefix are what our tests create (`mkdtemp(join(tmpdir(), 'convoy-…'))`) and must remove. */
export const LEFTOVER_PREFIX = 'convoy-'

const VARIABLES = ['TMPDIR', 'TMP', 'TEMP']

/** The entries of `directory` whose names start with `prefix`, sorted. */
export function leftoversIn(directory, prefix = LEFTOVER_PREFIX) {
  let names
  try {
    names = readdirSync(directory)
  } catch (error) {
    if (error.code === 'ENOENT') return []
    throw error
  }
  return names.filter((name) => name.startsWith(prefix)).sort()
}

/** vitest globalSetup: gives the run its own temporary directory; the returned teardown checks it. */
export function setup() {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]))
  // Not `convoy-`-prefixed itself, so a run that cannot remove it is never taken for a leak of another run.
  const directory = mkdtempSync(join(tmpdir(), 'vitest-run-'))
  // Like /tmp itself (mkdtemp makes it 0700): tests that run a command as another user can still reach their folders.
  chmodSync(directory, 0o1777)
  for (const name of VARIABLES) process.env[name] = directory

  return function teardown() {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    const leftovers = leftoversIn(directory)
    rmSync(directory, { recursive: true, force: true, maxRetries: 3 })
    if (leftovers.length > 0) {
      // vitest prints an error thrown by a teardown but still exits 0: set the exit code instead.
      process.exitCode = 1
      process.stderr.write(
        `\nFAIL the tests left ${leftovers.length} temporary ${leftovers.length === 1 ? 'entry' : 'entries'} behind (now removed with ${directory}); remove what a test creates, in try/finally or afterEach/afterAll:\n${leftovers.map((name) => `  ${name}\n`).join('')}`,
      )
    }
  }
}
