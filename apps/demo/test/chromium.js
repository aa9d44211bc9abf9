// Finds Debian's Chromium for the browser test and the page-load benchmark, installing it with apt when missing.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

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
]

/**
 * Returns the path of Debian's Chromium, running `apt-get update` and `apt-get install -y chromium` first when it is
 * missing. Throws with apt's output when the install fails: the browser test must never skip silently.
 *
 * @returns {string}
 */
export function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH
  const run = (/** @type {string[]} */ args) => {
    try {
      execFileSync('apt-get', args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 600_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      })
    } catch (error) {
      const { stdout = '', stderr = '', message } = /** @type {{ stdout?: string, stderr?: string, message: string }} */ (error)
      throw new Error(`@convoy/demo: "apt-get ${args.join(' ')}" failed, so Chromium (${CHROMIUM_PATH}) cannot be installed: ${message}\n${stdout}\n${stderr}`, { cause: error })
    }
  }
  run(['update'])
  run(['install', '-y', '--no-install-recommends', 'chromium'])
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`@convoy/demo: apt-get installed chromium but ${CHROMIUM_PATH} is still missing`)
  return CHROMIUM_PATH
}

/**
 * Launches Debian's Chromium (installing it first when missing) through playwright-core.
 *
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium() {
  const executablePath = ensureChromium()
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}
