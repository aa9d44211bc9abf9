// `pnpm bench` (DESIGN.md §10): runs the benchmarks one after the other (never two at once: they would share the
// CPUs), lets each print its own table, then prints a summary of every target with PASS/MISS.
//
//   pnpm bench [--only collect,serve,frameworks,runtime,s3] [--quick] [--runs N]
//
// The root script builds first (`turbo run build`); this file builds nothing. `--quick` is a smoke check: one round
// of each collect scenario (without the same-work baseline), short serve rounds, one S3 run. `--runs` sets the rounds
// of collect and the runs of s3. Not a test: exits 1 only when a benchmark fails to run.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const { values: args } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean' }, runs: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
})
if (args.help) {
  console.log('usage: pnpm bench [--only collect,serve,frameworks,runtime,s3] [--quick] [--runs N]')
  process.exit(0)
}
const quick = args.quick === true
const resultsDir = join(here, '.work')
mkdirSync(resultsDir, { recursive: true })

/** Runs a script, its stdout echoed as it comes and also kept; stderr passes through. */
function run(script, scriptArgs, { echo = true, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [script, ...scriptArgs], { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (echo) process.stdout.write(chunk)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, stdout, seconds: (performance.now() - started) / 1000 }))
  })
}

const fmt = (n, digits = 2) => Number(n).toFixed(digits)

const BENCHES = {
  collect: {
    script: join(here, 'collect-bench.mjs'),
    async run() {
      const results = join(resultsDir, 'collect-results.json')
      rmSync(results, { force: true })
      const settings = [...(quick ? ['--quick'] : []), ...(args.runs ? ['--runs', args.runs] : [])]
      const result = await run(this.script, [...settings, '--results', results])
      const summary = existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')).summary : []
      return { ...result, summary }
    },
  },
  serve: {
    script: join(root, 'packages', 'serve', 'bench', 'serve-bench.mjs'),
    async run() {
      const settings = quick ? ['--duration', '2', '--warmup', '1', '--rounds', '1'] : []
      // Its --json report keeps the numbers whole; the table below has its own columns.
      const result = await run(this.script, [...settings, '--json'], { echo: false })
      let report
      try {
        report = JSON.parse(result.stdout)
      } catch {
        process.stdout.write(result.stdout)
        return { ...result, summary: [] }
      }
      const sirv = report.rows.find((row) => row.name === 'sirv')
      const convoy = report.rows.find((row) => row.name === 'convoy')
      const { settings: used, sizes } = report
      console.log(
        `\n@convoy/serve benchmark: ${sizes.identity} B CSS (gzip ${sizes.gzip} B, br ${sizes.br} B), ${used.connections} connections, ` +
          `${used.warmup} s warm-up + ${used.duration} s, median of ${used.rounds} round(s), Node ${used.node}`,
      )
      console.table(
        report.rows.map((row) => ({
          server: row.name,
          'req/s': Math.round(row.requestsPerSecond),
          'p99 ms': row.p99,
          'server CPU µs/req': row.serverCpuMicros === undefined || row.serverCpuMicros === null ? '-' : fmt(row.serverCpuMicros, 1),
          '× sirv': sirv ? fmt(row.requestsPerSecond / sirv.requestsPerSecond) : '-',
          encoding: `${row.encoding} (${row.length} B)`,
          'errors/non-2xx': `${row.errors}/${row.non2xx}`,
        })),
      )
      const summary = []
      if (convoy && sirv) {
        const ratio = convoy.requestsPerSecond / sirv.requestsPerSecond
        summary.push({ what: '@convoy/serve req/s vs sirv', value: `${fmt(ratio)}× (${Math.round(convoy.requestsPerSecond)} vs ${Math.round(sirv.requestsPerSecond)})`, target: '≥ 3×', met: ratio >= 3 })
      }
      if (convoy) summary.push({ what: '@convoy/serve p99 latency', value: `${convoy.p99} ms`, target: '≤ 5 ms', met: convoy.p99 <= 5 })
      return { ...result, summary }
    },
  },
  frameworks: {
    script: join(here, 'frameworks-bench.mjs'),
    async run() {
      const settings = quick ? ['--duration', '2', '--warmup', '1', '--rounds', '1'] : []
      const result = await run(this.script, [...settings, '--json'], { echo: false })
      let report
      try {
        report = JSON.parse(result.stdout)
      } catch {
        process.stdout.write(result.stdout)
        return { ...result, summary: [] }
      }
      const { settings: used } = report
      console.log(`\nFramework adapters: ${used.connections} connections, ${used.warmup} s warm-up + ${used.duration} s, median of ${used.rounds} interleaved round(s), Node ${used.node}`)
      console.table(
        report.results.flatMap(({ framework, ours, theirs }) =>
          [ours, theirs].filter(Boolean).map((row) => ({ framework, server: row.name, 'req/s': Math.round(row.requestsPerSecond), 'p99 ms': row.p99, encoding: `${row.encoding} (${row.length} B)` })),
        ),
      )
      const summary = report.results
        .filter(({ ours, theirs }) => ours && theirs)
        .map(({ ours, theirs, ratio }) => ({
          what: `${ours.name} req/s vs ${theirs.name}`,
          value: `${fmt(ratio)}× (${Math.round(ours.requestsPerSecond)} vs ${Math.round(theirs.requestsPerSecond)}), p99 ${ours.p99} vs ${theirs.p99} ms`,
          target: '≥ 1.5×, p99 ≤ theirs',
          met: ratio >= 1.5 && ours.p99 <= theirs.p99,
        }))
      return { ...result, summary }
    },
  },
  runtime: {
    script: join(root, 'packages', 'core', 'bench', 'runtime-bench.mjs'),
    async run() {
      const result = await run(this.script, [])
      const line = /url\(\) target[^:]*:\s*(met|NOT met)\s*\(([\d.]+) M\/s\)/.exec(result.stdout)
      const summary = line ? [{ what: 'convoy.url() lookups', value: `${line[2]} M/s`, target: '≥ 5 M/s', met: line[1] === 'met' }] : []
      const imported = /import target[^:]*:\s*(met|NOT met)\s*\(([\d.-]+) ms\)/.exec(result.stdout)
      if (imported) summary.push({ what: "import('@convoy/core') over node -e ''", value: `${imported[2]} ms`, target: '≤ 25 ms', met: imported[1] === 'met' })
      return { ...result, summary }
    },
  },
  s3: {
    script: join(root, 'packages', 'storage-s3', 'bench', 's3-bench.mjs'),
    async run() {
      const settings = [...(quick ? ['--runs', '1'] : []), ...(args.runs ? ['--runs', args.runs] : [])]
      return { ...(await run(this.script, settings, { cwd: dirname(dirname(this.script)) })), summary: [] }
    },
  },
}

