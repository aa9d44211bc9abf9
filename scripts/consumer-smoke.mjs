#!/usr/bin/env node
// The newcomer's path, outside the workspace: packs every publishable package, creates a fresh project in the system's
// temporary directory (`npm init -y`), installs @convoy/core and @convoy/serve from the tarballs with plain npm (every
// other @convoy/* package pinned to its tarball through npm `overrides`, so nothing comes from the registry's copies
// or from workspace links), writes a small static folder and follows the root README's quick start: `convoy collect`,
// `convoy ls`, `createConvoy({ manifest })` + `convoy.url()`, and `serveStatic` from @convoy/serve on node:http. The
// served CSS must come back brotli-encoded, immutable and byte-equal to the minified file. Build first (`pnpm build`);
// npm fetches the third-party dependencies from the registry.
//
// Usage: node scripts/consumer-smoke.mjs [--keep]
//   --keep  leave the temporary project in place (its path is printed) to look at it
// Exit codes: 0 the quick start works, 1 a step failed (named, with its output), 2 the smoke test cannot run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, posix, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { brotliDecompressSync } from 'node:zlib'
import { formatBytes, packPackages, publishablePackages, tarballOverrides } from './lib/pack.mjs'
import { commandLine, failure, onInterrupt, outsideEnv, run, start, tail, terminate } from './lib/run.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** What a newcomer installs for the quick start: the CLI and runtime, and the static file server. */
const DIRECT = ['@convoy/core', '@convoy/serve']

/**
 * Where the root README's quick start collects to (`--out`, on `collect` and on `ls`), and so the manifest path it
 * gives createConvoy() and the directory serveStatic serves. Keep it equal to the README's.
 */
const OUT = 'public/static'

/** The static folder of the quick start: a stylesheet referencing an image, a script, the image. */
const STATIC_FILES = {
  'css/base.css': '/* Base styles */\nbody {\n  margin: 0;\n  background: url(../img/logo.svg) no-repeat;\n}\n',
  'js/app.js': '// The app\nexport function greet(name) {\n  const greeting = `Hello, ${name}!`\n  return greeting\n}\n',
  'img/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="#0a7"/></svg>\n',
}

/** clean-css (level 1) of css/base.css, with the image reference rewritten to `logo`'s served name. */
const minifiedCss = (logo) => `body{margin:0;background:url(${logo}) no-repeat}`

/**
 * The runtime half of the quick start, run with node inside the consumer project (so it resolves @convoy/* from its
 * node_modules): the README's createConvoy() call, then the serve README's node:http server on 127.0.0.1, port 0.
 * Its first stdout line is JSON: the port and the URLs the runtime gave.
 */
const APP = (out) => `import { createServer } from 'node:http'
import { createConvoy } from '@convoy/core'
import { serveStatic } from '@convoy/serve'

const convoy = await createConvoy({ manifest: '${out}/convoy-manifest.json', baseUrl: '/static/' })
const urls = { css: convoy.url('css/base.css'), js: convoy.url('js/app.js'), logo: convoy.url('img/logo.svg') }

const assets = serveStatic({ root: '${out}', prefix: '/static/' })
await assets.ready

const server = createServer((req, res) => {
  assets(req, res, () => {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('Not found')
  })
})
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port, ...urls }))
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
`

class StepError extends Error {}

let stepNumber = 0
const STEPS = 9

/** Runs one numbered step, printing what it does, how long it took and the summary `action` resolves; a failure names the step. */
async function step(title, action) {
  stepNumber++
  const label = `[${stepNumber}/${STEPS}] ${title}`
  console.log(`consumer-smoke: ${label}`)
  const started = performance.now()
  try {
    const detail = await action()
    console.log(`consumer-smoke:   ok (${((performance.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`)
  } catch (error) {
    throw new StepError(`${label} failed: ${error.message}`, { cause: error })
  }
}

/** Runs a command in the consumer project; fails with its output when it exits non-zero or times out. */
async function inProject(project, env, command, args, timeoutMs) {
  const result = await run(command, args, { cwd: project, env, timeoutMs })
  if (result.code !== 0 || result.timedOut) throw new Error(failure(result, command, args, { cwd: project, timeoutMs }))
  return result
}

/** Resolves the first line `child` prints on stdout; rejects on exit, or after `timeoutMs`, with its stderr. */
function firstLine(child, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => finish(new Error(`printed no line within ${timeoutMs / 1000} s${stderr ? `:\n${tail(stderr)}` : ''}`)), timeoutMs)
    const onData = (chunk) => {
      stdout += chunk
      const end = stdout.indexOf('\n')
      if (end !== -1) finish(null, stdout.slice(0, end))
    }
    const onStderr = (chunk) => (stderr += chunk)
    const onClose = (code, signal) => finish(new Error(`exited (${signal ?? `code ${code}`}) before printing a line${stderr || stdout ? `:\n${tail(`${stdout}\n${stderr}`)}` : ''}`))
    function finish(error, line) {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('close', onClose)
      if (error) reject(error)
      else resolvePromise(line)
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onStderr)
    child.once('close', onClose)
  })
}

