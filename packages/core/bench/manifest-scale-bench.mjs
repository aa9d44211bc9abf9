// The runtime at scale: how long `createConvoy()` takes to load a manifest of 100,000 entries from its JSON file
// (to the first `url()` answer), how fast `url()` is on it, and what @convoy/manifest's read / parse / validate cost.
//
//   pnpm --filter @convoy/core... build && node --expose-gc packages/core/bench/manifest-scale-bench.mjs [--entries 100000] [--runs 5]
//
// The manifest is generated (bench/lib/scale-manifest.mjs: the real shape, built with createManifest) and written
// to a temporary folder, removed at the end and on Ctrl-C. "cold" runs each start a fresh `node` that imports
// @convoy/core and times `createConvoy({ manifest: file })` and its first `url()`: what a web process pays at start
// (target ≤ 300 ms, DESIGN.md §15). "warm" repeats the same steps in this process. Lookups walk every entry in a
// shuffled order, and 1,000 paths of it against a 1,000-entry manifest: equal rates show that `url()` is O(1) (walking
// all 100,000 is slower only because they do not fit in the CPU caches).
// A benchmark, not a test: it prints a table and says whether the target is met.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateManifest, median, numberOption, removeOnExit } from './lib/scale-manifest.mjs'

const CORE = new URL('../dist/index.js', import.meta.url).href
const TARGET_MS = 300

if (process.argv[2] === '--floor') {
  // What any reader pays before checking a single field: the file read whole in one call, decoded, JSON.parse'd.
  const { open } = await import('node:fs/promises')
  const t0 = performance.now()
  const handle = await open(process.argv[3], 'r')
  const { size } = await handle.stat()
  const buffer = Buffer.allocUnsafe(size)
  await handle.read(buffer, 0, size, 0)
  await handle.close()
  const t1 = performance.now()
  const value = JSON.parse(buffer.toString('utf8'))
  const t2 = performance.now()
  process.stdout.write(JSON.stringify({ readMs: t1 - t0, parseMs: t2 - t1, entries: Object.keys(value.files).length }))
  process.exit(0)
}

if (process.argv[2] === '--child') {
  // One cold start: import the package, load the manifest, answer one lookup.
  const [file, first] = process.argv.slice(3)
  const t0 = performance.now()
  const { createConvoy } = await import(CORE)
  const t1 = performance.now()
  const convoy = await createConvoy({ manifest: file })
  const t2 = performance.now()
  const url = convoy.url(first)
  const t3 = performance.now()
  globalThis.gc?.()
  const { heapUsed, rss } = process.memoryUsage()
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, createMs: t2 - t1, firstUrlMs: t3 - t2, loadMs: t3 - t1, heapMB: heapUsed / 2 ** 20, rssMB: rss / 2 ** 20, url }))
  process.exit(0)
}

const entries = numberOption('entries', 100_000)
const runs = numberOption('runs', 5)
if (typeof globalThis.gc !== 'function') console.warn('(run with node --expose-gc for the memory figures)')
const gc = () => globalThis.gc?.()

const { createConvoy } = await import(CORE)
const { createManifest, serializeManifest, parseManifest, readManifestFile } = await import('@convoy/manifest')

const directory = mkdtempSync(join(tmpdir(), 'convoy-manifest-scale-'))
removeOnExit(() => rmSync(directory, { recursive: true, force: true }))

const timed = async (run) => {
  const start = performance.now()
  const value = await run()
  return { ms: performance.now() - start, value }
}

/** A manifest file of `count` entries and its logical paths. */
function writeManifest(count, name) {
  const { manifest, logicalPaths } = generateManifest(createManifest, { entries: count })
  const file = join(directory, name)
  writeFileSync(file, serializeManifest(manifest))
  return { file, logicalPaths, bytes: statSync(file).size, history: manifest.history.reduce((sum, entry) => sum + entry.dropped.length, 0) }
}

const generated = await timed(() => writeManifest(entries, 'convoy-manifest.json'))
const big = generated.value
const small = writeManifest(1000, 'small.json')
console.log(
  `manifest: ${entries.toLocaleString('en')} entries, ${(big.bytes / 2 ** 20).toFixed(1)} MB, ` +
    `${big.history.toLocaleString('en')} paths in 20 history versions (generated in ${(generated.ms / 1000).toFixed(1)} s)`,
)

// Cold: a fresh process per run, taking turns with the floor (so both see the same load from elsewhere).
const cold = []
const floor = []
for (let run = 0; run < runs; run++) {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', big.file, big.logicalPaths[0]], { encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`cold run failed:\n${child.stderr}`)
  cold.push(JSON.parse(child.stdout))
  const bare = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--floor', big.file], { encoding: 'utf8' })
  if (bare.status !== 0) throw new Error(`floor run failed:\n${bare.stderr}`)
  floor.push(JSON.parse(bare.stdout))
}

