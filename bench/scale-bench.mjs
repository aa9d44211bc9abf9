// `pnpm bench:scale` (the scale issue, DESIGN.md §15): `convoy collect` on generated trees of 1k, 10k and 100k files
// (bench/lib/scale-tree.mjs: a deterministic mix of CSS, JS, SVG, JSON, HTML and PNG-like files, some CSS referencing
// images), and with --big on one 200 MB text file. Per tree: a cold run (empty output and cache), runs with nothing
// changed, and runs after editing one stylesheet. Every run is `node packages/core/dist/cli.js collect --json --quiet`
// in a child process: wall time from spawn to exit, peak RSS from the child's own getrusage (bench/lib/rusage.mjs,
// preloaded with --import), the manifest's size on disk.
//
//   node bench/scale-bench.mjs [--sizes 1k,10k,100k] [--runs 1] [--big] [--compare REF] [--json] [--seed 1]
//
// --sizes: tree sizes (a number, optionally with k; `none` for only --big). --runs N: the no-change and one-changed
// runs are repeated N times (interleaved) and reported as medians. --big: also the 200 MB file (one cold run, for its
// peak RSS; --big-mb sets its size). --compare REF: also measures REF, checked out (detached) with `git worktree add`
// into the temp directory, installed and built there, runs interleaved with the current tree's; its figures are the
// "before" columns. --json: the results as JSON on stdout instead of the tables (progress is always on stderr).
//
// Everything lives in one directory under os.tmpdir(), removed at the end, on error and on SIGINT/SIGTERM (with the
// worktree of --compare). The root script builds core first; this file builds only REF's checkout. Not a test: it
// prints each issue target beside its measure with PASS/MISS and exits 0 unless a run failed or its report is wrong
// (exit code, file count, a "no-change" run that changed something).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { editedStylesheet, writeBigFile, writeTree } from './lib/scale-tree.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
const CLI = join('packages', 'core', 'dist', 'cli.js')
const RUSAGE = pathToFileURL(join(here, 'lib', 'rusage.mjs')).href
const MANIFEST_FILE = 'convoy-manifest.json'
const USAGE = 'usage: node bench/scale-bench.mjs [--sizes 1k,10k,100k] [--runs N] [--big] [--big-mb 200] [--compare REF] [--json] [--seed N]'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1k,10k,100k' },
    runs: { type: 'string', default: '1' },
    big: { type: 'boolean', default: false },
    'big-mb': { type: 'string', default: '200' },
    compare: { type: 'string' },
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}

const usageError = (message) => {
  console.error(`scale-bench: ${message}\n${USAGE}`)
  process.exit(2)
}
const runs = Number(args.runs)
if (!Number.isInteger(runs) || runs < 1) usageError(`--runs must be a positive integer, got ${args.runs}`)
const seed = Number(args.seed)
if (!Number.isInteger(seed) || seed < 0) usageError(`--seed must be a whole number, got ${args.seed}`)
const bigMb = Number(args['big-mb'])
if (!(bigMb > 0)) usageError(`--big-mb must be a positive number, got ${args['big-mb']}`)
const sizes = args.sizes === 'none' ? [] : args.sizes.split(',').map((text) => {
  const match = /^\s*(\d+)(k?)\s*$/i.exec(text)
  const files = match ? Number(match[1]) * (match[2] ? 1000 : 1) : NaN
  if (!(files > 0)) usageError(`--sizes takes sizes such as 1k,10k,100k (or none), got "${text}"`)
  return { label: files % 1000 === 0 ? `${files / 1000}k` : String(files), files }
})
if (sizes.length === 0 && !args.big) usageError('nothing to measure: --sizes none without --big')
const currentCli = join(root, CLI)
if (!existsSync(currentCli)) usageError(`${CLI} is missing; run \`pnpm turbo run build --filter=@convoy/core...\` first`)

