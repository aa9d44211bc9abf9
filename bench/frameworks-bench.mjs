#!/usr/bin/env node
// Requests per second of each Convoy framework adapter against that framework's own static server, each serving
// the same precompressed ~30 KB CSS file (with .gz and .br siblings) on loopback, with the same load generator
// (autocannon in a child process), one server at a time, rounds interleaved; medians of the rounds.
//
//   pnpm build && node bench/frameworks-bench.mjs [--duration 5] [--warmup 1] [--connections 10] [--rounds 3]
//     [--only fastify,hono,koa] [--json]
//
// Pairs: @convoy/fastify vs @fastify/static (preCompressed); @convoy/hono vs @hono/node-server's serveStatic
// (precompressed), both on @hono/node-server; @convoy/koa vs koa-static (its gzip and brotli options serve the
// precompressed siblings). Each framework is imported from the adapter package that has it as a devDependency, so
// both sides of a pair run the very same framework install. Target (DESIGN §11): ≥ 1.5× the framework's own static
// server on req/s, at equal or better p99. Not a test: exits 1 only when a server answered wrongly.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createTree, median, removeTree, runRounds } from './lib/http-bench.mjs'

const root = dirname(dirname(fileURLToPath(import.meta.url)))

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]
}
const flag = (name) => process.argv.includes(`--${name}`)

/** `import(specifier)` as the package `packages/<name>` resolves it (its own devDependencies). */
function importFrom(name) {
  const require = createRequire(join(root, 'packages', name, 'package.json'))
  return async (specifier) => {
    // ESM entry points: resolve the package directory, then let import() read its exports map from there.
    if (specifier.startsWith('@convoy/')) return import(pathToFileURL(join(root, 'packages', specifier.slice('@convoy/'.length), 'dist', 'index.js')).href)
    const [scope, base, ...rest] = specifier.split('/')
    const packageName = scope.startsWith('@') ? `${scope}/${base}` : scope
    const subpath = (scope.startsWith('@') ? rest : [base, ...rest]).filter(Boolean).join('/')
    // Not `require.resolve('x/package.json')`: an exports map (hono's) may not expose it.
    const packageDir = require.resolve.paths(packageName).map((dir) => join(dir, packageName)).find((dir) => existsSync(join(dir, 'package.json')))
    if (packageDir === undefined) throw new Error(`frameworks-bench: ${packageName} is not installed for packages/${name}`)
    const { exports, module, main } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
    const entry = resolveExport(exports, subpath === '' ? '.' : `./${subpath}`) ?? module ?? main ?? 'index.js'
    return import(pathToFileURL(join(packageDir, entry)).href)
  }
}

/** The `import` (else `default`) target of `key` in an exports map. */
function resolveExport(exports, key) {
  if (exports === undefined) return undefined
  let target = typeof exports === 'string' || Array.isArray(exports) || !Object.keys(exports).some((name) => name.startsWith('.')) ? (key === '.' ? exports : undefined) : exports[key]
  while (target !== undefined && typeof target === 'object') target = Array.isArray(target) ? target[0] : (target.import ?? target.node ?? target.default)
  return target
}

const fastifyFrom = importFrom('fastify')
const honoFrom = importFrom('hono')
const koaFrom = importFrom('koa')

async function listenFastify(register) {
  const { default: Fastify } = await fastifyFrom('fastify')
  const app = Fastify({ logger: false })
  await register(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: app.server.address().port, close: () => app.close() }
}

async function listenHono(app) {
  const { serve } = await honoFrom('@hono/node-server')
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ port: info.port, close: () => new Promise((done) => (server.closeAllConnections?.(), server.close(done))) }),
    )
  })
}

async function listenKoa(app) {
  // Streams cut when the load generator closes its connections at the end are not findings: no log per cut.
  app.silent = true
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, close: () => new Promise((done) => (server.closeAllConnections(), server.close(done))) }),
    )
  })
}

