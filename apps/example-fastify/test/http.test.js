// The example over real HTTP: pages, collected assets (fingerprinted, immutable, precompressed), the carpool bundle
// collect built from the templates, and the form's per-session secret never compressed behind an HTTPS proxy.
import { request as httpRequest } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCollectedSite } from './site.js'

/** @type {Awaited<ReturnType<typeof startCollectedSite>>} */
let site

beforeAll(async () => {
  site = await startCollectedSite()
})
afterAll(() => site?.close())

/**
 * @typedef {{ status: number, headers: import('node:http').IncomingHttpHeaders, raw: Buffer, text: string }} Reply
 */

/**
 * One request, body collected raw and decoded by its Content-Encoding.
 *
 * @param {string} path
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} [options]
 * @returns {Promise<Reply>}
 */
function request(path, options = {}) {
  const { method = 'GET', headers = {}, body } = options
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${site.url}${path}`,
      { method, agent: false, headers: body === undefined ? headers : { 'Content-Length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const raw = Buffer.concat(chunks)
          const encoding = res.headers['content-encoding']
          const text = raw.length === 0 ? '' : encoding === 'br' ? brotliDecompressSync(raw).toString() : encoding === 'gzip' ? gunzipSync(raw).toString() : raw.toString()
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text })
        })
      },
    )
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${path}`)))
    req.end(body)
  })
}

/** @param {string} html */
function assetUrls(html) {
  return [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((match) => /** @type {string} */ (match[1]))
}

/** @param {string} html */
function csrfTokenOf(html) {
  const token = /name="csrfToken" value="([^"]+)"/.exec(html)?.[1]
  expect(token, 'the form carries a CSRF token').toBeDefined()
  return /** @type {string} */ (token)
}

/** @param {Reply} reply */
function sessionCookieOf(reply) {
  const cookie = [reply.headers['set-cookie'] ?? []].flat()[0]
  expect(cookie, 'a new session sets its cookie').toMatch(/^convoy_example_sid=/)
  return /** @type {string} */ (/** @type {string} */ (cookie).split(';')[0])
}

const FINGERPRINTED = /^\/static\/(?:CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css|(?:css|js|img)\/[a-z]+\.[0-9a-f]{12}(?:\.cmin)?\.(?:css|js|svg))$/