const log = (line) => process.stderr.write(`${line}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref())

// ---------------------------------------------------------------------------------------------------------------
// Clean-up: the temp directory (and the worktree of --compare) go at the end, on an error and on SIGINT/SIGTERM.

const work = mkdtempSync(join(tmpdir(), 'convoy-scale-'))
/** Synchronous clean-up steps, run newest first, each once. */
const cleanups = [() => rmSync(work, { recursive: true, force: true, maxRetries: 3 })]
/** Running children: killed before the clean-up removes the directories they work in. */
const children = new Set()
let stopping = false

function cleanUp() {
  while (cleanups.length > 0) {
    const step = cleanups.pop()
    try {
      step()
    } catch (error) {
      log(`scale-bench: clean-up: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
process.on('exit', cleanUp)

function kill(entry, signal) {
  try {
    // A detached child (install, build) leads its own process group: stop all of it.
    if (entry.group) process.kill(-entry.child.pid, signal)
    else entry.child.kill(signal)
  } catch {
    // Already gone.
  }
}

async function stop(signal, number) {
  if (stopping) return
  stopping = true
  log(`\nscale-bench: ${signal}: stopping ${children.size} child process(es), removing ${work}`)
  for (const entry of children) kill(entry, 'SIGTERM')
  await Promise.race([Promise.all([...children].map((entry) => entry.exited)), sleep(5000)])
  for (const entry of children) kill(entry, 'SIGKILL')
  cleanUp()
  process.exit(128 + number)
}
process.on('SIGINT', () => void stop('SIGINT', 2))
process.on('SIGTERM', () => void stop('SIGTERM', 15))

function track(child, group = false) {
  const entry = { child, group, exited: new Promise((resolve) => child.once('close', resolve)) }
  children.add(entry)
  void entry.exited.then(() => children.delete(entry))
  return entry
}

// ---------------------------------------------------------------------------------------------------------------
// One measured run.

let sequence = 0

/** One `convoy collect --json --quiet` in `project`: wall seconds from spawn to exit, peak RSS (MiB), its report. */
function collectOnce(cli, project, label) {
  const stats = join(work, `rusage-${++sequence}.txt`)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--import', RUSAGE, cli, 'collect', '--json', '--quiet'], {
      cwd: project,
      env: { ...process.env, BENCH_RUSAGE_FILE: stats },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    track(child)
    let stdout = ''
    let stderr = ''
    let wall = 0
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', () => (wall = (performance.now() - started) / 1000))
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${label}: convoy collect exited with ${signal ?? code} after ${wall.toFixed(2)} s\n${stderr.slice(-4000)}${stdout.slice(0, 2000)}`))
        return
      }
      let report
      try {
        report = JSON.parse(stdout.slice(stdout.indexOf('{')))
      } catch (error) {
        reject(new Error(`${label}: convoy collect --json printed no JSON report (${error.message}): ${stdout.slice(0, 2000)}`))
        return
      }
      if (!existsSync(stats)) {
        reject(new Error(`${label}: the child wrote no peak RSS to ${stats} (bench/lib/rusage.mjs not preloaded?)`))
        return
      }
      const maxRssKb = Number(readFileSync(stats, 'utf8').trim().split(' ')[0])
      rmSync(stats, { force: true })
      resolve({ wall, peakMb: maxRssKb / 1024, report })
    })
  })
}

/**
 * What a run must have done, or the benchmark measured something else: every file of the tree collected, and (when
 * the report lists changes) everything added on a cold run, nothing changed on a no-change run, exactly the edited
 * stylesheet on a one-changed run.
 */
function checkRun(sample, { label, files, expect, edited }) {
  const { report } = sample
  const fail = (message) => {
    throw new Error(`${label}: ${message}`)
  }
  if (report.ok !== true) fail(`the report is not ok: ${JSON.stringify(report).slice(0, 2000)}`)
  if (report.files !== files) fail(`the report counts ${report.files} files, the tree has ${files}`)
  const changes = report.changes
  if (changes === undefined) return
  const counts = `${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed`
  if (expect === 'cold' && (changes.added.length !== files || changes.changed.length + changes.removed.length > 0)) fail(`a cold run reported ${counts}`)
  if (expect === 'no-change' && changes.added.length + changes.changed.length + changes.removed.length > 0) fail(`nothing changed, yet the report has ${counts}`)
  if (expect === 'one-changed' && (changes.changed.length !== 1 || changes.changed[0] !== edited || changes.added.length + changes.removed.length > 0)) {
    fail(`only ${edited} was edited, yet the report has ${counts} (${changes.changed.slice(0, 3).join(', ')})`)
  }
}

/** What is kept of a run: its report is large on a cold 100k run (every path added). */
const keep = ({ wall, peakMb, report }) => ({
  wall,
  peakMb,
  seconds: report.seconds,
  cacheHits: report.cacheHits,
  written: report.written,
  unchanged: report.unchanged,
  warnings: report.warnings.length,
})

/**
 * The build a side's CLI runs (names, sizes and mtimes of its dist's .js files). Other sessions rebuild core while
 * a long run goes on; figures from two builds must say so.
 */
function buildStamp(cli) {
  const dist = dirname(cli)
  return readdirSync(dist)
    .filter((name) => name.endsWith('.js'))
    .sort()
    .map((name) => {
      const { size, mtimeMs } = statSync(join(dist, name))
      return `${name}:${size}:${mtimeMs}`
    })
    .join('\n')
}

function checkBuild(side, label) {
  if (side.rebuilt || buildStamp(side.cli) === side.stamp) return
  side.rebuilt = true
  log(`scale-bench: WARNING: ${dirname(side.cli)} changed during "${label}" (a rebuild): the ${side.name} figures mix two builds`)
}

// ---------------------------------------------------------------------------------------------------------------
// --compare: REF checked out beside, installed and built.

function git(gitArgs) {
  const result = spawnSync('git', gitArgs, { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`git ${gitArgs.join(' ')} failed: ${result.stderr.trim()}`)
  return result.stdout.trim()
}

/** Runs a setup command in its own process group (so a signal stops all of it), output on stderr. */
function runStep(command, commandArgs, cwd) {
  log(`scale-bench: ${command} ${commandArgs.join(' ')}  (in ${cwd})`)
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd, stdio: ['ignore', 2, 2], detached: true })
    track(child, true)
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code === 0 ? 0 : (signal ?? code)))
  })
}

async function prepareBefore(ref) {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`])
  const checkout = join(work, 'before-checkout')
  // Registered first: an add that fails half-way still leaves its entry in .git/worktrees.
  cleanups.push(() => {
    const removed = spawnSync('git', ['worktree', 'remove', '--force', checkout], { cwd: root, encoding: 'utf8' })
    if (removed.status !== 0 && existsSync(checkout)) log(`scale-bench: git worktree remove --force ${checkout} failed (${removed.stderr.trim()}); run \`git worktree prune\``)
  })
  git(['worktree', 'add', '--detach', checkout, commit])
  const offline = await runStep('pnpm', ['install', '--frozen-lockfile', '--offline'], checkout)
  if (offline !== 0) {
    log(`scale-bench: the offline install failed (${offline}); trying with the registry`)
    const online = await runStep('pnpm', ['install', '--frozen-lockfile'], checkout)
    if (online !== 0) throw new Error(`pnpm install --frozen-lockfile in the checkout of ${ref} failed (${online})`)
  }
  const built = await runStep('pnpm', ['turbo', 'run', 'build', '--filter=@convoy/core...'], checkout)
  if (built !== 0) throw new Error(`pnpm turbo run build --filter=@convoy/core... in the checkout of ${ref} failed (${built})`)
  const cli = join(checkout, CLI)
  if (!existsSync(cli)) throw new Error(`the build of ${ref} made no ${CLI}`)
  return { name: 'before', ref, commit, cli, stamp: buildStamp(cli), rebuilt: false }
}

