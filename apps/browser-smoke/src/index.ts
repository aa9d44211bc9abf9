// The real-browser check the demo and the example apps share: Debian's Chromium (installed with apt when missing,
// never skipped), a page visited with a cold cache while every request, failure and console error is recorded, and
// one set of expectations about the assets a Convoy page loads.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Flags for a quiet, deterministic headless Chromium (no background traffic to anything but our loopback server). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
] as const

/** Several browser tests may start at once (turbo runs two tasks): apt must run once, under a lock. */
const APT_LOCK = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'chromium-apt.lock')

/**
 * Returns the path of Debian's Chromium, running `apt-get update` and `apt-get install -y chromium` first when it is
 * missing (under `flock`, so concurrent test files install it once). Throws with apt's output when the install
 * fails: a browser test must never skip silently.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH
  mkdirSync(dirname(APT_LOCK), { recursive: true })
  const script = `test -x ${CHROMIUM_PATH} || { apt-get update && apt-get install -y --no-install-recommends chromium; }`
  try {
    execFileSync('flock', [APT_LOCK, 'sh', '-c', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`@convoy/browser-smoke: installing Chromium (${CHROMIUM_PATH}) with apt-get failed: ${message}\n${stdout}\n${stderr}`, { cause: error })
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`@convoy/browser-smoke: apt-get installed chromium but ${CHROMIUM_PATH} is still missing`)
  return CHROMIUM_PATH
}

/** Launches Debian's Chromium (installing it first when missing) through playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = ensureChromium()
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] })
}

/** One request the page made, once finished. */
export interface SeenRequest {
  readonly url: string
  readonly path: string
  /** Playwright's resource type: `document`, `stylesheet`, `script`, `image`, `font`, … */
  readonly type: string
  readonly status: number
  readonly headers: Record<string, string>
}

export interface Visit {
  readonly context: BrowserContext
  readonly page: Page
  readonly requests: readonly SeenRequest[]
  /** Requests that failed or answered 4xx/5xx. */
  readonly failures: readonly string[]
  /** Console errors and uncaught page errors. */
  readonly consoleErrors: readonly string[]
}

export interface VisitOptions {
  /** Evaluated in the page until true (e.g. `() => document.body.dataset.ready === 'yes'`). */
  readonly ready: () => boolean
  /** A PNG of the whole page is written here when given. */
  readonly screenshot?: string
  readonly viewport?: { readonly width: number; readonly height: number }
}

/**
 * Opens `url` in a fresh browser context (cold cache) and records every request, failure and console error until
 * the page has loaded and `ready` holds. Close `context` when done.
 */
export async function visit(browser: Browser, url: string, options: VisitOptions): Promise<Visit> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } })
  const page = await context.newPage()
  const seen: Promise<SeenRequest>[] = []
  const failures: string[] = []
  const consoleErrors: string[] = []
  page.on('requestfinished', (request) => {
    const details = (async () => {
      const response = await request.response()
      return {
        url: request.url(),
        path: new URL(request.url()).pathname,
        type: request.resourceType(),
        status: response?.status() ?? 0,
        headers: (await response?.allHeaders()) ?? {},
      }
    })()
    // A request finishing after the page was checked may fail once the context closes: that is not a finding.
    details.catch(() => undefined)
    seen.push(details)
  })
  page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`))
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => consoleErrors.push(error.message))
  try {
    await page.goto(url, { waitUntil: 'load' })
    await page.waitForFunction(options.ready, undefined, { timeout: 10_000 })
    await page.evaluate(() => document.fonts.ready.then(() => undefined))
    if (options.screenshot !== undefined) await page.screenshot({ path: options.screenshot, fullPage: true })
  } catch (error) {
    await context.close()
    throw error
  }
  const requests = await Promise.all(seen)
  for (const request of requests) if (request.status >= 400) failures.push(`${request.url}: HTTP ${request.status}`)
  return { context, page, requests, failures, consoleErrors }
}

/**
 * A fingerprinted URL path under `baseUrl`: `name.<12 hex>.ext` (a served or fingerprinted file, `.cmin.` or not)
 * or a carpool bundle `CARPOOL/css|js/<12 hex>.cmin.css|js`.
 */
export function fingerprintedUnder(baseUrl: string): RegExp {
  const base = baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${base}(?:CARPOOL\\/(?:css|js)\\/[0-9a-f]{12}\\.cmin\\.(?:css|js)|(?:[^?#]*\\/)?[^/?#]+\\.[0-9a-f]{12}(?:\\.cmin)?\\.[A-Za-z0-9]+)$`)
}
