// Microbenchmark of the runtime resolver: `convoy.url()` lookups per second and the cached `carpool()` render.
// Run after building: `pnpm turbo run build --filter=@convoy/core && node packages/core/bench/runtime-bench.mjs`.
// A benchmark, not a test: it prints numbers (target: ≥ 5 million url() lookups per second).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createConvoy } from '../dist/index.js'

const FILES = 2000
const ROUNDS = 7

const hex = (text, length = 12) => createHash('md5').update(text).digest('hex').slice(0, length)
const sri = (text) => `sha384-${createHash('sha384').update(text).digest('base64')}`

const files = {}
const logicalPaths = []
for (let i = 0; i < FILES; i++) {
  const extension = i % 2 === 0 ? 'css' : 'js'
  const logicalPath = `${extension}/section-${i % 40}/file-${i}.${extension}`
  const served = `${extension}/section-${i % 40}/file-${i}.${hex(logicalPath)}.cmin.${extension}`
  logicalPaths.push(logicalPath)
  files[logicalPath] = {
    served,
    size: 1000,
    integrity: sri(logicalPath),
    fingerprinted: served.replace('.cmin', ''),
    sourceHash: hex(logicalPath, 32),
    contentType: extension === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
    encodings: { gzip: { path: `${served}.gz`, size: 400 }, br: { path: `${served}.br`, size: 350 } },
  }
}
const members = logicalPaths.filter((path) => path.endsWith('.css')).slice(0, 6)

// The bundle of `members`, as collect would record it, so carpool() renders the bundle tag from memory.
const { carpoolName } = await import('@convoy/carpool')
const bundle = carpoolName('css', members.map((path) => files[path].served))
const manifest = {
  version: 1,
  id: '0000000000000000',
  baseUrl: '/static/',
  hash: { algorithm: 'md5', length: 12 },
  files,
  carpools: { site: { kind: 'css', members, served: bundle, size: 6000, integrity: sri(bundle), contentType: 'text/css; charset=utf-8' } },
  history: [],
}
const convoy = await createConvoy({ manifest, gzipInTemplate: true, combineDuringRequest: false })

function measure(label, iterations, body) {
  const results = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint()
    const sink = body(iterations)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    if (sink === -1) console.log('unreachable')
    results.push(seconds)
  }
  results.sort((a, b) => a - b)
  const median = results[Math.floor(ROUNDS / 2)]
  return { label, perSecond: iterations / median, nanoseconds: (median / iterations) * 1e9 }
}

const mask = 1023 // 1024 distinct paths, cycled
const urlPlain = (n) => {
  let length = 0
  for (let i = 0; i < n; i++) length += convoy.url(logicalPaths[i & mask]).length
  return length
}
const requestOptions = { acceptEncoding: 'gzip, deflate, br, zstd' }
const urlGzip = (n) => {
  let length = 0
  for (let i = 0; i < n; i++) length += convoy.url(logicalPaths[i & mask], requestOptions).length
  return length
}
const carpoolCached = (n) => {
  let length = 0
  for (let i = 0; i < n; i++) length += convoy.carpool('css', members).length
  return length
}
const carpoolCachedGzip = (n) => {
  let length = 0
  for (let i = 0; i < n; i++) length += convoy.carpool('css', members, requestOptions).length
  return length
}

// Warm up every path so the JIT has optimized them before measuring.
urlPlain(2_000_000)
urlGzip(2_000_000)
carpoolCached(200_000)
carpoolCachedGzip(200_000)

const rows = [
  measure('convoy.url(path)', 10_000_000, urlPlain),
  measure('convoy.url(path, { acceptEncoding })', 10_000_000, urlGzip),
  measure(`convoy.carpool('css', ${members.length} paths), cached`, 1_000_000, carpoolCached),
  measure(`convoy.carpool('css', ${members.length} paths, { acceptEncoding }), cached`, 1_000_000, carpoolCachedGzip),
]

console.log(`runtime benchmark: ${FILES} manifest entries, median of ${ROUNDS} rounds, Node ${process.version}`)
console.log('| what | per second | per call |')
console.log('|---|---:|---:|')
for (const row of rows) console.log(`| ${row.label} | ${(row.perSecond / 1e6).toFixed(2)} M | ${row.nanoseconds.toFixed(1)} ns |`)
const url = rows[0].perSecond
console.log(`\nurl() target ≥ 5 M/s: ${url >= 5e6 ? 'met' : 'NOT met'} (${(url / 1e6).toFixed(2)} M/s)`)

// What a web process pays to load the runtime face: `node -e "import('@convoy/core')"` over an empty `node -e ''`,
// run from this package (so '@convoy/core' resolves to its built dist). The commands take turns, 2 warm-up rounds
// then 20 measured, and each is the median of its 20: on a shared machine the load drifts, and taking turns lets
// every command see the same drift.
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const manifestObject = "{ version: 1, id: 'x', baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 }, files: {}, carpools: {}, history: [] }"
const commands = {
  empty: ['-e', ''],
  withCore: ['-e', "import('@convoy/core')"],
  // createConvoy() imports the runtime (manifest reader, carpool tags) on its first call: what a web process pays in all.
  withRuntime: ['--input-type=module', '-e', `const { createConvoy } = await import('@convoy/core'); await createConvoy({ manifest: ${manifestObject} })`],
}
const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]))
for (let round = 0; round < 22; round++) {
  for (const [name, args] of Object.entries(commands)) {
    const start = performance.now()
    const result = spawnSync(process.execPath, args, { cwd: packageDirectory, stdio: 'ignore' })
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`)
    if (round >= 2) times[name].push(performance.now() - start)
  }
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
}
const empty = median(times.empty)
const withCore = median(times.withCore)
const withRuntime = median(times.withRuntime)
const importCost = withCore - empty
console.log(`import('@convoy/core'): ${withCore.toFixed(1)} ms, empty node ${empty.toFixed(1)} ms`)
console.log(`import('@convoy/core') + first createConvoy(): ${withRuntime.toFixed(1)} ms (${(withRuntime - empty).toFixed(1)} ms over empty node)`)
console.log(`import target ≤ 25 ms over empty node: ${importCost <= 25 ? 'met' : 'NOT met'} (${importCost.toFixed(1)} ms)`)
