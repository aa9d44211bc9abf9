// `convoy collect` with a config file that names createS3Storage, run as a user runs it: node on core's built CLI.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createS3Storage } from './index.js'
import { BUCKET, CREDENTIALS, createTestClient, startS3Server, type TestS3Server, uniquePrefix } from './test/s3-server.js'

const packageDirectory = dirname(dirname(fileURLToPath(import.meta.url)))
const cli = join(dirname(createRequire(import.meta.url).resolve('@convoy/core/package.json')), 'dist', 'cli.js')

let server: TestS3Server
let work: string

beforeAll(async () => {
  server = await startS3Server()
  // Inside the package, so the config file's `import '@convoy/storage-s3'` resolves (to this package's dist).
  work = await mkdtemp(join(packageDirectory, '.tmp-cli-test-'))
})

afterAll(async () => {
  await server?.dispose()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI without blocking this process, which serves S3 to it. */
function convoy(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: work, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

async function writeFiles(root: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), body)
  }
}

it('collects to S3 from a config file, fails with exit code 1 when the server goes away midway, and completes later', async () => {
  const prefix = uniquePrefix('cli')
  const source = join(work, 'static')
  await writeFiles(source, {
    'css/site.css': `body { background: url(../img/dot.svg) }\n${'.a { color: red }\n'.repeat(40)}`,
    'img/dot.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>\n',
    'js/app.js': `${'console.log("convoy")\n'.repeat(40)}`,
  })
  const config = join(work, 'convoy.config.mjs')
  await writeFile(
    config,
    [
      "import { defineConfig } from '@convoy/core'",
      "import { createS3Storage } from '@convoy/storage-s3'",
      '',
      'export default defineConfig({',
      `  storage: createS3Storage(${JSON.stringify({ bucket: BUCKET, prefix, region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: CREDENTIALS })}),`,
      '})',
      '',
    ].join('\n'),
  )
  const storage = createS3Storage({ bucket: BUCKET, prefix, client: createTestClient(server).client })

  const first = await convoy(['collect', '--config', config, '--source', source])
  expect(first.stderr).toBe('')
  expect(first.code).toBe(0)
  expect(first.stdout).toContain(`s3://${BUCKET}/${prefix}`)
  const published = Buffer.from((await storage.read('convoy-manifest.json'))!)
  const files = (JSON.parse(published.toString('utf8')) as { files: Record<string, { served: string }> }).files
  expect(Object.keys(files).sort()).toEqual(['css/site.css', 'img/dot.svg', 'js/app.js'])
  for (const { served } of Object.values(files)) expect(await storage.exists(served), served).toBe(true)

  // 120 new files; the server stops as the 30th upload arrives.
  const more: Record<string, string> = {}
  for (let index = 0; index < 120; index++) more[`data/part-${index}.txt`] = `part ${index}\n`
  await writeFiles(source, more)
  let puts = 0
  server.onRequest = (request) => {
    if (request.method === 'PUT' && ++puts === 30) void server.stop()
  }
  const broken = await convoy(['collect', '--config', config, '--source', source])
  server.onRequest = undefined
  expect(broken.code).toBe(1)
  expect(broken.stderr).toMatch(/^convoy: collect failed with \d+ errors?; nothing was published \(the previous manifest is still in force\):\n/)
  expect(broken.stderr).toMatch(new RegExp(`@convoy/storage-s3: cannot write \\S+ to s3://${BUCKET}/${prefix}: (connect ECONNREFUSED|socket hang up|read ECONNRESET)`))

  await server.restart()
  expect(Buffer.from((await storage.read('convoy-manifest.json'))!).equals(published), 'the previous manifest is untouched').toBe(true)
  for (const { served } of Object.values(files)) expect(await storage.exists(served), served).toBe(true)

  const resumed = await convoy(['collect', '--config', config, '--source', source])
  expect(resumed.code).toBe(0)
  const manifest = JSON.parse(Buffer.from((await storage.read('convoy-manifest.json'))!).toString('utf8')) as { files: Record<string, { served: string }> }
  expect(Object.keys(manifest.files)).toHaveLength(123)
  for (const { served } of Object.values(manifest.files)) expect(await storage.exists(served), served).toBe(true)

  // No server at all: the first request fails, with the reason.
  await server.stop()
  const down = await convoy(['collect', '--config', config, '--source', source])
  await server.restart()
  expect(down.code).toBe(1)
  expect(down.stderr).toBe(`convoy: @convoy/storage-s3: cannot read convoy-manifest.json from s3://${BUCKET}/${prefix}: connect ECONNREFUSED 127.0.0.1:${server.port} (key ${prefix}/convoy-manifest.json, 5 attempts)\n`)
}, 120_000)
