// Serving at scale: how long `serveStatic`'s index takes to build for the output of a 100,000-entry manifest, and
// how much memory it holds.
//
//   pnpm --filter @convoy/serve... build && node --expose-gc packages/serve/bench/index-scale-bench.mjs [--entries 100000] [--runs 3]
//
// The manifest is generated (packages/core/bench/lib/scale-manifest.mjs: the real shape, built with createManifest)
// and its output folder written to a temporary folder: every file a collected output holds for it (originals,
// fingerprinted, minified, maps, .gz/.br siblings, carpools, and the files of 20 earlier versions), as sparse files
// of the sizes the manifest names, so the tree costs little disk. Removed at the end and on Ctrl-C.
// Each run is a fresh `node` that times `serveStatic({ root })` until `ready`, and measures the heap and RSS it
// grew by (after a full GC and a second's wait, with --expose-gc) and the peak RSS (reading the manifest: its text
// and JSON.parse's objects, briefly); then answers a few requests to check the index
// (a wrong answer fails the benchmark). "storage" runs index the same files through an in-memory `Storage`
// (`{ storage }`): the index's own cost, without the disk. Targets (DESIGN.md §15): ≤ 1 s and ≤ 150 MB.
import { spawnSync } from 'node:child_process'
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { generateManifest, median, numberOption, removeOnExit } from '../../core/bench/lib/scale-manifest.mjs'

const SERVE = new URL('../dist/index.js', import.meta.url).href
const TARGET_MS = 1000
const TARGET_MB = 150
const MB = 2 ** 20

/** A `Storage` (the part serving uses) over the sizes of a generated tree, holding no bytes but zeros. */
function memoryStorage(sizes) {
  const lastModified = new Date(Date.UTC(2025, 0, 1))
  const entry = (path) => (sizes.has(path) ? { path, size: sizes.get(path), lastModified } : null)
  return {
    name: 'memory',
    async stat(path) {
      return entry(path)
    },
    async read(path) {
      return sizes.has(path) ? new Uint8Array(sizes.get(path)) : null
    },
    async readStream(path) {
      return sizes.has(path) ? Readable.from([Buffer.alloc(sizes.get(path))]) : null
    },
    async *list() {
      for (const path of sizes.keys()) yield entry(path)
    },
  }
}

if (process.argv[2] === '--child') {
  // One cold start: build the index, measure it, check a few answers.
  const [mode, root, probeFile] = process.argv.slice(3)
  const { serveStatic, createStaticFiles } = await import(SERVE)
  const { readFileSync } = await import('node:fs')
  const probes = JSON.parse(readFileSync(probeFile, 'utf8'))
  let storage
  if (mode === 'storage') {
    const sizes = new Map(Object.entries(JSON.parse(readFileSync(join(root, '..', 'sizes.json'), 'utf8'))))
    sizes.set('convoy-manifest.json', readFileSync(join(root, 'convoy-manifest.json')).length)
    const manifestText = readFileSync(join(root, 'convoy-manifest.json'))
    storage = memoryStorage(sizes)
    const read = storage.read
    storage.read = async (path) => (path === 'convoy-manifest.json' ? new Uint8Array(manifestText) : read(path))
  }
  // Let go of what setting up took (the parse of the sizes above) before taking the baseline.
  await new Promise((resolve) => setTimeout(resolve, 500))
  globalThis.gc?.()
  const before = process.memoryUsage()
  const start = performance.now()
  const serve = mode === 'storage' ? serveStatic({ storage }) : serveStatic({ root, watch: false })
  await serve.ready
  const ms = performance.now() - start
  // What the index holds: after a full collection, and a moment for the heap to give freed pages back to the system.
  globalThis.gc?.()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  globalThis.gc?.()
  const after = process.memoryUsage()
  const peakRss = process.resourceUsage().maxRSS * 1024

  // The same options through the framework-free core, to check answers without a socket.
  const files = mode === 'storage' ? createStaticFiles({ storage }) : createStaticFiles({ root, watch: false })
  await files.ready
  const wrong = []
  for (const probe of probes) {
    const answer = await files.answer({ method: 'GET', url: `/${encodeURI(probe.path)}`, header: (name) => probe.headers[name] })
    const header = (name) => {
      const at = answer.headers?.findIndex((value, i) => i % 2 === 0 && value.toLowerCase() === name)
      return at === undefined || at < 0 ? undefined : answer.headers[at + 1]
    }
    const got = { status: answer.status ?? answer.kind, encoding: header('content-encoding'), length: header('content-length'), cache: header('cache-control') }
    for (const [key, value] of Object.entries(probe.expect)) if (got[key] !== value) wrong.push(`${probe.path}: ${key} ${String(got[key])}, expected ${String(value)}`)
    if (answer.body !== undefined && typeof answer.body.destroy === 'function') answer.body.destroy()
  }
  files.close()
  serve.close()
  process.stdout.write(
    JSON.stringify({
      ms,
      heapMB: (after.heapUsed - before.heapUsed) / MB,
      externalMB: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / MB,
      rssMB: (after.rss - before.rss) / MB,
      peakRssMB: (peakRss - before.rss) / MB,
      wrong,
    }),
  )
  process.exit(0)
}

