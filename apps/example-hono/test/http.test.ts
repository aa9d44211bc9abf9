// The example over real HTTP: pages, collected assets (fingerprinted, immutable, precompressed), and the form's
// secret never compressed when the request came over HTTPS.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assetUrls, collectAndStart, FINGERPRINTED, type Collected } from './helpers.js'

let site: Collected
beforeAll(async () => {
  site = await collectAndStart()
})
afterAll(async () => {
  await site?.close()
})

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${site.example.url}${path}`, { headers })

describe('the pages', () => {
  it('home and form answer 200 HTML, each linking one stylesheet and one script: the carpools collect built', async () => {
    for (const path of ['/', '/form']) {
      const response = await get(path)
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=UTF-8'])
      const html = await response.text()
      const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((match) => match[1])
      const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1])
      expect(styles, path).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/)])
      expect(scripts, path).toEqual([expect.stringMatching(/^\/static\/CARPOOL\/js\/[0-9a-f]{12}\.cmin\.js$/)])
    }
  })

  it('an unknown page or asset is a 404', async () => {
    expect((await get('/nope')).status).toBe(404)
    expect((await get('/static/css/nope.css')).status).toBe(404)
  })
})

describe('the assets', () => {
  it('every linked asset is fingerprinted, immutable, and its precompressed sibling is what is sent', async () => {
    const urls = [...new Set([...assetUrls(await (await get('/')).text()), ...assetUrls(await (await get('/form')).text())])]
    // Two carpools, the logo, and the five files the home page lists.
    expect(urls.length).toBe(7)
    for (const url of urls) {
      expect(url).toMatch(FINGERPRINTED)
      const response = await get(url, { 'accept-encoding': 'br, gzip' })
      expect([url, response.status, response.headers.get('cache-control')]).toEqual([url, 200, 'public, max-age=31536000, immutable'])
      const encoding = response.headers.get('content-encoding')
      // fetch() decodes the body: compare the raw bytes on disk with what the server says it sent.
      const sibling = await readFile(join(site.out, `${url.slice('/static/'.length)}.${encoding ?? 'none'}`)).catch(() => undefined)
      if (/\.(css|js|svg)$/.test(url)) {
        expect([url, encoding]).toEqual([url, expect.stringMatching(/^(br|gzip)$/)])
        expect(sibling, `${url}.${encoding}: precompressed by collect`).toBeDefined()
        expect(response.headers.get('content-length')).toBe(String(sibling?.length))
      }
      await response.arrayBuffer()
    }
  })

  it("the stylesheet's url() was rewritten to the logo's fingerprinted URL", async () => {
    const html = await (await get('/')).text()
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1] as string
    const text = await (await get(css)).text()
    expect(text).toMatch(/url\(["']?\/static\/img\/logo\.[0-9a-f]{12}\.svg["']?\)|url\(["']?\.\.\/\.\.\/img\/logo\.[0-9a-f]{12}\.svg["']?\)/)
  })
})

describe('BREACH: the form page and its secret', () => {
  const tokenOf = (html: string): string | undefined => /name="csrfToken" value="([0-9a-f-]{36})"/.exec(html)?.[1]

  it('is never compressed when X-Forwarded-Proto says https, and is on plain HTTP', async () => {
    const overHttps = await get('/form', { 'accept-encoding': 'gzip, br', 'x-forwarded-proto': 'https' })
    expect([overHttps.status, overHttps.headers.get('content-encoding')]).toEqual([200, null])
    expect(tokenOf(await overHttps.text())).toBeDefined()

    const overHttp = await get('/form', { 'accept-encoding': 'gzip, br' })
    expect(overHttp.headers.get('content-encoding')).toMatch(/^(br|gzip)$/)
    expect(overHttp.headers.get('vary')).toBe('Accept-Encoding')
    expect(tokenOf(await overHttp.text())).toBeDefined()
  })

  it('each session gets its own secret, and the form checks it', async () => {
    const first = await get('/form')
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string
    const token = tokenOf(await first.text()) as string
    const other = tokenOf(await (await get('/form')).text())
    expect(token).toBeDefined()
    expect(other).not.toBe(token)

    const post = (fields: Record<string, string>) =>
      fetch(`${site.example.url}/form`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) })
    const sent = await post({ csrfToken: token, name: 'Ada', message: 'Hello' })
    expect([sent.status, await sent.text()]).toEqual([200, expect.stringContaining('Thanks, Ada')])
    const forged = await post({ csrfToken: other as string, name: 'Eve', message: 'Hello' })
    expect(forged.status).toBe(403)
  })
})