// Warm: the same steps in this process, after one untimed round.
const text = readFileSync(big.file, 'utf8')
const warmSteps = {
  "readFileSync(file, 'utf8')": () => readFileSync(big.file, 'utf8'),
  'JSON.parse': () => JSON.parse(text),
  'parseManifest (parse + validate)': () => parseManifest(text, big.file),
  'readManifestFile': () => readManifestFile(big.file),
  'createConvoy + first url()': async () => (await createConvoy({ manifest: big.file })).url(big.logicalPaths[0]),
}
const warm = {}
for (const [label, step] of Object.entries(warmSteps)) {
  await step()
  const times = []
  for (let run = 0; run < runs; run++) {
    gc()
    times.push((await timed(step)).ms)
  }
  warm[label] = median(times)
}

// Memory a loaded resolver holds (the manifest and its lookup table), after collection.
const settle = async () => {
  // A turn of the event loop first: what the last steps left on the stack is then collectable too.
  await new Promise((resolve) => setTimeout(resolve, 200))
  gc()
}
await settle()
const heapBefore = process.memoryUsage().heapUsed
let held = await createConvoy({ manifest: big.file })
await settle()
const heldMB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20

/** url() over every path of `logicalPaths` in a shuffled order, `rounds` times: median lookups per second. */
function lookups(convoy, logicalPaths, options) {
  const order = logicalPaths.map((path, i) => [((i * 2654435761) >>> 0) % 1_000_003, path]).sort((a, b) => a[0] - b[0]).map(([, path]) => path)
  const total = Math.max(2_000_000, order.length * 4)
  const once = () => {
    let length = 0
    for (let n = 0, i = 0; n < total; n++, i = i + 1 === order.length ? 0 : i + 1) length += convoy.url(order[i], options).length
    return length
  }
  once()
  const rates = []
  for (let run = 0; run < runs; run++) {
    const start = performance.now()
    if (once() === -1) console.log('unreachable')
    rates.push(total / ((performance.now() - start) / 1000))
  }
  return median(rates)
}
const smallConvoy = await createConvoy({ manifest: small.file, gzipInTemplate: true })
const bigConvoy = await createConvoy({ manifest: big.file, gzipInTemplate: true })
// A resolver of its own, so that it has looked up only these paths, as the small one has.
const spreadConvoy = await createConvoy({ manifest: big.file, gzipInTemplate: true })
const gzip = { acceptEncoding: 'gzip, deflate, br' }
// The same number of distinct paths as the small manifest, spread over the big one: what a page render asks for.
const spread = big.logicalPaths.filter((_, i) => i % Math.max(1, Math.floor(big.logicalPaths.length / 1000)) === 0).slice(0, 1000)
const rates = {
  [`url(), ${entries.toLocaleString('en')} entries, every path`]: lookups(bigConvoy, big.logicalPaths),
  [`url(), ${entries.toLocaleString('en')} entries, 1,000 of its paths`]: lookups(spreadConvoy, spread),
  'url(), 1,000 entries, every path': lookups(smallConvoy, small.logicalPaths),
  [`url(path, { acceptEncoding }), ${entries.toLocaleString('en')} entries, 1,000 of its paths`]: lookups(spreadConvoy, spread, gzip),
  'url(path, { acceptEncoding }), 1,000 entries, every path': lookups(smallConvoy, small.logicalPaths, gzip),
}
held = undefined

const coldLoad = median(cold.map((run) => run.loadMs))
const fmt = (ms) => `${ms.toFixed(1)} ms`
console.log(`\nmedian of ${runs} runs, Node ${process.version}`)
console.log('| step | median |')
console.log('|---|---:|')
console.log(`| cold: import('@convoy/core') | ${fmt(median(cold.map((run) => run.importMs)))} |`)
console.log(`| cold: createConvoy({ manifest: file }) | ${fmt(median(cold.map((run) => run.createMs)))} |`)
console.log(`| cold: first url() | ${fmt(median(cold.map((run) => run.firstUrlMs)))} |`)
console.log(`| **cold: createConvoy → first url()** | **${fmt(coldLoad)}** |`)
console.log(`| cold floor: read the file whole + JSON.parse, nothing else | ${fmt(median(floor.map((run) => run.readMs + run.parseMs)))} (read ${fmt(median(floor.map((run) => run.readMs)))}, JSON.parse ${fmt(median(floor.map((run) => run.parseMs)))}) |`)
console.log(`| cold: heap / RSS after load | ${median(cold.map((run) => run.heapMB)).toFixed(0)} MB / ${median(cold.map((run) => run.rssMB)).toFixed(0)} MB |`)
for (const [label, ms] of Object.entries(warm)) console.log(`| warm: ${label} | ${fmt(ms)} |`)
console.log(`| heap held by one loaded resolver | ${typeof globalThis.gc === 'function' ? `${heldMB.toFixed(0)} MB` : '-'} |`)
for (const [label, rate] of Object.entries(rates)) console.log(`| ${label} | ${(rate / 1e6).toFixed(2)} M/s |`)
console.log(`\ncreateConvoy → first url() target ≤ ${TARGET_MS} ms (cold, ${entries.toLocaleString('en')} entries): ${coldLoad <= TARGET_MS ? 'met' : 'NOT met'} (${fmt(coldLoad)})`)
