// pnpm bench:pageload — the demo's pages served two ways and loaded in Chromium over a throttled network:
//   raw:    the source files as they are (express.static, one tag per file, uncompressed HTML);
//   convoy: collected (fingerprinted, minified, brotli/gzip), carpools, @convoy/serve and gzipHttpOnly().
// Cold cache and warm cache, N loads each (default 10); prints medians and the convoy/raw ratios.
// Then "after deploy": a returning visitor (warm cache, the dictionaries it was given) reloads the home page after a
// deploy that changed one line of a script and of a stylesheet (Bootstrap's: the page's big ones; the demo's own are
// below the 1 KiB a delta is worth), with deploy deltas (RFC 9842) and without them
// (`--no-deltas`). Deltas need a Node that builds them (24: dcb and dcz; 22: dcz); elsewhere the row says so.
// Usage: node bench/pageload.mjs [--loads N] [--page home|carpool|form]... [--skip-pages]
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { APP_DIR, PAGES, startDemo } from '../apps/demo/src/app.js'
import { runCollect } from '../apps/demo/src/collect.js'
import { launchChromium } from '../apps/browser-smoke/dist/index.js'
import { DELTA_ENCODERS } from '../packages/gzip/dist/index.js'
import { renderUntilBundled } from '../apps/demo/test/pages.js'

/** Chrome DevTools' "Slow 4G": 150 ms of latency, ~1.6 Mbit/s down, 0.75 Mbit/s up. */
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 }

const { values } = parseArgs({
  options: {
    loads: { type: 'string', default: '10' },
    page: { type: 'string', multiple: true },
    'skip-pages': { type: 'boolean', default: false },
  },
})
const loads = Number(values.loads)
if (!Number.isInteger(loads) || loads < 1 || loads > 100) throw new Error(`--loads must be 1–100, got ${values.loads}`)
const pages = values.page === undefined ? PAGES : PAGES.filter((page) => values.page?.includes(page.name))
if (pages.length === 0) throw new Error(`--page must name one of ${PAGES.map((page) => page.name).join(', ')}`)

/**
 * @typedef {{ dcl: number, load: number, bytes: number, requests: number }} Sample
 */

/**
 * Loads `url` once in `page` (throttled), and measures DOMContentLoaded and load (from the navigation's start), the
 * bytes that crossed the network (headers included) and the requests that reached it (cache hits excluded).
 *
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').CDPSession} cdp
 * @param {string} url
 * @returns {Promise<Sample>}
 */
async function measure(page, cdp, url) {
  let bytes = 0
  const sent = new Set()
  const fromCache = new Set()
  /** @param {{ requestId: string, encodedDataLength: number }} event */
  const onFinished = (event) => {
    bytes += event.encodedDataLength
  }
  /** @param {{ requestId: string, request: { url: string } }} event */
  const onSent = (event) => {
    if (!event.request.url.startsWith('data:')) sent.add(event.requestId)
  }
  /** @param {{ requestId: string }} event */
  const onCached = (event) => fromCache.add(event.requestId)
  cdp.on('Network.loadingFinished', onFinished)
  cdp.on('Network.requestWillBeSent', onSent)
  cdp.on('Network.requestServedFromCache', onCached)
  try {
    await page.goto(url, { waitUntil: 'load', timeout: 120_000 })
    const timing = await page.waitForFunction(() => {
      const [entry] = /** @type {PerformanceNavigationTiming[]} */ (performance.getEntriesByType('navigation'))
      return entry !== undefined && entry.loadEventEnd > 0 ? { dcl: entry.domContentLoadedEventEnd, load: entry.loadEventEnd } : false
    })
    const { dcl, load } = /** @type {{ dcl: number, load: number }} */ (await timing.jsonValue())
    return { dcl, load, bytes, requests: [...sent].filter((id) => !fromCache.has(id)).length }
  } finally {
    cdp.off('Network.loadingFinished', onFinished)
    cdp.off('Network.requestWillBeSent', onSent)
    cdp.off('Network.requestServedFromCache', onCached)
  }
}

