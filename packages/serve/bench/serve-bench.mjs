#!/usr/bin/env node
// Requests per second of @convoy/serve against sirv, express.static and @fastify/static, each serving the same
// precompressed ~30 KB CSS file (with .gz and .br siblings) on loopback, one server at a time.
//
//   pnpm --filter @convoy/serve build && node packages/serve/bench/serve-bench.mjs
//     [--duration 5] [--warmup 1] [--connections 10] [--rounds 3] [--in-process] [--only convoy,sirv] [--json]
//
// Each round runs every server once, in turn (so a burst of load from elsewhere hits all of them alike); the
// table shows each server's median round.
// By default the load generator (autocannon) runs in a child process so that it does not share the server's event
// loop; --in-process runs it in the server's process instead (numbers are then lower for everyone).
// Not a test: it prints a table and exits 0 unless a server answered wrongly.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, get } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const ACCEPT_ENCODING = 'gzip, deflate, br'
const here = dirname(fileURLToPath(import.meta.url))

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]
}
const flag = (name) => process.argv.includes(`--${name}`)

async function runLoad({ url, connections, duration }) {
  const { default: autocannon } = await import('autocannon')
  const result = await autocannon({ url, connections, duration, headers: { 'accept-encoding': ACCEPT_ENCODING } })
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerSecond: result.throughput.average,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  }
}

// Child mode: run the load against one URL and print the result as JSON.
if (flag('load')) {
  const result = await runLoad({
    url: option('url'),
    connections: Number(option('connections')),
    duration: Number(option('duration')),
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}

function loadInChild(settings) {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--load']
    for (const [key, value] of Object.entries(settings)) args.push(`--${key}`, String(value))
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`))
      else resolve(JSON.parse(out.trim().split('\n').at(-1)))
    })
  })
}

/** A realistic stylesheet of about 30 KB, minified, plus its siblings, in a collected-looking tree. */
async function createTree() {
  const root = await mkdtemp(join(tmpdir(), 'convoy-serve-bench-'))
  const rules = []
  for (let i = 0; rules.join('').length < 30_000; i++) {
    rules.push(
      `.c${i.toString(36)}{display:${i % 3 ? 'flex' : 'block'};margin:${i % 17}px ${i % 5}px;padding:${i % 11}px;` +
        `color:#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)};font:${12 + (i % 6)}px/1.4 system-ui}`,
    )
  }
  const css = rules.join('')
  const hash = (text) => createHash('md5').update(text).digest('hex').slice(0, 12)
  const original = 'css/app.css'
  const fingerprinted = `css/app.${hash(css)}.css`
  const served = `css/app.${hash(css)}.cmin.css`
  const gz = gzipSync(css, { level: 9 })
  const br = brotliCompressSync(css, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
  await mkdir(join(root, 'css'))
  await writeFile(join(root, original), css)
  await writeFile(join(root, fingerprinted), css)
  await writeFile(join(root, served), css)
  await writeFile(join(root, `${served}.gz`), gz)
  await writeFile(join(root, `${served}.br`), br)
  const manifest = {
    version: 1,
    id: hash(served),
    baseUrl: '/',
    hash: { algorithm: 'md5', length: 12 },
    files: {
      [original]: {
        served,
        size: css.length,
        integrity: `sha384-${createHash('sha384').update(css).digest('base64')}`,
        fingerprinted,
        sourceHash: createHash('md5').update(css).digest('hex'),
        contentType: 'text/css; charset=utf-8',
        encodings: { gzip: { path: `${served}.gz`, size: gz.length }, br: { path: `${served}.br`, size: br.length } },
      },
    },
    carpools: {},
    history: [],
  }
  await writeFile(join(root, 'convoy-manifest.json'), JSON.stringify(manifest, null, 2))
  return { root, path: `/${served}`, sizes: { identity: css.length, gzip: gz.length, br: br.length }, br }
}

const notFound = (res) => {
  res.statusCode = 404
  res.end('not found')
}

function listenHttp(handler) {
  const server = createServer(handler)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, close: () => new Promise((done) => (server.closeAllConnections(), server.close(done))) }),
    ),
  )
}

