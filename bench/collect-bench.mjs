// `convoy collect` against a naive one-file-at-a-time pipeline (bench/naive.mjs) on the corpus of bench/corpus.mjs.
// Every measurement is one child process: wall time from spawn to exit, peak RSS and CPU time from /usr/bin/time
// (or, without it, from the child's own getrusage). Each round runs every scenario once, in turn, so a burst of load
// from elsewhere hits all of them alike; the table shows medians.
//
//   node bench/collect-bench.mjs [--runs 3] [--quick] [--results FILE] [--no-same-work] [--touch moment/moment.js] [--tree DIR]
//
// Two baselines: `naive` minifies every .js/.css not named .min. (what a hand-written script does; the targets are
// against it), and `naive, same work` also serves a shipped foo.min.js as foo.js's minified form, exactly the work
// convoy does with its default useExistingMin (skipped by --quick and --no-same-work).
//
// Not a test: it prints a table (targets from the issue and DESIGN.md §11, PASS/MISS) and exits 0 unless a run failed.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, cpSync, writeFileSync } from 'node:fs'
import { loadavg, cpus } from 'node:os'
import { dirname, join, resolve as resolvePath } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { describeCorpus, ensureCorpus, printCorpus } from './corpus.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const CLI = join(root, 'packages', 'core', 'dist', 'cli.js')
const NAIVE = join(here, 'naive.mjs')
const WORK = join(here, '.work', 'collect')
const TIME = ['/usr/bin/time', '/bin/time'].find((path) => existsSync(path))

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean' },
    results: { type: 'string' },
    'no-same-work': { type: 'boolean' },
    touch: { type: 'string', default: 'moment/moment.js' },
    tree: { type: 'string' },
  },
})
const runs = Number(args.runs ?? (args.quick ? 1 : 3))
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`)
if (!existsSync(CLI)) throw new Error(`collect-bench: ${CLI} is missing; run \`pnpm turbo run build --filter=@convoy/core...\` first`)

const log = (line) => process.stderr.write(`${line}\n`)

/** Runs one child to completion: wall seconds, peak RSS (MB), CPU seconds (user + system), stdout. */
function measure(command, commandArgs, { cwd }) {
  const stats = join(WORK, `stats-${process.pid}.txt`)
  rmSync(stats, { force: true })
  const [file, argv, env] = TIME
    ? [TIME, ['-f', '%M %U %S', '-o', stats, command, ...commandArgs], process.env]
    : [command, ['--import', pathToFileURL(join(here, 'lib', 'rusage.mjs')).href, ...commandArgs], { ...process.env, BENCH_RUSAGE_FILE: stats }]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', (code) => {
      const wall = (performance.now() - started) / 1000
      child.on('close', () => {
        if (code !== 0) {
          reject(new Error(`${command} ${commandArgs.join(' ')} exited with ${code}\n${stderr}${stdout.slice(0, 2000)}`))
          return
        }
        const [maxRssKb, user, system] = readFileSync(stats, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
        resolve({ wall, peakMb: maxRssKb / 1024, cpu: (user ?? 0) + (system ?? 0), stdout })
      })
    })
  })
}

const lastJson = (stdout) => JSON.parse(stdout.slice(stdout.indexOf('{')))

/** A scenario folder with its config: `convoy.config.json` names the sources, out, cache and engines. */
function convoyScenario(name, { sources, minify }) {
  const dir = join(WORK, name)
  mkdirSync(dir, { recursive: true })
  const config = { sources, out: 'out', cacheDir: 'cache', ...(minify ? { minify } : {}) }
  writeFileSync(join(dir, 'convoy.config.json'), `${JSON.stringify(config, null, 2)}\n`)
  return {
    dir,
    reset() {
      rmSync(join(dir, 'out'), { recursive: true, force: true })
      rmSync(join(dir, 'cache'), { recursive: true, force: true })
    },
    async collect() {
      const result = await measure(process.execPath, [CLI, 'collect', '--json'], { cwd: dir })
      const report = lastJson(result.stdout)
      if (!report.ok) throw new Error(`convoy collect in ${dir} reported a failure: ${result.stdout.slice(0, 2000)}`)
      return { ...result, report: { seconds: report.seconds, cacheHits: report.cacheHits, written: report.written, unchanged: report.unchanged, warnings: report.warnings.length } }
    },
  }
}