// ---------------------------------------------------------------------------------------------------------------
// A tree, measured on every side (the current build, and REF's with --compare), runs interleaved.

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function benchTree(tree, sides) {
  const dir = join(work, `tree-${tree.label}`)
  const source = join(dir, 'src')
  const generating = performance.now()
  const made = tree.big
    ? { ...writeBigFile(join(source, 'big.log'), { bytes: tree.bytes, seed }), edit: undefined }
    : writeTree(source, { files: tree.files, seed })
  log(`scale-bench: tree ${tree.label}: ${made.files} files, ${(made.bytes / 1e6).toFixed(1)} MB, generated in ${((performance.now() - generating) / 1000).toFixed(1)} s`)

  const projects = sides.map((side) => {
    const project = join(dir, side.name)
    mkdirSync(project, { recursive: true })
    // The sources by absolute path; output and cache beside the config, both empty for the cold run.
    writeFileSync(join(project, 'convoy.config.json'), `${JSON.stringify({ sources: [source], out: 'out', cacheDir: 'cache' }, null, 2)}\n`)
    return { side, project, samples: { cold: undefined, noChange: [], oneChanged: [] }, manifestBytes: [] }
  })
  const run = async (project, phase, expect, round) => {
    const label = `${tree.label} ${project.side.name} ${phase}${round === undefined ? '' : ` ${round}/${runs}`}`
    const sample = await collectOnce(project.side.cli, project.project, label)
    checkBuild(project.side, label)
    checkRun(sample, { label, files: made.files, expect, edited: made.edit })
    project.manifestBytes.push(statSync(join(project.project, 'out', MANIFEST_FILE)).size)
    const { report } = sample
    log(`  ${label.padEnd(30)} ${sample.wall.toFixed(2).padStart(8)} s  ${sample.peakMb.toFixed(0).padStart(5)} MB  (own clock ${report.seconds.toFixed(2)} s, ${report.cacheHits} cache hits, ${report.written} written, ${report.warnings.length} warnings)`)
    if (expect === 'cold' && report.warnings.length > 0) {
      for (const warning of report.warnings.slice(0, 3)) log(`    warning: ${warning.message.slice(0, 300)}`)
    }
    return keep(sample)
  }

  for (const project of projects) project.samples.cold = await run(project, 'cold', 'cold')
  if (!tree.big) {
    const editPath = join(source, made.edit)
    const original = readFileSync(editPath)
    try {
      for (let round = 1; round <= runs; round++) {
        for (const project of projects) project.samples.noChange.push(await run(project, 'no-change', 'no-change', round))
        writeFileSync(editPath, editedStylesheet(original, round))
        for (const project of projects) project.samples.oneChanged.push(await run(project, 'one-changed', 'one-changed', round))
      }
    } finally {
      writeFileSync(editPath, original)
    }
  }
  // Free the disk before the next tree (the 100k tree and its outputs are a few GB).
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 })

  const figures = (project) => {
    const { cold, noChange, oneChanged } = project.samples
    const all = [cold, ...noChange, ...oneChanged]
    return {
      cold: cold.wall,
      filesPerSecond: made.files / cold.wall,
      noChange: noChange.length > 0 ? median(noChange.map((sample) => sample.wall)) : undefined,
      oneChanged: oneChanged.length > 0 ? median(oneChanged.map((sample) => sample.wall)) : undefined,
      peakMb: Math.max(...all.map((sample) => sample.peakMb)),
      peakMbByRun: {
        cold: cold.peakMb,
        noChange: noChange.length > 0 ? median(noChange.map((sample) => sample.peakMb)) : undefined,
        oneChanged: oneChanged.length > 0 ? median(oneChanged.map((sample) => sample.peakMb)) : undefined,
      },
      manifestBytes: Math.max(...project.manifestBytes),
      samples: project.samples,
    }
  }
  return {
    tree: tree.label,
    big: tree.big === true,
    files: made.files,
    bytes: made.bytes,
    kinds: made.kinds,
    edited: made.edit,
    sides: Object.fromEntries(projects.map((project) => [project.side.name, figures(project)])),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The issue's targets ("Cost proportional to change", this 2-core machine, from process start).

const PEAK_TARGET = { measure: 'peak RSS', key: 'peakMb', limit: 300, unit: 'MB', source: 'DESIGN §15: any tree, the 200 MB file' }
const TARGETS = {
  1000: [{ measure: 'no-change', key: 'noChange', limit: 0.4, unit: 's', source: 'the 1,212-file corpus row' }],
  10000: [
    { measure: 'cold', key: 'cold', limit: 30, unit: 's' },
    { measure: 'no-change', key: 'noChange', limit: 1.0, unit: 's' },
    { measure: 'one-changed', key: 'oneChanged', limit: 1.5, unit: 's' },
  ],
  100000: [
    { measure: 'cold', key: 'cold', completes: true },
    { measure: 'no-change', key: 'noChange', limit: 8, unit: 's' },
    { measure: 'one-changed', key: 'oneChanged', limit: 9, unit: 's' },
  ],
}

function targetsOf(result) {
  const rows = [...(result.big ? [] : (TARGETS[result.files] ?? [])), PEAK_TARGET]
  return rows.map((target) => {
    const judge = (figures) => {
      if (figures === undefined) return undefined
      const value = figures[target.key]
      // A run that did not complete threw before this point.
      return { value, met: target.completes ? true : value <= target.limit }
    }
    const goal = target.completes ? 'completes' : `≤ ${target.unit === 's' ? target.limit.toFixed(1) : target.limit} ${target.unit}`
    return { tree: result.tree, measure: target.measure, target: goal, ...(target.source ? { source: target.source } : {}), unit: target.unit, after: judge(result.sides.after), before: judge(result.sides.before) }
  })
}

// ---------------------------------------------------------------------------------------------------------------

/** A markdown table, padded; `align` has one letter per column, `l` or `r` (default: the first left, the rest right). */
function markdown(rows, align = `l${'r'.repeat(rows[0].length - 1)}`) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)))
  const cell = (text, column) => (align[column] === 'l' ? String(text).padEnd(widths[column]) : String(text).padStart(widths[column]))
  const line = (row) => `| ${row.map(cell).join(' | ')} |`
  const rule = `|${widths.map((width, column) => `${'-'.repeat(width + 1)}${align[column] === 'l' ? '-' : ':'}`).join('|')}|`
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n')
}

