// One real-Chromium smoke test: the home page loads with nothing failing, every asset fingerprinted, immutable and
// compressed (the carpool bundle too), the bundle's styles applied, its rebased logo loaded, and the script ran.
import { launchChromium, visit } from '@convoy/browser-smoke'
import { expectHealthyAssets } from '@convoy/browser-smoke/expect'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCollectedSite } from './site.js'

/** @type {import('playwright-core').Browser} */
let browser
/** @type {Awaited<ReturnType<typeof startCollectedSite>>} */
let site

beforeAll(async () => {
  ;[browser, site] = await Promise.all([launchChromium(), startCollectedSite()])
})
afterAll(async () => {
  await browser?.close()
  await site?.close()
})

it('loads the home page in Chromium: healthy assets, the carpool applied, the script ran', async () => {
  const result = await visit(browser, `${site.url}/`, { ready: () => document.body.dataset.ready === 'yes' })
  try {
    expectHealthyAssets(result, { baseUrl: '/static/' })
    const stylesheets = result.requests.filter((request) => request.type === 'stylesheet')
    expect(stylesheets.map((request) => request.path)).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/)])
    // The logo: linked by {% convoy %} and, from inside the bundle, by a url() collect rewrote and the carpool rebased.
    const images = result.requests.filter((request) => request.type === 'image').map((request) => request.path)
    expect(images.length).toBeGreaterThan(0)
    for (const path of images) expect(path).toMatch(/^\/static\/img\/logo\.[0-9a-f]{12}\.svg$/)
    const style = await result.page.evaluate(() => {
      const brand = /** @type {Element} */ (document.querySelector('.site-header .brand'))
      return {
        // From base.css and site.css, both inside the one bundle.
        accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
        header: getComputedStyle(/** @type {Element} */ (document.querySelector('.site-header'))).backgroundColor,
        brand: getComputedStyle(brand).backgroundImage,
        badge: getComputedStyle(/** @type {Element} */ (document.querySelector('.ready-badge'))).display,
      }
    })
    expect(style.accent).toBe('#0f766e')
    expect(style.header).toBe('rgb(255, 255, 255)')
    expect(style.brand).toMatch(/\/static\/img\/logo\.[0-9a-f]{12}\.svg/)
    // Shown by site.css once app.js has marked the page ready (a flex item: displayed as a block).
    expect(style.badge).not.toBe('none')
  } finally {
    await result.context.close()
  }
})