describe('the example over HTTP', () => {
  it('answers its pages with HTML, and unknown paths with its own 404', async () => {
    for (const path of ['/', '/form']) {
      const reply = await request(path)
      expect(reply.status, path).toBe(200)
      expect(reply.headers['content-type'], path).toBe('text/html; charset=utf-8')
      expect(reply.text, path).toContain('Convoy on Fastify')
    }
    for (const path of ['/nope', '/static/css/missing.css', '/static/../package.json']) {
      const reply = await request(path)
      expect(reply.status, path).toBe(404)
      expect(reply.text, path).toBe('Not found')
    }
  })

  it('links only fingerprinted assets, served immutable and precompressed', async () => {
    const page = await request('/', { headers: { 'Accept-Encoding': 'br, gzip' } })
    const urls = assetUrls(page.text)
    expect(urls.length).toBeGreaterThanOrEqual(3)
    for (const url of urls) {
      expect(url).toMatch(FINGERPRINTED)
      const asset = await request(url, { headers: { 'Accept-Encoding': 'br, gzip' } })
      expect(asset.status, url).toBe(200)
      expect(asset.headers['cache-control'], url).toBe('public, max-age=31536000, immutable')
      // Scripts and stylesheets the manifest offers as dictionaries (deploy deltas, where this Node builds them) vary on
      // Available-Dictionary too.
      expect(asset.headers.vary, url).toMatch(/^Accept-Encoding(?:, Available-Dictionary)?$/)
      // Precompressed at collect time: the .br sibling, sent with its own length (nothing compressed per request).
      expect(asset.headers['content-encoding'], url).toBe('br')
      expect(asset.headers['content-length'], url).toBe(String(asset.raw.length))
    }
    const script = urls.find((url) => url.endsWith('.js'))
    expect((await request(/** @type {string} */ (script))).text).toContain('document.body.dataset.ready')
  })

  it('links the carpool bundle collect built from the layout template, with the logo rebased inside it', async () => {
    const manifest = JSON.parse(await readFile(join(site.out, 'convoy-manifest.json'), 'utf8'))
    const carpools = Object.entries(manifest.carpools)
    expect(carpools).toHaveLength(1)
    const [name, bundle] = /** @type {[string, { kind: string, members: string[], served: string }]} */ (carpools[0])
    expect(name).toMatch(/^views\/layout\.njk:\d+$/)
    expect(bundle).toMatchObject({ kind: 'css', members: ['css/base.css', 'css/site.css'] })

    // The first render already links the bundle, one tag for the two stylesheets: nothing is built at request time.
    const page = await request('/')
    const stylesheets = [...page.text.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((match) => match[1])
    expect(stylesheets).toEqual([`/static/${bundle.served}`])

    const css = await request(`/static/${bundle.served}`)
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    const logo = /url\(["']?([^"')]+logo\.[0-9a-f]{12}\.svg)["']?\)/.exec(css.text)?.[1]
    expect(logo, 'the bundle points at the fingerprinted logo').toBeDefined()
    const logoUrl = new URL(/** @type {string} */ (logo), `${site.url}/static/${bundle.served}`)
    const image = await request(logoUrl.pathname)
    expect(image.status).toBe(200)
    expect(image.headers['content-type']).toMatch(/^image\/svg\+xml/)
  })

  it('compresses the form page, secret included, on plain HTTP', async () => {
    const reply = await request('/form', { headers: { 'Accept-Encoding': 'br, gzip' } })
    expect(reply.status).toBe(200)
    expect(reply.headers['content-encoding']).toBe('br')
    expect(reply.headers.vary).toBe('Accept-Encoding')
    expect(csrfTokenOf(reply.text).length).toBeGreaterThan(20)
  })

  it.each([
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Proto', 'http, HTTPS'],
    ['Forwarded', 'for=203.0.113.7;proto=https'],
    ['X-Forwarded-Ssl', 'on'],
    ['CF-Visitor', '{"scheme":"https"}'],
  ])('never compresses the secret behind a proxy that says %s: %s', async (name, value) => {
    const headers = { 'Accept-Encoding': 'br, gzip', [name]: value }
    const page = await request('/form', { headers })
    expect(page.status).toBe(200)
    expect(page.headers['content-encoding']).toBeUndefined()
    expect(page.headers.vary).toBeUndefined()
    const token = csrfTokenOf(page.text)
    expect(page.raw.toString()).toContain(token)

    // The answer to a bad message echoes what the visitor typed next to the secret: the BREACH case itself.
    const cookie = sessionCookieOf(page)
    const echoed = await request('/form', {
      method: 'POST',
      headers: { ...headers, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken: token, name: 'attacker guess', message: '' }).toString(),
    })
    expect(echoed.status).toBe(422)
    expect(echoed.headers['content-encoding']).toBeUndefined()
    expect(echoed.raw.toString()).toContain(token)
    expect(echoed.raw.toString()).toContain('attacker guess')
  })

  it('accepts the form with the session token and refuses it without', async () => {
    const page = await request('/form')
    const cookie = sessionCookieOf(page)
    const token = csrfTokenOf(page.text)
    const form = { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie }
    const sent = await request('/form', { method: 'POST', headers: form, body: new URLSearchParams({ csrfToken: token, name: 'Ada', message: 'Hello' }).toString() })
    expect(sent.status).toBe(200)
    expect(sent.text).toContain('Thank you, Ada')
    // The same session keeps its token: no new cookie.
    expect(sent.headers['set-cookie']).toBeUndefined()

    const forged = await request('/form', { method: 'POST', headers: form, body: new URLSearchParams({ csrfToken: 'forged', name: 'Eve', message: 'Hi' }).toString() })
    expect(forged.status).toBe(403)
    expect(forged.text).not.toContain('Thank you')
  })
})