const fixed = (digits) => (value) => (value === undefined ? '-' : value.toFixed(digits))
const MEASURES = [
  { head: 'cold s', get: (f) => f.cold, format: fixed(2) },
  { head: 'files/s', get: (f, result) => (result.big ? undefined : f.filesPerSecond), format: fixed(0) },
  { head: 'no-change s', get: (f) => f.noChange, format: fixed(2) },
  { head: 'one-changed s', get: (f) => f.oneChanged, format: fixed(2) },
  { head: 'peak RSS MB', get: (f) => f.peakMb, format: fixed(0) },
  {
    head: 'RSS cold/no-change/one MB',
    get: (f) => f.peakMbByRun,
    format: (runsRss) => [runsRss.cold, runsRss.noChange, runsRss.oneChanged].map((value) => (value === undefined ? '-' : value.toFixed(0))).join('/'),
  },
  { head: 'manifest MB', get: (f) => f.manifestBytes / 1e6, format: fixed(2) },
]

function printTables(report) {
  const comparing = report.before !== null
  const sideNames = comparing ? ['before', 'after'] : ['after']
  const out = []
  out.push('')
  out.push(`convoy scale benchmark — generated trees (seed ${report.seed}), cold once, no-change and one-changed median of ${report.runs} run(s);`)
  out.push(`each run \`node ${CLI} collect --json --quiet\` from spawn to exit; Node ${report.node}, ${report.cpus} CPUs, load average ${report.loadAverage.start.map(fixed(2)).join(' ')} at start, ${report.loadAverage.end.map(fixed(2)).join(' ')} at end`)
  if (comparing) out.push(`before = ${report.before.ref} (${report.before.commit.slice(0, 10)}), after = this checkout (${report.after.commit.slice(0, 10)}${report.after.dirty ? ' + uncommitted changes' : ''})`)
  for (const name of sideNames) {
    if (report[name].rebuiltDuringRun) out.push(`WARNING: the ${name} CLI was rebuilt while the benchmark ran: its figures mix two builds`)
  }
  out.push('MB of trees and manifests are 10^6 bytes; RSS MB are MiB (getrusage maxRSS / 1024); manifest = its largest size over the runs')
  out.push('')
  const head = ['tree', 'files', 'MB', ...MEASURES.flatMap((measure) => (comparing ? sideNames.map((name) => `${measure.head} ${name}`) : [measure.head]))]
  const rows = report.trees.map((result) => [
    result.big ? `${result.tree} (one file)` : result.tree,
    String(result.files),
    (result.bytes / 1e6).toFixed(1),
    ...MEASURES.flatMap((measure) =>
      sideNames.map((name) => {
        const value = measure.get(result.sides[name], result)
        return value === undefined ? '-' : measure.format(value)
      }),
    ),
  ])
  out.push(markdown([head, ...rows]))
  out.push('')
  const verdict = (judged, unit) => (judged === undefined ? ['-', '-'] : [unit === undefined ? 'completed' : `${judged.value.toFixed(unit === 's' ? 2 : 0)} ${unit}`, judged.met ? 'PASS' : 'MISS'])
  const targetHead = ['tree', 'measure', 'target', ...sideNames.flatMap((name) => [name, comparing ? `met ${name}` : 'met']), 'target from']
  const targetRows = report.targets.map((row) => [row.tree, row.measure, row.target, ...sideNames.flatMap((name) => verdict(row[name], row.unit)), row.source ?? 'the issue'])
  out.push(markdown([targetHead, ...targetRows], `lll${sideNames.map(() => 'rl').join('')}l`))
  console.log(out.join('\n'))
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const startLoad = loadavg()
  const head = git(['rev-parse', 'HEAD'])
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== ''
  const sides = [{ name: 'after', cli: currentCli, stamp: buildStamp(currentCli), rebuilt: false }]
  if (args.compare !== undefined) {
    const side = await prepareBefore(args.compare)
    sides.unshift(side)
  }
  log(`scale-bench: working in ${work}; ${runs} run(s) of no-change and one-changed; load average ${startLoad.map(fixed(2)).join(' ')} on ${cpus().length} CPUs`)
  const trees = [...sizes, ...(args.big ? [{ label: `${bigMb} MB`, big: true, bytes: Math.round(bigMb * 1e6) }] : [])]
  const results = []
  for (const tree of trees) results.push(await benchTree(tree, sides))
  const report = {
    bench: 'scale',
    node: process.version,
    cpus: cpus().length,
    loadAverage: { start: startLoad, end: loadavg() },
    seed,
    runs,
    after: { commit: head, dirty, rebuiltDuringRun: sides.at(-1).rebuilt },
    before: sides.length > 1 ? { ref: sides[0].ref, commit: sides[0].commit, rebuiltDuringRun: sides[0].rebuilt } : null,
    trees: results,
    targets: results.flatMap(targetsOf),
  }
  if (args.json) console.log(JSON.stringify(report, null, 2))
  else printTables(report)
}

try {
  await main()
} catch (error) {
  if (!stopping) {
    console.error(`scale-bench: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
} finally {
  if (!stopping) cleanUp()
}
