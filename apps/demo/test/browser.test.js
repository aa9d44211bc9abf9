// The demo in a real headless Chromium: every page loads with nothing failing, every asset fingerprinted,
// compressed and immutable, styles applied and scripts run; carpools become one tag; secrets are never compressed
// over HTTPS. Screenshots of each page go to apps/demo/screenshots/.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_DIR, startDemo } from '../src/app.js'
import { runCollect } from '../src/collect.js'
import { createDemoS3Storage, startLocalS3 } from '../src/s3.js'
import { launchChromium, visit as visitPage } from '@convoy/browser-smoke'
import { expectHealthyAssets } from '@convoy/browser-smoke/expect'
import { carpoolTags, renderUntilBundled } from './pages.js'

const SCREENSHOTS = join(APP_DIR, 'screenshots')
const BRAND_RGB = 'rgb(91, 60, 196)'

/** @type {import('playwright-core').Browser} */
let browser
/** @type {Awaited<ReturnType<typeof startDemo>>} */
let demo
/** @type {string} */
let out

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'convoy-demo-collected-'))
  const [launched] = await Promise.all([
    launchChromium(),
    runCollect({ args: ['--out', out, '--quiet'] }),
    mkdir(SCREENSHOTS, { recursive: true }),
  ])
  browser = launched
  demo = await startDemo({ port: 0, out })
})

afterAll(async () => {
  await browser?.close()
  await demo?.close()
  if (out !== undefined) await rm(out, { recursive: true, force: true })
})

/**
 * Opens `url` in a fresh browser context (cold cache), recording every request, failure and console error.
 *
 * @param {string} url
 * @param {{ ready: () => boolean, screenshot?: string }} options
 */
function visit(url, { ready, screenshot }) {
  return visitPage(browser, url, { ready, ...(screenshot === undefined ? {} : { screenshot: join(SCREENSHOTS, `${screenshot}.png`) }) })
}

/** Bootstrap's styles, the brand colour on the navigation bar, and Inter loaded from our own (rewritten) @font-face URLs. */
async function expectStyled(/** @type {import('playwright-core').Page} */ page) {
  const style = await page.evaluate(() => ({
    navbar: getComputedStyle(/** @type {Element} */ (document.querySelector('.convoy-navbar'))).backgroundColor,
    font: getComputedStyle(document.body).fontFamily,
    interLoaded: [...document.fonts].some((face) => face.family.replaceAll('"', '') === 'Inter' && face.status === 'loaded'),
    // Bootstrap's own rules work: its :root custom properties are defined, and <code> uses them.
    bootstrapRoot: getComputedStyle(document.documentElement).getPropertyValue('--bs-font-monospace'),
    code: getComputedStyle(/** @type {Element} */ (document.querySelector('code'))).fontFamily,
  }))
  expect(style.bootstrapRoot).toMatch(/monospace/)
  expect(style.code).toMatch(/monospace/)
  expect(style.navbar).toBe(BRAND_RGB)
  expect(style.font).toMatch(/^"?Inter"?,/)
  expect(style.interLoaded).toBe(true)
}

describe('the demo in Chromium', () => {
  it('renders a carpool as one tag per member first, then as one tag once its bundle is built', async () => {
    const { first, last } = await renderUntilBundled(`${demo.url}/carpool`)
    const before = carpoolTags(first)
    expect(before.map((carpool) => [carpool.kind, carpool.tags.length])).toEqual([
      ['css', 4],
      ['js', 5],
    ])
    const after = carpoolTags(last)
    expect(after.map((carpool) => [carpool.kind, carpool.tags.length])).toEqual([
      ['css', 1],
      ['js', 1],
    ])
    expect(after[0]?.tags[0]).toMatch(/href="\/static\/CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css"/)
    expect(after[1]?.tags[0]).toMatch(/src="\/static\/CARPOOL\/js\/[0-9a-f]{12}\.cmin\.js"/)
  })

  it('home: every asset fingerprinted, compressed and immutable; styles applied; scripts ran', async () => {
    const result = await visit(`${demo.url}/`, { ready: () => document.body.dataset.ready === 'yes', screenshot: 'home' })
    try {
      expectHealthyAssets(result)
      await expectStyled(result.page)
      // One {% convoy %} tag per file on this page: three stylesheets, three scripts.
      expect(result.requests.filter((request) => request.type === 'stylesheet')).toHaveLength(3)
      expect(result.requests.filter((request) => request.type === 'script')).toHaveLength(3)
      expect(await result.page.textContent('.script-status')).toMatch(/^JavaScript ran: jQuery 3\.\d+\.\d+ and Bootstrap 5\.\d+\.\d+/)
      // The CSS url()s were rewritten: the hero's images are fingerprinted URLs that loaded.
      const hero = await result.page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector('.convoy-hero'))).backgroundImage)
      expect(hero).toMatch(/\/static\/img\/hero-road\.[0-9a-f]{12}\.svg/)
    } finally {
      await result.context.close()
    }
  })

  it('carpool: one stylesheet and one script, the chart drawn by Chart.js', async () => {
    await renderUntilBundled(`${demo.url}/carpool`)
    const result = await visit(`${demo.url}/carpool`, {
      ready: () => document.body.dataset.ready === 'yes' && document.querySelector('#bytes-chart')?.getAttribute('data-chart') === 'drawn',
      screenshot: 'carpool',
    })
    try {
      expectHealthyAssets(result)
      await expectStyled(result.page)
      const styles = result.requests.filter((request) => request.type === 'stylesheet')
      const scripts = result.requests.filter((request) => request.type === 'script')
      expect(styles.map((request) => request.path)).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/css\//)])
      expect(scripts.map((request) => request.path)).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/js\//)])
      // The bundle's url()s were rebased: the fonts and images it names loaded from their fingerprinted URLs.
      expect(result.requests.some((request) => request.type === 'font')).toBe(true)
      const chart = await result.page.evaluate(() => {
        const { Chart } = /** @type {{ Chart?: { getChart(canvas: Element): unknown } }} */ (/** @type {unknown} */ (window))
        return Chart?.getChart(/** @type {Element} */ (document.querySelector('#bytes-chart'))) !== undefined
      })
      expect(chart).toBe(true)
    } finally {
      await result.context.close()
    }
  })

  it('form: the per-session secret is in the HTML; the form works in the browser', async () => {
    await renderUntilBundled(`${demo.url}/form`)
    const result = await visit(`${demo.url}/form`, {
      ready: () => document.body.dataset.ready === 'yes' && document.querySelector('#contact-form')?.getAttribute('data-enhanced') === 'yes',
      screenshot: 'form',
    })
    try {
      expectHealthyAssets(result)
      await expectStyled(result.page)
      const token = await result.page.inputValue('input[name="csrfToken"]')
      expect(token).toMatch(/^[0-9a-f-]{36}$/)
      await result.page.fill('#name', 'Ada')
      await result.page.fill('#message', 'Hello from Chromium')
      expect(await result.page.textContent('#char-count')).toBe('19')
      await Promise.all([result.page.waitForURL(`${demo.url}/form`), result.page.click('button[type="submit"]')])
      expect(await result.page.textContent('#form-sent')).toContain('Thanks, Ada')
    } finally {
      await result.context.close()
    }
  })

})