const names = args.only ? args.only.split(',').map((name) => name.trim()).filter(Boolean) : Object.keys(BENCHES)
const unknown = names.filter((name) => !(name in BENCHES))
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`)
  process.exit(2)
}

const startLoad = loadavg()
const outcomes = []
for (const name of names) {
  const bench = BENCHES[name]
  if (!existsSync(bench.script)) {
    outcomes.push({ name, status: `skipped (${bench.script.slice(root.length + 1)} does not exist)`, summary: [] })
    continue
  }
  console.log(`\n=== ${name}: node ${bench.script.slice(root.length + 1)} ${'='.repeat(Math.max(0, 60 - name.length))}`)
  const result = await bench.run()
  const status = result.code === 0 ? `ran in ${fmt(result.seconds, 0)} s` : `FAILED (exit ${result.signal ?? result.code}) after ${fmt(result.seconds, 0)} s`
  outcomes.push({ name, status, failed: result.code !== 0, summary: result.summary })
}

console.log(`\n=== summary (${quick ? 'quick, ' : ''}Node ${process.version}, ${cpus().length} CPUs, load average ${startLoad.map((n) => fmt(n)).join(' ')} at start, ${loadavg().map((n) => fmt(n)).join(' ')} at end)`)
const rows = [['bench', 'what', 'measured', 'target', '']]
for (const outcome of outcomes) {
  if (outcome.summary.length === 0 || outcome.failed) rows.push([outcome.name, outcome.status, '', '', outcome.failed ? 'FAILED' : ''])
  for (const row of outcome.summary) rows.push([outcome.name, row.what, row.value, row.target, row.met ? 'PASS' : 'MISS'])
}
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd())
if (outcomes.some((outcome) => outcome.failed)) process.exitCode = 1
