import { describe, it } from 'vitest'
import { startCompressedTarget, startStaticTarget, type AdapterCheck, type AdapterUnderTest } from './adapter.js'
import { COMPRESSION_CHECKS } from './compression-checks.js'
import { registerChecks } from './register-checks.js'
import { STATIC_CHECKS } from './static-checks.js'

export interface AdapterTestSuiteOptions {
  /** Time limit of each check, and of starting and stopping each server, in milliseconds. Default `20000`. */
  readonly timeout?: number
}

const PACKAGE = '@convoy/adapter-test-suite'

/**
 * Registers the Convoy adapter conformance suite with vitest: a `describe` block named
 * `Adapter conformance: <name>`, holding one test per check of {@link STATIC_CHECKS} (when the adapter has
 * `startStatic`) and of {@link COMPRESSION_CHECKS} (when it has `startCompressed`), over real HTTP. Call it once, at
 * the top level of a test file. A part the adapter lacks is reported as skipped, with the reason in its name.
 *
 * @throws TypeError at once when `adapter` has no `name`, or neither `startStatic` nor `startCompressed`.
 *
 * @example
 * import { createServer } from 'node:http'
 * import type { AddressInfo } from 'node:net'
 * import { runAdapterTestSuite } from '@convoy/adapter-test-suite'
 * import { serveStatic } from '@convoy/serve'
 *
 * runAdapterTestSuite({
 *   name: '@convoy/serve',
 *   startStatic: async ({ root, prefix }) => {
 *     const assets = serveStatic({ root, prefix })
 *     await assets.ready
 *     const server = createServer((req, res) => assets(req, res, () => res.writeHead(404, { 'content-type': 'text/plain' }).end('fallback')))
 *     await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
 *     const { port } = server.address() as AddressInfo
 *     return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }) }
 *   },
 * })
 */
export function runAdapterTestSuite(adapter: AdapterUnderTest, options: AdapterTestSuiteOptions = {}): void {
  if (typeof adapter !== 'object' || adapter === null || typeof adapter.name !== 'string' || adapter.name === '') {
    throw new TypeError(`${PACKAGE}: runAdapterTestSuite() takes { name, startStatic?, startCompressed? } with a non-empty name`)
  }
  for (const hook of ['startStatic', 'startCompressed'] as const) {
    if (adapter[hook] !== undefined && typeof adapter[hook] !== 'function') throw new TypeError(`${PACKAGE}: ${adapter.name}'s ${hook} must be a function`)
  }
  if (adapter.startStatic === undefined && adapter.startCompressed === undefined) {
    throw new TypeError(`${PACKAGE}: ${adapter.name} has neither startStatic nor startCompressed: there is nothing to check`)
  }
  const timeout = options.timeout ?? 20_000
  if (!(Number.isFinite(timeout) && timeout > 0)) throw new TypeError(`${PACKAGE}: timeout must be a positive number of milliseconds, got ${String(timeout)}`)

  describe(`Adapter conformance: ${adapter.name}`, () => {
    registerPart('static files', adapter.startStatic === undefined ? `${adapter.name} has no startStatic` : undefined, () => startStaticTarget(adapter), STATIC_CHECKS, timeout)
    registerPart(
      'compression',
      adapter.startCompressed === undefined ? `${adapter.name} has no startCompressed` : undefined,
      () => startCompressedTarget(adapter),
      COMPRESSION_CHECKS,
      timeout,
    )
  })
}

/** One server for the whole part, started before its first check and stopped after its last; one `it` per check. */
function registerPart<Target>(
  title: string,
  skipReason: string | undefined,
  start: () => Promise<Target & { close(): Promise<void> }>,
  checks: readonly AdapterCheck<Target>[],
  timeout: number,
): void {
  if (skipReason !== undefined) {
    describe(title, () => {
      it.skip(`${title} (skipped: ${skipReason})`, () => undefined)
    })
    return
  }
  describe(title, () => {
    registerChecks(start, checks, timeout, `${PACKAGE}: the ${title} server did not start (see the error of beforeAll)`)
  })
}
