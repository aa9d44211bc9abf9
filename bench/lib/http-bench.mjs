// What the serving benchmarks share (packages/serve/bench/serve-bench.mjs, bench/frameworks-bench.mjs): one
// collected-looking tree with a precompressed ~30 KB stylesheet, the load generator (autocannon, in a child process
// so it does not share the server's event loop), and interleaved rounds with medians.
//
// Run as a script (`node bench/lib/http-bench.mjs --load --url U --connections N --duration S`), it is that child:
// it loads one URL and prints the result as JSON.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, get } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

export const ACCEPT_ENCODING = 'gzip, deflate, br'

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]
}

// autocannon is a devDependency of @convoy/serve; resolved from there whichever script imports this file.
const requireFromServe = createRequire(new URL('../../packages/serve/package.json', import.meta.url))

export async function runLoad({ url, connections, duration }) {
  const autocannon = requireFromServe('autocannon')
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

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--load')) {
  const result = await runLoad({ url: option('url'), connections: Number(option('connections')), duration: Number(option('duration')) })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}

/** Runs the load against `settings.url` in a child process; resolves with its result. */
export function loadInChild(settings) {
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
export async function createTree() {
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

export const notFound = (res) => {
  res.statusCode = 404
  res.end('not found')
}

export function listenHttp(handler) {
  const server = createServer(handler)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, close: () => new Promise((done) => (server.closeAllConnections(), server.close(done))) }),
    ),
  )
}

/** One request, to check what the server answers before loading it. */
export function probe(port, path) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': ACCEPT_ENCODING } }, (res) => {
      let length = 0
      res.on('data', (chunk) => (length += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode, encoding: res.headers['content-encoding'] ?? 'identity', length, cacheControl: res.headers['cache-control'] ?? '' }))
    }).on('error', reject)
  })
}

/** The run whose req/s is the median of `list`. */
export const median = (list) => [...list].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor((list.length - 1) / 2)]

/**
 * Runs every server of `servers` (name → async (tree) => { port, close }) once per round, in turn, so a burst of load
 * from elsewhere hits all of them alike; returns the runs by name. `check(name, probe)` may refuse a server's answer
 * (it is then reported and not loaded).
 */
export async function runRounds(servers, tree, { rounds, connections, duration, warmup, inProcess = false, quiet = false, check }) {
  const names = Object.keys(servers)
  const runs = new Map(names.map((name) => [name, []]))
  const failures = []
  for (let round = 1; round <= rounds; round++) {
    for (const name of names) {
      const server = await servers[name](tree)
      try {
        const answer = await probe(server.port, tree.path)
        const problem = answer.status !== 200 ? `answered ${answer.status}` : check?.(name, answer)
        if (problem) {
          failures.push(`${name}: ${problem}`)
          continue
        }
        const url = `http://127.0.0.1:${server.port}${tree.path}`
        const generate = (seconds) => {
          const load = { url, connections, duration: seconds }
          return inProcess ? runLoad(load) : loadInChild(load)
        }
        if (warmup > 0) await generate(warmup)
        // Server CPU per request does not depend on how fast the load generator is: on a small or busy machine
        // the generator saturates before a fast server does, and req/s alone would hide the difference.
        const before = process.cpuUsage()
        const result = await generate(duration)
        const cpu = process.cpuUsage(before)
        const serverCpuMicros = inProcess ? undefined : (cpu.user + cpu.system) / Math.max(result.total, 1)
        runs.get(name).push({ name, ...answer, ...result, serverCpuMicros })
        if (!quiet) process.stderr.write(`  round ${round}/${rounds} ${name}: ${Math.round(result.requestsPerSecond)} req/s\n`)
      } finally {
        await server.close()
      }
    }
  }
  return { runs, failures }
}

export async function removeTree(tree) {
  await rm(tree.root, { recursive: true, force: true })
}