const SERVERS = {
  async convoy(tree) {
    const { serveStatic } = await import(join(here, '..', 'dist', 'index.js'))
    const serve = serveStatic({ root: tree.root })
    await serve.ready
    return listenHttp((req, res) => serve(req, res, () => notFound(res)))
  },
  async sirv(tree) {
    const { default: sirv } = await import('sirv')
    const serve = sirv(tree.root, { gzip: true, brotli: true })
    return listenHttp((req, res) => serve(req, res, () => notFound(res)))
  },
  async 'express.static'(tree) {
    const { default: express } = await import('express')
    const app = express()
    app.use(express.static(tree.root))
    return listenHttp(app)
  },
  async '@fastify/static'(tree) {
    const { default: Fastify } = await import('fastify')
    const { default: fastifyStatic } = await import('@fastify/static')
    const app = Fastify({ logger: false })
    await app.register(fastifyStatic, { root: tree.root, preCompressed: true })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { port: app.server.address().port, close: () => app.close() }
  },
  // The ceiling: a handler that writes fixed headers and the brotli bytes from memory, doing nothing else.
  async 'bare node:http'(tree) {
    const headers = { 'content-type': 'text/css; charset=utf-8', 'content-encoding': 'br', 'content-length': tree.br.length, vary: 'Accept-Encoding' }
    return listenHttp((req, res) => {
      res.writeHead(200, headers)
      res.end(tree.br)
    })
  },
}

/** One request, to check what the server answers before loading it. */
function probe(port, path) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': ACCEPT_ENCODING } }, (res) => {
      let length = 0
      res.on('data', (chunk) => (length += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode, encoding: res.headers['content-encoding'] ?? 'identity', length, cacheControl: res.headers['cache-control'] ?? '' }))
    }).on('error', reject)
  })
}

const settings = {
  rounds: Number(option('rounds', 3)),
  connections: Number(option('connections', 10)),
  duration: Number(option('duration', 5)),
  warmup: Number(option('warmup', 1)),
}
const inProcess = flag('in-process')
const only = option('only')?.split(',')
const names = Object.keys(SERVERS).filter((name) => only === undefined || only.includes(name))

const tree = await createTree()
const runs = new Map(names.map((name) => [name, []]))
let failed = false
try {
  for (let round = 1; round <= settings.rounds; round++) {
    for (const name of names) {
      const server = await SERVERS[name](tree)
      try {
        const check = await probe(server.port, tree.path)
        if (check.status !== 200) {
          failed = true
          console.error(`${name}: answered ${check.status}`)
          continue
        }
        const url = `http://127.0.0.1:${server.port}${tree.path}`
        const generate = (duration) => {
          const load = { url, connections: settings.connections, duration }
          return inProcess ? runLoad(load) : loadInChild(load)
        }
        if (settings.warmup > 0) await generate(settings.warmup)
        // Server CPU per request does not depend on how fast the load generator is: on a small or busy machine
        // the generator saturates before a fast server does, and req/s alone would hide the difference.
        const before = process.cpuUsage()
        const result = await generate(settings.duration)
        const cpu = process.cpuUsage(before)
        const serverCpuMicros = inProcess ? undefined : (cpu.user + cpu.system) / Math.max(result.total, 1)
        runs.get(name).push({ name, ...check, ...result, serverCpuMicros })
        if (!flag('json')) process.stderr.write(`  round ${round}/${settings.rounds} ${name}: ${Math.round(result.requestsPerSecond)} req/s\n`)
      } finally {
        await server.close()
      }
    }
  }
} finally {
  await rm(tree.root, { recursive: true, force: true })
}
const median = (list) => [...list].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor((list.length - 1) / 2)]
const rows = names.filter((name) => runs.get(name).length > 0).map((name) => median(runs.get(name)))

const sirv = rows.find((row) => row.name === 'sirv')
if (flag('json')) {
  console.log(JSON.stringify({ settings: { ...settings, inProcess, node: process.version }, sizes: tree.sizes, rows, runs: Object.fromEntries(runs) }, null, 2))
} else {
  const table = rows.map((row) => ({
    server: row.name,
    'req/s': Math.round(row.requestsPerSecond),
    'p99 ms': row.p99,
    'server CPU µs/req': row.serverCpuMicros === undefined ? '-' : row.serverCpuMicros.toFixed(1),
    '× sirv': sirv ? (row.requestsPerSecond / sirv.requestsPerSecond).toFixed(2) : '-',
    encoding: `${row.encoding} (${row.length} B)`,
    'cache-control': row.cacheControl,
    'errors/non-2xx': `${row.errors}/${row.non2xx}`,
  }))
  console.log(
    `\n@convoy/serve benchmark: ${tree.sizes.identity} B CSS (gzip ${tree.sizes.gzip} B, br ${tree.sizes.br} B), ` +
      `Accept-Encoding: ${ACCEPT_ENCODING}, ${settings.connections} connections, ${settings.warmup} s warm-up + ${settings.duration} s, ` +
      `median of ${settings.rounds} round(s), ` +
      `load generator ${inProcess ? 'in the server process' : 'in a child process'}, Node ${process.version}`,
  )
  console.table(table)
}
if (failed || rows.some((row) => row.errors > 0 || row.non2xx > 0)) process.exitCode = 1
