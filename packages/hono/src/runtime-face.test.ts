// The built package runs on Web Request/Response only: serving, compressing and resolving load no node:http,
// node:https or node:http2 (which runtimes such as workerd and Deno Deploy do not have). Node's own Request and
// Response load node:http internally on some lines; the recorder sees only what user code (ours, hono's) asks for.
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createFixture, type Fixture } from '@convoy/adapter-test-suite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const recorder = fileURLToPath(new URL('./fixtures/record-imports.mjs', import.meta.url))
/** A log line asking for one of the HTTP servers/clients: `import http file:///…`, `require https /…`. */
const HTTP_MODULES = /^\S+ (?:http|https|http2|_http_\w+) /

let fixture: Fixture
beforeAll(async () => {
  fixture = await createFixture()
})
afterAll(async () => {
  await fixture?.cleanup()
})

/**
 * Runs `script` as ESM in a fresh Node from this package (so `@convoy/hono` is the built package). Returns what it
 * left in `globalThis.output`, the built-in modules the process loaded (`process.moduleLoadList`), and the recorder's
 * log of the built-ins user code asked for.
 */
async function run(script: string): Promise<{ output: unknown; builtins: string[]; asked: string[] }> {
  const directory = await mkdtemp(join(tmpdir(), 'convoy-hono-imports-'))
  try {
    const log = join(directory, 'imports.log')
    const wrapped = `${script}\nprocess.stdout.write(JSON.stringify({ output: globalThis.output, builtins: process.moduleLoadList.filter((name) => name.startsWith('NativeModule ')) }))`
    const result = spawnSync(process.execPath, ['--import', recorder, '--input-type=module', '-e', wrapped], {
      cwd: packageDirectory,
      env: { ...process.env, CONVOY_IMPORT_LOG: log, FIXTURE_ROOT: fixture.root, BIG: fixture.paths.big, SERVED: fixture.paths.served },
      encoding: 'utf8',
    })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const asked = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '')
    return { ...(JSON.parse(result.stdout) as { output: unknown; builtins: string[] }), asked }
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

describe('the runtime path', () => {
  it('serveStatic, compress, convoy() and the JSX components load no node:http, node:https or node:http2', async () => {
    const { output, builtins, asked } = await run(`
      const { serveStatic, compress, convoy } = await import('@convoy/hono')
      const { ConvoyCss } = await import('@convoy/hono/jsx')
      const { Hono } = await import('hono')
      const assets = serveStatic({ root: process.env.FIXTURE_ROOT, prefix: '/static/' })
      await assets.ready
      const app = new Hono()
      app.use(compress())
      app.use('/static/*', assets)
      app.use(convoy({ url: (path) => '/static/' + path, integrity: () => '', carpool: (kind, paths) => paths.join(' ') }))
      app.get('/', (c) => c.html(c.var.convoy.url('a.css') + ConvoyCss({ paths: ['b.css'], convoy: c.var.convoy }) + '<p>page</p>'.repeat(500)))
      const page = await app.request('/', { headers: { 'accept-encoding': 'br' } })
      const served = await app.request('/static/' + process.env.SERVED, { headers: { 'accept-encoding': 'gzip' } })
      const big = await app.request('/static/' + process.env.BIG)
      globalThis.output = [
        page.headers.get('content-encoding'), (await page.arrayBuffer()).byteLength > 0,
        served.headers.get('content-encoding'), (await served.arrayBuffer()).byteLength > 0,
        big.status, (await big.arrayBuffer()).byteLength,
      ]
      assets.close()
    `)
    // It did the work: a brotli page (node:zlib), a precompressed file, a streamed one.
    expect(output).toEqual(['br', true, 'gzip', true, 200, fixture.files.get(fixture.paths.big)?.length])
    expect(builtins).toContain('NativeModule zlib')
    expect(asked.some((line) => line.startsWith('getBuiltinModule zlib '))).toBe(true)
    expect(asked.filter((line) => HTTP_MODULES.test(line))).toEqual([])
  })

  it('the recorder sees node:http when a package asks for it (so the check above can fail)', async () => {
    const { asked } = await run(`await import('@hono/node-server'); (await import('node:module')).createRequire(import.meta.url)('node:https')`)
    const http = asked.filter((line) => HTTP_MODULES.test(line))
    expect(http.some((line) => /^import http .*@hono[\\/]node-server[\\/]/.test(line))).toBe(true)
    expect(http.some((line) => line.startsWith('require https '))).toBe(true)
  })
})
