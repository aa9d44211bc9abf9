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
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ACCEPT_ENCODING, createTree, listenHttp, median, notFound, removeTree, runRounds } from '../../../bench/lib/http-bench.mjs'

const here = dirname(fileURLToPath(import.meta.url))

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]
}
const flag = (name) => process.argv.includes(`--${name}`)

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
let runs
let failed = false
try {
  const chosen = Object.fromEntries(names.map((name) => [name, SERVERS[name]]))
  const result = await runRounds(chosen, tree, { ...settings, inProcess, quiet: flag('json') })
  runs = result.runs
  for (const failure of result.failures) console.error(failure)
  failed = result.failures.length > 0
} finally {
  await removeTree(tree)
}
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