describe('BREACH: the form page over HTTPS', () => {
  it('is not compressed when a proxy says X-Forwarded-Proto: https, and is on plain HTTP', async () => {
    const overHttps = await fetch(`${demo.url}/form`, { headers: { 'accept-encoding': 'gzip, br', 'x-forwarded-proto': 'https' } })
    expect(overHttps.status).toBe(200)
    expect(overHttps.headers.get('content-encoding')).toBeNull()
    expect(await overHttps.text()).toMatch(/name="csrfToken" value="[0-9a-f-]{36}"/)

    const overHttp = await fetch(`${demo.url}/form`, { headers: { 'accept-encoding': 'gzip, br' } })
    expect(overHttp.headers.get('content-encoding')).toMatch(/^(br|gzip)$/)
  })

  it('gives each session its own secret', async () => {
    const tokenOf = async () => /value="([0-9a-f-]{36})"/.exec(await (await fetch(`${demo.url}/form`)).text())?.[1]
    const [a, b] = await Promise.all([tokenOf(), tokenOf()])
    expect(a).toBeDefined()
    expect(a).not.toBe(b)
  })
})

describe('other modes', () => {
  it('debug mode links and serves the original files, without collect', async () => {
    const debug = await startDemo({ port: 0, debug: true })
    try {
      const result = await visit(`${debug.url}/carpool`, {
        ready: () => document.body.dataset.ready === 'yes' && document.querySelector('#bytes-chart')?.getAttribute('data-chart') === 'drawn',
      })
      try {
        expect(result.failures).toEqual([])
        expect(result.consoleErrors).toEqual([])
        await expectStyled(result.page)
        const assetPaths = result.requests.filter((request) => request.type === 'stylesheet' || request.type === 'script').map((request) => request.path)
        expect(assetPaths).toContain('/static/vendor/bootstrap/bootstrap.css')
        expect(assetPaths).toContain('/static/js/dashboard.js')
        expect(assetPaths).toHaveLength(9)
      } finally {
        await result.context.close()
      }
    } finally {
      await debug.close()
    }
  })

  it('DEMO_STORAGE=s3: collects into the local S3-compatible server and serves from it', async () => {
    const s3 = await startLocalS3()
    try {
      await runCollect({ args: ['--quiet'], env: { DEMO_S3_ENDPOINT: s3.endpoint } })
      const onS3 = await startDemo({ port: 0, storage: createDemoS3Storage(s3.endpoint), storageLabel: 'S3 (local)' })
      try {
        const { last } = await renderUntilBundled(`${onS3.url}/form`)
        expect(last).toContain('collected · S3 (local)')
        const urls = [...last.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((match) => match[1])
        expect(urls.length).toBeGreaterThan(3)
        for (const url of urls) {
          const response = await fetch(`${onS3.url}${url}`, { headers: { 'accept-encoding': 'br, gzip' } })
          expect(response.status, url).toBe(200)
          expect(response.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable')
          if (/\.(css|js)$/.test(url ?? '')) expect(response.headers.get('content-encoding'), url).toMatch(/^(br|gzip)$/)
        }
      } finally {
        await onS3.close()
      }
    } finally {
      await s3.stop()
    }
  })
})