const PAIRS = {
  fastify: {
    ours: '@convoy/fastify',
    theirs: '@fastify/static',
    async '@convoy/fastify'(tree) {
      const { convoyStatic } = await fastifyFrom('@convoy/fastify')
      return listenFastify((app) => app.register(convoyStatic, { root: tree.root, prefix: '/' }))
    },
    async '@fastify/static'(tree) {
      const { default: fastifyStatic } = await fastifyFrom('@fastify/static')
      return listenFastify((app) => app.register(fastifyStatic, { root: tree.root, preCompressed: true }))
    },
  },
  hono: {
    ours: '@convoy/hono',
    theirs: 'hono serveStatic',
    async '@convoy/hono'(tree) {
      const { Hono } = await honoFrom('hono')
      const { serveStatic } = await honoFrom('@convoy/hono')
      const app = new Hono()
      const assets = serveStatic({ root: tree.root, prefix: '/' })
      await assets.ready
      app.use('*', assets)
      return listenHono(app)
    },
    async 'hono serveStatic'(tree) {
      const { Hono } = await honoFrom('hono')
      const { serveStatic } = await honoFrom('@hono/node-server/serve-static')
      const app = new Hono()
      // Its root is taken relative to the working directory.
      app.use('*', serveStatic({ root: relative(process.cwd(), tree.root), precompressed: true }))
      return listenHono(app)
    },
  },
  koa: {
    ours: '@convoy/koa',
    theirs: 'koa-static',
    async '@convoy/koa'(tree) {
      const { default: Koa } = await koaFrom('koa')
      const { serveStatic } = await koaFrom('@convoy/koa')
      const app = new Koa()
      const assets = serveStatic({ root: tree.root, prefix: '/' })
      await assets.ready
      app.use(assets)
      return listenKoa(app)
    },
    async 'koa-static'(tree) {
      const { default: Koa } = await koaFrom('koa')
      const { default: koaStatic } = await koaFrom('koa-static')
      const app = new Koa()
      app.use(koaStatic(tree.root, { gzip: true, brotli: true }))
      return listenKoa(app)
    },
  },
}

const settings = {
  rounds: Number(option('rounds', 3)),
  connections: Number(option('connections', 10)),
  duration: Number(option('duration', 5)),
  warmup: Number(option('warmup', 1)),
}
const only = option('only')?.split(',')
const frameworks = Object.keys(PAIRS).filter((name) => only === undefined || only.includes(name))

const tree = await createTree()
const results = []
const failures = []
try {
  for (const framework of frameworks) {
    const { ours, theirs } = PAIRS[framework]
    const servers = { [ours]: PAIRS[framework][ours], [theirs]: PAIRS[framework][theirs] }
    // Both must send the brotli sibling: a pair where one side sent identity bytes would compare nothing.
    const check = (_name, answer) => (answer.encoding === 'br' ? undefined : `sent ${answer.encoding}, not the brotli sibling`)
    const { runs, failures: failed } = await runRounds(servers, tree, { ...settings, quiet: flag('json'), check })
    failures.push(...failed)
    const mine = runs.get(ours).length > 0 ? median(runs.get(ours)) : undefined
    const baseline = runs.get(theirs).length > 0 ? median(runs.get(theirs)) : undefined
    results.push({ framework, ours: mine, theirs: baseline, ratio: mine && baseline ? mine.requestsPerSecond / baseline.requestsPerSecond : undefined })
  }
} finally {
  await removeTree(tree)
}

if (flag('json')) {
  console.log(JSON.stringify({ settings: { ...settings, node: process.version }, sizes: tree.sizes, results, failures }, null, 2))
} else {
  console.log(
    `\nFramework adapters vs their frameworks' static servers: ${tree.sizes.identity} B CSS (br ${tree.sizes.br} B), ${settings.connections} connections, ` +
      `${settings.warmup} s warm-up + ${settings.duration} s, median of ${settings.rounds} interleaved round(s), Node ${process.version}`,
  )
  const rows = []
  for (const { framework, ours, theirs, ratio } of results) {
    for (const row of [ours, theirs]) {
      if (row === undefined) continue
      rows.push({ framework, server: row.name, 'req/s': Math.round(row.requestsPerSecond), 'p99 ms': row.p99, 'server CPU µs/req': row.serverCpuMicros?.toFixed(1) ?? '-', '× theirs': row === ours && ratio ? ratio.toFixed(2) : '' })
    }
  }
  console.table(rows)
  for (const { framework, ours, theirs, ratio } of results) {
    if (ours && theirs) {
      const met = ratio >= 1.5 && ours.p99 <= theirs.p99
      console.log(`${framework}: ${ratio.toFixed(2)}× req/s, p99 ${ours.p99} vs ${theirs.p99} ms — target ≥ 1.5× at equal or better p99: ${met ? 'met' : 'NOT met'}`)
    }
  }
}
for (const failure of failures) console.error(failure)
if (failures.length > 0) process.exitCode = 1