/** @param {import('playwright-core').BrowserContext} context */
async function throttledPage(context) {
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G)
  return { page, cdp }
}

/**
 * Cold: every load in a new browser context with the cache cleared and disabled. Warm: one context, one priming
 * load, then each load navigates away and back with the cache on.
 *
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 */
async function run(browser, url) {
  /** @type {Sample[]} */
  const cold = []
  for (let index = 0; index < loads; index++) {
    const context = await browser.newContext()
    try {
      const { page, cdp } = await throttledPage(context)
      await cdp.send('Network.clearBrowserCache')
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
      cold.push(await measure(page, cdp, url))
    } finally {
      await context.close()
    }
  }
  /** @type {Sample[]} */
  const warm = []
  const context = await browser.newContext()
  try {
    const { page, cdp } = await throttledPage(context)
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false })
    await measure(page, cdp, url)
    for (let index = 0; index < loads; index++) {
      await page.goto('about:blank')
      warm.push(await measure(page, cdp, url))
    }
  } finally {
    await context.close()
  }
  return { cold: summarize(cold), warm: summarize(warm) }
}

/** @param {number[]} numbers */
function median(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[middle]) : (/** @type {number} */ (sorted[middle - 1]) + /** @type {number} */ (sorted[middle])) / 2
}

/** @param {Sample[]} samples */
function summarize(samples) {
  return {
    dcl: median(samples.map((sample) => sample.dcl)),
    load: median(samples.map((sample) => sample.load)),
    bytes: median(samples.map((sample) => sample.bytes)),
    requests: median(samples.map((sample) => sample.requests)),
  }
}

const ms = (/** @type {number} */ value) => `${Math.round(value)} ms`
const kb = (/** @type {number} */ value) => `${(value / 1000).toFixed(1)} kB`
const ratio = (/** @type {number} */ convoy, /** @type {number} */ raw) => (raw === 0 ? '—' : `${(convoy / raw).toFixed(2)}×`)

/** @param {string[][]} rows */
function table(rows) {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')).join('\n')
}

/**
 * A returning visitor after `loads` small deploys: each in a new browser context that first loads the home page as
 * it is (priming its cache and dictionaries), then, after a deploy adding one line to the demo's script and
 * stylesheet, loads it again: that second load is measured.
 *
 * @param {import('playwright-core').Browser} browser
 * @param {boolean} deltas
 */
