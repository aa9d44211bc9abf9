// Deploy deltas in a real Chromium (Compression Dictionary Transport, RFC 9842): deploy v1, load the home page,
// deploy v2 with a one-line change in a script and a stylesheet (Bootstrap's, the page's big ones: the demo's own
// app.js is 815 bytes minified, below the 1 KiB a delta is worth), reload. The changed files must arrive as `dcb` or
// `dcz` deltas against the versions the browser holds, at ≤ 10% of their brotli size, and the page must work.
// Where this Node cannot build deltas (Node 20 has no zstd and ignores a brotli dictionary, Node 22 ignores the
// latter), collect must say so in one note and the page must load with the ordinary encodings instead.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DELTA_ENCODERS } from '@convoy/gzip'
import { launchChromium } from '@convoy/browser-smoke'
import { APP_DIR, startDemo } from '../src/app.js'
import { runCollect } from '../src/collect.js'

/** What this Node can build: found by the same round trip collect makes. */
const buildable = /** @type {const} */ (['dcb', 'dcz']).filter((name) => DELTA_ENCODERS[name].unavailable() === undefined)

/** @type {import('playwright-core').Browser} */
let browser
/** @type {string} */
let work

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'convoy-demo-deltas-'))
  // The demo's sources, copied so that the test can change them.
  for (const source of ['static', 'static-vendor']) await cp(join(APP_DIR, source), join(work, source), { recursive: true })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

/** `convoy collect` of the copied sources into `out`, as a deploy runs it; resolves with its `--json` report. */
async function deploy(/** @type {string} */ out) {
  const output = await runCollect({ args: ['--source', join(work, 'static'), '--source', join(work, 'static-vendor'), '--out', out, '--json'] })
  return /** @type {{ notices: string[] }} */ (JSON.parse(output.slice(output.indexOf('{'))))
}

/** @param {string} out */
const manifestOf = async (out) => /** @type {import('@convoy/manifest').Manifest} */ (JSON.parse(await readFile(join(out, 'convoy-manifest.json'), 'utf8')))

/**
 * Loads (or reloads) the home page in `page` and records, for every response, its path, headers and the bytes of
 * its body on the wire.
 *
 * @param {import('playwright-core').Page} page
 * @param {() => Promise<unknown>} navigate
 */
async function load(page, navigate) {
  /** @type {Promise<{ path: string, headers: Record<string, string>, bodyBytes: number }>[]} */
  const seen = []
  /** @type {string[]} */
  const problems = []
  /** @param {import('playwright-core').Request} request */
  const onFinished = (request) => {
    seen.push((async () => {
      const response = await request.response()
      const sizes = await request.sizes()
      return { path: new URL(request.url()).pathname, headers: (await response?.allHeaders()) ?? {}, bodyBytes: sizes.responseBodySize }
    })())
  }
  /** @param {import('playwright-core').ConsoleMessage} message */
  const onConsole = (message) => {
    if (message.type() === 'error') problems.push(message.text())
  }
  /** @param {Error} error */
  const onError = (error) => problems.push(error.message)
  /** @param {import('playwright-core').Request} request */
  const onFailed = (request) => problems.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`)
  page.on('requestfinished', onFinished)
  page.on('console', onConsole)
  page.on('pageerror', onError)
  page.on('requestfailed', onFailed)
  try {
    await navigate()
    await page.waitForFunction(() => document.body.dataset.ready === 'yes', undefined, { timeout: 20_000 })
    return { responses: await Promise.all(seen), problems }
  } finally {
    page.off('requestfinished', onFinished)
    page.off('console', onConsole)
    page.off('pageerror', onError)
    page.off('requestfailed', onFailed)
  }
}

describe('a returning visitor after a one-line deploy', () => {
  it(buildable.length === 0 ? 'gets the ordinary encodings, and collect says why it built no delta' : 'downloads only deltas of the changed script and stylesheet', async () => {
    const out = join(work, 'out')
    const first = await deploy(out)
    const demo = await startDemo({ port: 0, out })
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      const v1 = await load(page, () => page.goto(`${demo.url}/`, { waitUntil: 'load' }))
      expect(v1.problems).toEqual([])
      const bundle = v1.responses.find((response) => /^\/static\/vendor\/bootstrap\/bootstrap\.bundle\.[0-9a-f]{12}\.cmin\.js$/.test(response.path))
      expect(bundle?.headers['use-as-dictionary'] !== undefined).toBe(buildable.length > 0)

      // v2: one line more in a script and in a stylesheet.
      const script = join(work, 'static-vendor/vendor/bootstrap/bootstrap.bundle.js')
      const stylesheet = join(work, 'static-vendor/vendor/bootstrap/bootstrap.css')
      await writeFile(script, `${await readFile(script, 'utf8')}document.documentElement.dataset.deploy = 'v2'\n`)
      await writeFile(stylesheet, `${await readFile(stylesheet, 'utf8')}:root { --convoy-deploy: 2; }\n`)
      const second = await deploy(out)
      await Promise.all([demo.convoy.reload(), demo.assets?.reload()])
      const v2 = await load(page, () => page.reload({ waitUntil: 'load' }))
      expect(v2.problems).toEqual([])
      expect(await page.evaluate(() => document.documentElement.dataset.deploy)).toBe('v2')
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--convoy-deploy').trim())).toBe('2')

      const manifest = await manifestOf(out)
      for (const logicalPath of ['vendor/bootstrap/bootstrap.bundle.js', 'vendor/bootstrap/bootstrap.css']) {
        const entry = /** @type {import('@convoy/manifest').ManifestEntry} */ (manifest.files[logicalPath])
        const response = v2.responses.find((seen) => seen.path === `/static/${entry.served}`)
        expect(response, `${entry.served} was not fetched`).toBeDefined()
        const encoding = response?.headers['content-encoding']
        if (buildable.length === 0) {
          expect(encoding).toMatch(/^(br|gzip)$/)
          continue
        }
        expect(buildable).toContain(encoding)
        const brotli = /** @type {number} */ (entry.encodings?.br?.size)
        expect(response?.bodyBytes, `${logicalPath}: ${response?.bodyBytes} bytes as ${encoding}, brotli is ${brotli}`).toBeLessThanOrEqual(brotli * 0.1)
        expect(response?.headers.vary).toMatch(/available-dictionary/i)
      }
      if (buildable.length === 0) {
        for (const report of [first, second]) expect(report.notices).toEqual([expect.stringMatching(/^not built on this Node\.js: dcb deltas: .+; dcz deltas: .+/)])
      } else if (buildable.length < 2) {
        for (const report of [first, second]) expect(report.notices).toEqual([expect.stringMatching(/^not built on this Node\.js: dc[bz] deltas: .+/)])
      }
    } finally {
      await context.close()
      await demo.close()
    }
  })
})
