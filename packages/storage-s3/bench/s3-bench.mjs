#!/usr/bin/env node
// Publishing to S3: objects per second for a cold publish and the time of a publish with nothing changed, against a
// local S3-compatible server (s3rver, in its own process so it does not share our event loop).
// Run from packages/storage-s3 after `pnpm build` (and `pnpm turbo run build --filter=@convoy/core` at the root):
//   node bench/s3-bench.mjs [--files 400] [--runs 5]
// Not a test: it prints numbers. They measure this storage plus s3rver, a Node server that writes every object to
// disk; a real S3 endpoint has more latency per request and more parallelism behind it.
import { fork } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { S3Client } from '@aws-sdk/client-s3'
import { collect } from '@convoy/core/collect'
import { createS3Storage } from '../dist/index.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const { values } = parseArgs({ options: { files: { type: 'string', default: '400' }, runs: { type: 'string', default: '5' } } })
const FILES = Number(values.files)
const RUNS = Number(values.runs)
const BUCKET = 'convoy-bench'
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

const SERVER = `
import S3rver from 's3rver'
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: process.env.BENCH_S3_DIRECTORY, silent: true, configureBuckets: [{ name: '${BUCKET}', configs: [] }] })
const { port } = await server.run()
process.send(port)
`

async function startServer(directory) {
  const child = fork('--input-type=module', [], {
    execArgv: ['--openssl-legacy-provider', '--input-type=module', '-e', SERVER],
    cwd: dirname(new URL(import.meta.url).pathname),
    env: { ...process.env, BENCH_S3_DIRECTORY: directory },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`the S3 server exited (${code})`)))
  })
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() }
}

function countingClient(endpoint) {
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  const counts = new Map()
  client.middlewareStack.add((next, context) => (args) => {
    counts.set(context.commandName, (counts.get(context.commandName) ?? 0) + 1)
    return next(args)
  }, { step: 'initialize', name: 'benchCount' })
  return { client, counts }
}

/** A tree of FILES files: CSS, JS, SVG and binary images of a few kB each, all distinct. */
async function makeTree(root) {
  for (let index = 0; index < FILES; index++) {
    const kind = ['css', 'js', 'svg', 'png'][index % 4]
    const path = join(root, kind, `file-${index}.${kind}`)
    const body =
      kind === 'css' ? `.c${index} { color: #${(index * 97).toString(16).padStart(6, '0')} }\n`.repeat(40)
      : kind === 'js' ? `export const v${index} = ${index}\n`.repeat(100)
      : kind === 'svg' ? `<svg xmlns="http://www.w3.org/2000/svg"><text>${index}</text></svg>\n`.repeat(10)
      : Buffer.alloc(4096, index % 251)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, body)
  }
}

const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]

const work = await mkdtemp(join(tmpdir(), 'convoy-s3-bench-'))
const server = await startServer(join(work, 's3'))
try {
  const source = join(work, 'static')
  await makeTree(source)
  const rows = []

  // 1. Publish through collect(): originals and fingerprinted copies (no minify/compress: this measures the storage).
  const prefix = 'site'
  const cold = countingClient(server.endpoint)
  const started = performance.now()
  const report = await collect({ sources: [source], storage: createS3Storage({ bucket: BUCKET, prefix, client: cold.client }), stages: [] })
  if (report.unchanged !== 0) throw new Error(`a cold publish found ${report.unchanged} objects already there`)
  const coldSeconds = (performance.now() - started) / 1000
  rows.push([`cold publish, ${FILES} files`, `${report.written} objects`, `${coldSeconds.toFixed(2)} s`, `${Math.round(report.written / coldSeconds)} objects/s`])

  const warmTimes = []
  let warmRequests = ''
  for (let run = 0; run < RUNS; run++) {
    const warm = countingClient(server.endpoint)
    const begin = performance.now()
    const again = await collect({ sources: [source], storage: createS3Storage({ bucket: BUCKET, prefix, client: warm.client }), stages: [] })
    warmTimes.push((performance.now() - begin) / 1000)
    if (again.written !== 0) throw new Error(`a no-change publish wrote ${again.written} objects`)
    warmRequests = [...warm.counts].map(([name, count]) => `${count} ${name.replace(/Command$/, '')}`).join(', ')
  }
  const warmSeconds = median(warmTimes)
  rows.push([`no-change publish (median of ${RUNS})`, warmRequests, `${warmSeconds.toFixed(3)} s`, `${((warmSeconds / coldSeconds) * 100).toFixed(1)}% of cold`])

  // 2. Raw writes of 4 kB objects at several concurrency settings.
  const body = Buffer.alloc(4096, 7)
  for (const concurrency of [1, 4, 16, 32]) {
    const storage = createS3Storage({ bucket: BUCKET, prefix: `raw-${concurrency}`, client: countingClient(server.endpoint).client, concurrency })
    const count = concurrency === 1 ? 200 : 800
    const begin = performance.now()
    await Promise.all(Array.from({ length: count }, (_, index) => storage.write(`o/${index}.bin`, body, { cacheControl: 'public, max-age=31536000, immutable' })))
    const seconds = (performance.now() - begin) / 1000
    rows.push([`storage.write × ${count}, concurrency ${concurrency}`, '4 kB each', `${seconds.toFixed(2)} s`, `${Math.round(count / seconds)} objects/s`])
  }

  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '))
} finally {
  server.stop()
  await rm(work, { recursive: true, force: true })
}