async function afterDeploy(browser, deltas) {
  const work = await mkdtemp(join(tmpdir(), 'convoy-pageload-deploy-'))
  try {
    for (const source of ['static', 'static-vendor']) await cp(join(APP_DIR, source), join(work, source), { recursive: true })
    const out = join(work, 'out')
    const deploy = () => runCollect({ args: ['--source', join(work, 'static'), '--source', join(work, 'static-vendor'), '--out', out, '--quiet', ...(deltas ? [] : ['--no-deltas'])] })
    await deploy()
    const demo = await startDemo({ port: 0, out })
    try {
      /** @type {Sample[]} */
      const samples = []
      for (let index = 0; index < loads; index++) {
        const context = await browser.newContext()
        try {
          const { page, cdp } = await throttledPage(context)
          await measure(page, cdp, `${demo.url}/`)
          for (const [file, line] of [['vendor/bootstrap/bootstrap.bundle.js', `window.convoyDeploy = ${index + 2}\n`], ['vendor/bootstrap/bootstrap.css', `:root { --convoy-deploy: ${index + 2}; }\n`]]) {
            const path = join(work, 'static-vendor', file)
            await writeFile(path, `${await readFile(path, 'utf8')}${line}`)
          }
          await deploy()
          await Promise.all([demo.convoy.reload(), demo.assets?.reload()])
          await page.goto('about:blank')
          samples.push(await measure(page, cdp, `${demo.url}/`))
        } finally {
          await context.close()
        }
      }
      return summarize(samples)
    } finally {
      await demo.close()
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

const out = await mkdtemp(join(tmpdir(), 'convoy-pageload-'))
/** @type {(() => Promise<void>)[]} */
const cleanups = [() => rm(out, { recursive: true, force: true })]
try {
  console.log('collecting the demo (convoy collect) …')
  await runCollect({ args: ['--out', out, '--quiet'] })
  const raw = await startDemo({ port: 0, debug: true, compressHtml: false })
  cleanups.unshift(() => raw.close())
  const convoy = await startDemo({ port: 0, out })
  cleanups.unshift(() => convoy.close())
  // The Convoy way links one bundle per carpool: let the request-time bundles be built before measuring.
  for (const page of pages) await renderUntilBundled(`${convoy.url}${page.path}`)
  const browser = await launchChromium()
  cleanups.unshift(() => browser.close())
  console.log(`Chromium ${browser.version()}, Slow 4G (latency ${SLOW_4G.latency} ms, ${SLOW_4G.downloadThroughput / 1000} kB/s down), ${loads} loads per cell, medians\n`)

  /** @type {string[][]} */
  const rows = [['page', 'cache', 'variant', 'DOMContentLoaded', 'load', 'transferred', 'requests']]
  /** @type {string[][]} */
  const ratios = [['page', 'cache', 'DOMContentLoaded', 'load', 'transferred', 'requests']]
  for (const page of values['skip-pages'] ? [] : pages) {
    process.stderr.write(`measuring ${page.path} …\n`)
    const rawResult = await run(browser, `${raw.url}${page.path}`)
    const convoyResult = await run(browser, `${convoy.url}${page.path}`)
    for (const cache of /** @type {const} */ (['cold', 'warm'])) {
      for (const [variant, result] of /** @type {const} */ ([['raw', rawResult], ['convoy', convoyResult]])) {
        const cell = result[cache]
        rows.push([page.path, cache, variant, ms(cell.dcl), ms(cell.load), kb(cell.bytes), String(cell.requests)])
      }
      const a = convoyResult[cache]
      const b = rawResult[cache]
      ratios.push([page.path, cache, ratio(a.dcl, b.dcl), ratio(a.load, b.load), ratio(a.bytes, b.bytes), ratio(a.requests, b.requests)])
    }
  }
  if (rows.length > 1) {
    console.log(table(rows))
    console.log('\nconvoy / raw')
    console.log(table(ratios))
    console.log('\ntargets, cold cache: DOMContentLoaded ≤ 0.4× (DESIGN.md §11: ≤ 0.2×), transferred ≤ 0.3× (§11: ≤ 0.25×)')
  }

  process.stderr.write('measuring a returning visitor after a one-line deploy …\n')
  const cannot = Object.values(DELTA_ENCODERS).flatMap((encoder) => {
    const reason = encoder.unavailable()
    return reason === undefined ? [] : [`${encoder.name}: ${reason}`]
  })
  if (cannot.length > 0) console.log(`\nnote: this Node.js builds ${cannot.length === 2 ? 'no deltas' : 'only some deltas'} (${cannot.join('; ')}); run it on Node 24 for both`)
  const withDeltas = await afterDeploy(browser, true)
  const withoutDeltas = await afterDeploy(browser, false)
  const deployRows = [['page', 'after deploy', 'DOMContentLoaded', 'load', 'transferred', 'requests']]
  for (const [variant, cell] of /** @type {const} */ ([['without deltas', withoutDeltas], ['with deltas', withDeltas]])) {
    deployRows.push(['/', variant, ms(cell.dcl), ms(cell.load), kb(cell.bytes), String(cell.requests)])
  }
  deployRows.push(['/', 'deltas / none', ratio(withDeltas.dcl, withoutDeltas.dcl), ratio(withDeltas.load, withoutDeltas.load), ratio(withDeltas.bytes, withoutDeltas.bytes), ratio(withDeltas.requests, withoutDeltas.requests)])
  console.log(`\n${table(deployRows)}`)
  console.log('target: transferred with deltas ≤ 0.2× without (the page itself included)')
} finally {
  for (const cleanup of cleanups) await cleanup()
}