/** GET `path` on 127.0.0.1:`port` with `headers`: `{ status, headers, body }` (raw bytes, not decoded). */
function request(port, path, headers, timeoutMs = 10_000) {
  return new Promise((resolvePromise, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${path} got no answer within ${timeoutMs / 1000} s`)))
    req.on('error', reject)
  })
}

/** Throws `message` (with what was expected and found) unless `ok`. */
function expect(ok, message) {
  if (!ok) throw new Error(message)
}

/** Stops the app server: SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
function stopServer(server) {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve()
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => terminate(server, 'SIGKILL'), 5_000)
    server.once('close', () => {
      clearTimeout(timer)
      resolvePromise()
    })
    terminate(server, 'SIGTERM')
  })
}

async function main(argv) {
  const unknown = argv.filter((arg) => arg !== '--keep')
  if (unknown.length > 0) {
    console.error(`consumer-smoke: unknown argument ${unknown.join(' ')} (usage: node scripts/consumer-smoke.mjs [--keep])`)
    return 2
  }
  const keep = argv.includes('--keep')
  const temp = mkdtempSync(join(tmpdir(), 'convoy-smoke-'))
  const fromRoot = relative(root, temp)
  if (fromRoot === '' || (!fromRoot.startsWith('..') && !isAbsolute(fromRoot))) {
    rmSync(temp, { recursive: true, force: true })
    console.error(`consumer-smoke: the temporary directory ${temp} is inside the workspace ${root}: set TMPDIR to a directory outside it`)
    return 2
  }
  const tarballs = join(temp, 'tarballs')
  const project = join(temp, 'app')
  mkdirSync(tarballs)
  mkdirSync(project)
  const env = outsideEnv(process.env, root)
  let server
  const cleanup = () => {
    if (server) terminate(server, 'SIGKILL')
    if (keep) console.error(`consumer-smoke: kept ${project}`)
    else rmSync(temp, { recursive: true, force: true })
  }
  const stopListening = onInterrupt(cleanup)
  const started = performance.now()
  try {
    let packed
    await step(`pack every publishable package with pnpm pack → ${tarballs}`, async () => {
      const results = await packPackages(root, publishablePackages(root), tarballs, { concurrency: 2 })
      const errors = results.filter((result) => result.error).map((result) => result.error.message)
      if (errors.length > 0) throw new Error(errors.join('\n'))
      packed = results.map((result) => result.packed)
      const missing = DIRECT.filter((name) => !packed.some((pkg) => pkg.name === name))
      if (missing.length > 0) throw new Error(`${missing.join(', ')}: not publishable packages of the workspace`)
      return `${packed.length} tarballs, ${formatBytes(packed.reduce((sum, { bytes }) => sum + bytes, 0))}`
    })

    await step(`npm init -y (in ${project})`, async () => {
      await inProject(project, env, 'npm', ['init', '-y'], 60_000)
    })

    const direct = DIRECT.map((name) => packed.find((pkg) => pkg.name === name))
    const overrides = tarballOverrides(packed, DIRECT)
    await step(`npm install ${DIRECT.join(' ')} from their tarballs (${Object.keys(overrides).length} other @convoy/* packages as overrides)`, async () => {
      const file = join(project, 'package.json')
      const manifest = JSON.parse(readFileSync(file, 'utf8'))
      writeFileSync(file, `${JSON.stringify({ ...manifest, overrides }, null, 2)}\n`)
      const args = ['install', '--no-audit', '--no-fund', '--loglevel=error', ...direct.map(({ tarball }) => tarball)]
      await inProject(project, env, 'npm', args, 300_000)
      // Every @convoy/* package in the tree must come from a tarball of this tree, none from the registry.
      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'))
      const convoy = Object.entries(lock.packages ?? {}).filter(([path]) => /(^|\/)node_modules\/@convoy\//.test(path))
      const foreign = convoy.filter(([, entry]) => !String(entry.resolved ?? '').startsWith('file:'))
      expect(foreign.length === 0, `installed from elsewhere than the tarballs: ${foreign.map(([path, entry]) => `${path} (${entry.resolved})`).join(', ')}`)
      return `${convoy.length} @convoy/* packages, all from the tarballs`
    })

    await step('write static/ (css/base.css with url(../img/logo.svg), js/app.js, img/logo.svg)', async () => {
      for (const [path, text] of Object.entries(STATIC_FILES)) {
        const file = join(project, 'static', ...path.split('/'))
        mkdirSync(dirname(file), { recursive: true })
        writeFileSync(file, text)
      }
    })

    // `npx --no`: the convoy binary of the project's own node_modules, never a download of another package.
    const collectArgs = ['--no', 'convoy', 'collect', '--source', 'static', '--out', OUT]
    await step(commandLine('npx', collectArgs.filter((arg) => arg !== '--no')), async () => {
      const result = await inProject(project, env, 'npx', collectArgs, 120_000)
      console.log(result.stdout.replace(/\s+$/, '').replace(/^/gm, '    '))
      expect(existsSync(join(project, ...OUT.split('/'), 'convoy-manifest.json')), `${OUT}/convoy-manifest.json was not written`)
    })

    // ls finds the storage as collect does, so it needs the same --out.
    const lsArgs = ['--no', 'convoy', 'ls', '--out', OUT]
    await step(commandLine('npx', lsArgs.filter((arg) => arg !== '--no')), async () => {
      const result = await inProject(project, env, 'npx', lsArgs, 60_000)
      console.log(result.stdout.replace(/\s+$/, '').replace(/^/gm, '    '))
      for (const path of Object.keys(STATIC_FILES)) expect(result.stdout.includes(path), `convoy ls does not list ${path}`)
    })

    let urls
    await step('node app.mjs: createConvoy({ manifest }) + convoy.url(), serveStatic on node:http at 127.0.0.1', async () => {
      writeFileSync(join(project, 'app.mjs'), APP(OUT))
      server = start(process.execPath, ['app.mjs'], { cwd: project, env })
      const line = await firstLine(server, 30_000)
      let printed
      try {
        printed = JSON.parse(line)
      } catch {
        throw new Error(`app.mjs printed ${JSON.stringify(line)}, not its JSON line`)
      }
      expect(/^\/static\/css\/base\.[0-9a-f]{12}\.cmin\.css$/.test(printed.css), `convoy.url('css/base.css') is ${JSON.stringify(printed.css)}, expected /static/css/base.<12 hex>.cmin.css`)
      expect(/^\/static\/img\/logo\.[0-9a-f]{12}\.svg$/.test(printed.logo), `convoy.url('img/logo.svg') is ${JSON.stringify(printed.logo)}, expected /static/img/logo.<12 hex>.svg`)
      urls = printed
      return `port ${urls.port}; convoy.url('css/base.css') = ${urls.css}`
    })

    let css
    await step(`GET ${urls.css} (Accept-Encoding: br, gzip)`, async () => {
      const res = await request(urls.port, urls.css, { 'accept-encoding': 'br, gzip' })
      expect(res.status === 200, `status ${res.status}, expected 200: ${res.body.toString('utf8').slice(0, 200)}`)
      expect(res.headers['content-encoding'] === 'br', `Content-Encoding is ${JSON.stringify(res.headers['content-encoding'])}, expected "br"`)
      expect(/\bimmutable\b/.test(res.headers['cache-control'] ?? ''), `Cache-Control is ${JSON.stringify(res.headers['cache-control'])}, expected an immutable one`)
      expect(/\baccept-encoding\b/i.test(res.headers.vary ?? ''), `Vary is ${JSON.stringify(res.headers.vary)}, expected Accept-Encoding`)
      expect(/^text\/css\b/.test(res.headers['content-type'] ?? ''), `Content-Type is ${JSON.stringify(res.headers['content-type'])}, expected text/css`)
      let body
      try {
        body = brotliDecompressSync(res.body).toString('utf8')
      } catch (error) {
        throw new Error(`the body is not brotli-encoded: ${error.message}`)
      }
      const onDisk = readFileSync(join(project, ...OUT.split('/'), ...urls.css.slice('/static/'.length).split('/')), 'utf8')
      expect(body === onDisk, `the decoded body differs from the served file on disk:\n    got      ${JSON.stringify(body)}\n    on disk  ${JSON.stringify(onDisk)}`)
      const expected = minifiedCss(posix.relative('/static/css', urls.logo))
      expect(body === expected, `the decoded body is not the minified CSS:\n    got      ${JSON.stringify(body)}\n    expected ${JSON.stringify(expected)}`)
      css = body
      return `200, br, ${res.headers['cache-control']}, ${res.body.length} B → ${JSON.stringify(body)}`
    })

    await step('GET the image the served CSS references (resolved against the CSS URL)', async () => {
      const reference = /url\(([^)]+)\)/.exec(css)?.[1]
      expect(reference !== undefined, `the served CSS has no url(): ${css}`)
      const logo = new URL(reference, `http://127.0.0.1${urls.css}`).pathname
      const res = await request(urls.port, logo, {})
      expect(res.status === 200, `GET ${logo}: status ${res.status}, expected 200`)
      expect(/^image\/svg\+xml\b/.test(res.headers['content-type'] ?? ''), `GET ${logo}: Content-Type is ${JSON.stringify(res.headers['content-type'])}, expected image/svg+xml`)
      expect(res.body.toString('utf8') === STATIC_FILES['img/logo.svg'], `GET ${logo}: the body is not img/logo.svg`)
      return `${logo}: 200, ${res.headers['content-type']}`
    })

    await stopServer(server)
    console.log(`consumer-smoke: OK, the README quick start works from the packed tarballs (${((performance.now() - started) / 1000).toFixed(1)} s)`)
    return 0
  } catch (error) {
    if (!(error instanceof StepError)) throw error
    console.error(`consumer-smoke: ${error.message}`)
    return 1
  } finally {
    if (server) await stopServer(server)
    cleanup()
    stopListening()
  }
}

process.exitCode = await main(process.argv.slice(2))