const entries = numberOption('entries', 100_000)
const runs = numberOption('runs', 3)
if (typeof globalThis.gc !== 'function') console.warn('(run with node --expose-gc for exact memory figures)')

const { createManifest, serializeManifest } = await import('@convoy/manifest')
const directory = mkdtempSync(join(tmpdir(), 'convoy-serve-scale-'))
removeOnExit(() => rmSync(directory, { recursive: true, force: true }))
const root = join(directory, 'static')

let start = performance.now()
const { manifest, logicalPaths, sizes } = generateManifest(createManifest, { entries })
const made = new Set()
for (const [path, size] of sizes) {
  const file = join(root, path)
  const folder = dirname(file)
  if (!made.has(folder)) {
    mkdirSync(folder, { recursive: true })
    made.add(folder)
  }
  // Sparse: the size without the disk blocks.
  const fd = openSync(file, 'w')
  ftruncateSync(fd, size)
  closeSync(fd)
}
writeFileSync(join(root, 'convoy-manifest.json'), serializeManifest(manifest))
writeFileSync(join(directory, 'sizes.json'), JSON.stringify(Object.fromEntries(sizes)))
const written = (performance.now() - start) / 1000

// Requests whose answers the index must get right.
const css = logicalPaths.find((path) => path.endsWith('.css'))
const png = logicalPaths.find((path) => path.endsWith('.png'))
const cssEntry = manifest.files[css]
const oldPath = manifest.history[0].dropped[0]
const year = 'public, max-age=31536000, immutable'
const probes = [
  { path: cssEntry.served, headers: { 'accept-encoding': 'gzip, br' }, expect: { status: 200, encoding: 'br', length: String(cssEntry.encodings.br.size), cache: year } },
  { path: cssEntry.served, headers: { 'accept-encoding': 'gzip' }, expect: { status: 200, encoding: 'gzip', length: String(cssEntry.encodings.gzip.size), cache: year } },
  { path: cssEntry.served, headers: {}, expect: { status: 200, encoding: undefined, length: String(cssEntry.size), cache: year } },
  { path: cssEntry.encodings.gzip.path, headers: {}, expect: { status: 200, encoding: 'gzip', length: String(cssEntry.encodings.gzip.size), cache: year } },
  { path: css, headers: {}, expect: { status: 200, encoding: undefined, length: String(sizes.get(css)), cache: 'public, max-age=60' } },
  { path: manifest.files[png].served, headers: { 'accept-encoding': 'br' }, expect: { status: 200, encoding: undefined, cache: year } },
  { path: oldPath, headers: {}, expect: { status: 200, length: String(sizes.get(oldPath)), cache: 'public, max-age=60' } },
  { path: 'convoy-manifest.json', headers: {}, expect: { status: 200, cache: 'no-cache' } },
  { path: `${css}.missing`, headers: {}, expect: { status: 404 } },
]
const probeFile = join(directory, 'probes.json')
writeFileSync(probeFile, JSON.stringify(probes))

console.log(
  `tree: ${entries.toLocaleString('en')} manifest entries, ${(sizes.size + 1).toLocaleString('en')} files in ${made.size.toLocaleString('en')} folders ` +
    `(written in ${written.toFixed(1)} s), Node ${process.version}`,
)

const results = {}
for (const mode of ['directory', 'storage']) {
  results[mode] = []
  for (let run = 0; run < runs; run++) {
    start = performance.now()
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', mode, root, probeFile], { encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`${mode} run failed:\n${child.stderr}`)
    const result = JSON.parse(child.stdout)
    if (result.wrong.length > 0) {
      console.error(`wrong answers (${mode}):\n  ${result.wrong.join('\n  ')}`)
      process.exitCode = 1
    }
    results[mode].push(result)
  }
}

const row = (mode) => {
  const list = results[mode]
  const m = (key) => median(list.map((result) => result[key]))
  return { mode, ms: m('ms'), heapMB: m('heapMB'), externalMB: m('externalMB'), rssMB: m('rssMB'), peakRssMB: m('peakRssMB') }
}
const rows = Object.keys(results).map(row)
console.log(`\nmedian of ${runs} cold runs each`)
console.log('| source | index build | heap growth | buffers (memory cache) | RSS growth | peak RSS growth |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const r of rows) {
  console.log(
    `| ${r.mode === 'directory' ? 'serveStatic({ root })' : 'serveStatic({ storage }), in memory'} | ${r.ms.toFixed(0)} ms | ${r.heapMB.toFixed(0)} MB | ` +
      `${r.externalMB.toFixed(0)} MB | ${r.rssMB.toFixed(0)} MB | ${r.peakRssMB.toFixed(0)} MB |`,
  )
}
const directoryRow = rows[0]
const memory = Math.max(directoryRow.rssMB, directoryRow.heapMB + directoryRow.externalMB)
console.log(
  `\nserveStatic({ root }) index target ≤ ${TARGET_MS} ms and ≤ ${TARGET_MB} MB (${entries.toLocaleString('en')} entries): ` +
    `${directoryRow.ms <= TARGET_MS && memory <= TARGET_MB ? 'met' : 'NOT met'} (${directoryRow.ms.toFixed(0)} ms, ${memory.toFixed(0)} MB)`,
)
