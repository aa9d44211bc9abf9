// One real-Chromium smoke test: the form page loads with nothing failing, every asset fingerprinted, immutable and
// compressed, the page itself compressed (plain HTTP), the carpools' script ran and the form works.
import { launchChromium, visit } from '@convoy/browser-smoke'
import { expectHealthyAssets } from '@convoy/browser-smoke/expect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectAndStart, type Collected } from './helpers.js'

type Browser = Awaited<ReturnType<typeof launchChromium>>

let browser: Browser | undefined
let site: Collected | undefined

beforeAll(async () => {
  const [launched, started] = await Promise.all([launchChromium(), collectAndStart()])
  browser = launched
  site = started
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
})

describe('the example in Chromium', () => {
  it('form: healthy assets, one stylesheet and one script (the carpools), scripts ran, the form posts with its secret', async () => {
    const { url } = (site as Collected).example
    const result = await visit(browser as Browser, `${url}/form`, { ready: () => document.body.dataset.ready === 'yes' })
    try {
      expectHealthyAssets(result, { baseUrl: '/static/' })
      const paths = (type: string) => result.requests.filter((request) => request.type === type).map((request) => request.path)
      expect(paths('stylesheet')).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/css\//)])
      expect(paths('script')).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/js\//)])
      // The stylesheet's url() (rewritten by collect) and the icon: the logo, loaded.
      expect(result.requests.some((request) => /^\/static\/img\/logo\.[0-9a-f]{12}\.svg$/.test(request.path))).toBe(true)
      const header = await result.page.evaluate(() => getComputedStyle(document.querySelector('.site-header') as Element).backgroundImage)
      expect(header).toMatch(/\/static\/img\/logo\.[0-9a-f]{12}\.svg/)

      expect(await result.page.inputValue('input[name="csrfToken"]')).toMatch(/^[0-9a-f-]{36}$/)
      await result.page.fill('#name', 'Ada')
      await result.page.fill('#message', 'Hello from Chromium')
      expect(await result.page.textContent('#char-count')).toBe('19')
      await Promise.all([result.page.waitForURL(`${url}/form`), result.page.click('button[type="submit"]')])
      expect(await result.page.textContent('#form-sent')).toContain('Thanks, Ada')
    } finally {
      await result.context.close()
    }
  })
})