async function naive(source, out, { reuseMin = false } = {}) {
  rmSync(out, { recursive: true, force: true })
  const flags = reuseMin ? ['--reuse-min'] : []
  const result = await measure(process.execPath, [NAIVE, '--source', source, '--out', out, '--json', ...flags], { cwd: root })
  return { ...result, report: lastJson(result.stdout) }
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// ---------------------------------------------------------------------------------------------------------------

// --tree benchmarks another source tree instead (with --touch naming a file in it).
const corpus = args.tree ? resolvePath(args.tree) : ensureCorpus({ log })
rmSync(WORK, { recursive: true, force: true })
mkdirSync(WORK, { recursive: true })
// A working copy: the "touch" scenario edits a file, and the corpus itself must stay as built.
const source = join(WORK, 'src')
cpSync(corpus, source, { recursive: true })
const touchPath = join(source, args.touch)
if (!existsSync(touchPath)) throw new Error(`collect-bench: --touch ${args.touch} is not in the corpus`)
const touchOriginal = readFileSync(touchPath)

const loads = []
const sampleLoad = () => loads.push(loadavg()[0])
const cold = convoyScenario('convoy-default', { sources: [source] })
const fast = convoyScenario('convoy-fast', { sources: [source], minify: { js: 'swc', css: 'lightningcss' } })
// The touched file alone in a tree of its own: the work of processing that one file.
const aloneSource = join(WORK, 'alone-src')
mkdirSync(dirname(join(aloneSource, args.touch)), { recursive: true })
const alone = convoyScenario('convoy-alone', { sources: [aloneSource] })

const sameWork = !args.quick && !args['no-same-work']
const samples = { naive: [], ...(sameWork ? { naiveSame: [] } : {}), cold: [], fast: [], warm: [], touch: [], aloneConvoy: [], aloneNaive: [] }
const { totalBytes, files } = describeCorpus(corpus)
if (!args.tree) printCorpus(log)
log(`collect-bench: ${runs} round(s); load average now ${loadavg().map((n) => n.toFixed(2)).join(' ')} on ${cpus().length} CPUs`)

for (let round = 1; round <= runs; round++) {
  const step = async (label, list, run) => {
    sampleLoad()
    const sample = await run()
    list.push(sample)
    log(`  round ${round}/${runs} ${label.padEnd(34)} ${sample.wall.toFixed(2).padStart(7)} s  ${sample.peakMb.toFixed(0).padStart(5)} MB  cpu ${sample.cpu.toFixed(1)} s`)
    return sample
  }
  await step('naive', samples.naive, () => naive(source, join(WORK, 'naive-out')))
  if (sameWork) await step('naive, same work (reuses .min)', samples.naiveSame, () => naive(source, join(WORK, 'naive-out'), { reuseMin: true }))
  cold.reset()
  await step('convoy cold (terser + clean-css)', samples.cold, () => cold.collect())
  await step('convoy warm (nothing changed)', samples.warm, () => cold.collect())
  // A new comment each round, so the edited file is never already in the cache.
  writeFileSync(touchPath, Buffer.concat([touchOriginal, Buffer.from(`\n/* convoy bench: edit ${round} */\n`)]))
  try {
    await step(`convoy after editing ${args.touch}`, samples.touch, () => cold.collect())
  } finally {
    writeFileSync(touchPath, touchOriginal)
  }
  fast.reset()
  await step('convoy cold (swc + lightningcss)', samples.fast, () => fast.collect())
  writeFileSync(join(aloneSource, args.touch), Buffer.concat([touchOriginal, Buffer.from(`\n/* convoy bench: edit ${round} */\n`)]))
  alone.reset()
  await step(`convoy cold, ${args.touch} alone`, samples.aloneConvoy, () => alone.collect())
  await step(`naive, ${args.touch} alone`, samples.aloneNaive, () => naive(aloneSource, join(WORK, 'naive-alone-out')))
}

// ---------------------------------------------------------------------------------------------------------------

const stat = (list) => ({
  wall: median(list.map((sample) => sample.wall)),
  min: Math.min(...list.map((sample) => sample.wall)),
  max: Math.max(...list.map((sample) => sample.wall)),
  peakMb: median(list.map((sample) => sample.peakMb)),
  cpu: median(list.map((sample) => sample.cpu)),
  inProcess: median(list.map((sample) => sample.report.seconds)),
})
const m = Object.fromEntries(Object.entries(samples).map(([key, list]) => [key, stat(list)]))
// The work of the touched file alone: the naive pipeline's own clock (no process or worker start-up).
const fileWork = m.aloneNaive.inProcess

const verdict = (ok) => (ok ? 'PASS' : 'MISS')
const targets = [
  { what: 'cold collect, terser + clean-css', value: m.cold.wall / m.naive.wall, unit: '× naive', target: 0.85, design: 0.8 },
  { what: 'cold collect, swc + lightningcss', value: m.fast.wall / m.naive.wall, unit: '× naive', target: 0.35, design: 0.3 },
  { what: 'warm collect (nothing changed)', value: m.warm.wall / m.cold.wall, unit: '× cold', target: 0.03 },
  { what: 'warm collect (nothing changed)', value: m.warm.wall, unit: 's', target: 0.5, source: 'DESIGN §11' },
  { what: `one edited file (${args.touch})`, value: m.touch.wall, unit: 's', target: fileWork + 1, targetText: `≤ ${fileWork.toFixed(2)} s (that file) + 1 s` },
].map((row) => ({
  ...row,
  met: row.value <= row.target,
  designMet: row.design === undefined ? undefined : row.value <= row.design,
}))

const fmt = (n, digits = 2) => n.toFixed(digits)
const loadSeen = { min: Math.min(...loads), max: Math.max(...loads), median: median(loads) }
const lines = []
const out = (line = '') => lines.push(line)
out()
out(`convoy collect benchmark — corpus ${files.length} files, ${fmt(totalBytes / 1e6)} MB (${args.tree ?? 'bench/.corpus'}), median of ${runs} round(s),`)
out(`Node ${process.version}, ${cpus().length} CPUs, 1-min load average seen ${fmt(loadSeen.min)}–${fmt(loadSeen.max)} (median ${fmt(loadSeen.median)})`)
out(`naive = bench/naive.mjs: one file at a time on the main thread, same terser / clean-css / gzip 9 / brotli 11 settings,`)
out(`        minifies every .js/.css not named .min.; no reference rewriting (which only makes it cheaper).`)
if (sameWork) out(`naive, same work = the same, but serves a shipped foo.min.js as foo.js's minified form, as convoy does (useExistingMin)`)
out()
const table = [
  ['scenario', 'wall s', 'min–max s', 'peak MB', 'CPU s', 'vs naive', ...(sameWork ? ['vs same work'] : []), 'vs cold'],
  ['naive one-file-at-a-time', m.naive],
  ...(sameWork ? [['naive, same work as convoy', m.naiveSame]] : []),
  ['convoy cold, terser + clean-css', m.cold],
  ['convoy cold, swc + lightningcss', m.fast],
  ['convoy warm, nothing changed', m.warm],
  [`convoy, ${args.touch} edited`, m.touch],
  [`convoy cold, ${args.touch} alone`, m.aloneConvoy],
  [`naive, ${args.touch} alone`, m.aloneNaive],
].map((row, index) => {
  if (index === 0) return row
  const [name, s] = row
  const same = sameWork ? [`${fmt(s.wall / m.naiveSame.wall, 3)}×`] : []
  return [name, fmt(s.wall), `${fmt(s.min)}–${fmt(s.max)}`, fmt(s.peakMb, 0), fmt(s.cpu, 1), `${fmt(s.wall / m.naive.wall, 3)}×`, ...same, `${fmt(s.wall / m.cold.wall, 3)}×`]
})
const widths = table[0].map((_, column) => Math.max(...table.map((row) => String(row[column]).length)))
for (const row of table) out(row.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]))).join('  '))
out()
out(`the touched file alone: naive's own clock ${fmt(fileWork)} s (minify + gzip + brotli of ${args.touch}), convoy's own clock ${fmt(m.aloneConvoy.inProcess)} s`)
const phases = (list) => {
  const keys = Object.keys(list[0].report.phases)
  return keys.map((key) => `${key} ${fmt(median(list.map((sample) => sample.report.phases[key])), 1)}`).join(', ')
}
out(`where naive's time goes (s, its own clock): ${phases(samples.naive)}`)
if (sameWork) out(`where same-work naive's time goes (s):      ${phases(samples.naiveSame)}`)
out(`convoy's own clock (report.seconds): cold ${fmt(m.cold.inProcess)} s, fast ${fmt(m.fast.inProcess)} s, warm ${fmt(m.warm.inProcess)} s, edited ${fmt(m.touch.inProcess)} s; naive's ${fmt(m.naive.inProcess)} s`)
out()
const targetRows = [['target', 'measured', 'goal', 'issue', 'DESIGN §11']]
for (const row of targets) {
  const value = row.unit === 's' ? `${fmt(row.value)} s` : row.unit === '× cold' ? `${fmt(row.value * 100, 1)}% of cold` : `${fmt(row.value, 3)}${row.unit}`
  const goal = row.targetText ?? (row.unit === 's' ? `< ${row.target} s` : row.unit === '× cold' ? `≤ ${row.target * 100}% of cold` : `≤ ${row.target}× (§11: ${row.design}×)`)
  const issue = row.source === 'DESIGN §11' ? '-' : verdict(row.met)
  const design = row.source === 'DESIGN §11' ? verdict(row.met) : row.designMet === undefined ? '-' : verdict(row.designMet)
  targetRows.push([row.what, value, goal, issue, design])
}
const targetWidths = targetRows[0].map((_, column) => Math.max(...targetRows.map((row) => row[column].length)))
for (const row of targetRows) out(row.map((cell, column) => cell.padEnd(targetWidths[column])).join('  ').trimEnd())
if (sameWork) {
  out(`against the same-work naive (not the targets' baseline): cold, terser + clean-css ${fmt(m.cold.wall / m.naiveSame.wall, 3)}×, ` +
    `cold, swc + lightningcss ${fmt(m.fast.wall / m.naiveSame.wall, 3)}×`)
}
console.log(lines.join('\n'))

if (args.results) {
  const summary = targets.map((row) => ({
    what: row.what,
    value: row.unit === 's' ? `${fmt(row.value)} s` : row.unit === '× cold' ? `${fmt(row.value * 100, 1)}% of cold` : `${fmt(row.value, 3)}${row.unit}`,
    target: row.targetText ?? (row.unit === 's' ? `< ${row.target} s` : row.unit === '× cold' ? `≤ ${row.target * 100}%` : `≤ ${row.target}×`),
    met: row.met,
  }))
  writeFileSync(args.results, JSON.stringify({ bench: 'collect', runs, loadAverage: loadSeen, corpus: { files: files.length, bytes: totalBytes }, medians: m, samples, summary }, (key, value) => (key === 'stdout' ? undefined : value), 2))
}
