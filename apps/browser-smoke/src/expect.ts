// The expectations every Convoy page's assets must meet, for vitest (a separate entry, so scripts such as the
// page-load benchmark can launch Chromium without loading vitest).
import { expect } from 'vitest'
import { fingerprintedUnder, type Visit } from './index.js'

export interface HealthyAssetsOptions {
  /** Where the assets are served. Default `'/static/'`. */
  readonly baseUrl?: string
  /** The document itself must be compressed (plain HTTP through a BREACH-safe compressor). Default `true`. */
  readonly documentCompressed?: boolean
}

/**
 * What every Convoy page must show: nothing failed, a clean console, at least one stylesheet and one script, every
 * asset a fingerprinted URL under `baseUrl` cached for a year as immutable, every stylesheet and script compressed
 * (`br` or `gzip`), and the document compressed too.
 */
export function expectHealthyAssets(result: Visit, options: HealthyAssetsOptions = {}): void {
  const fingerprinted = fingerprintedUnder(options.baseUrl ?? '/static/')
  expect(result.failures).toEqual([])
  expect(result.consoleErrors).toEqual([])
  const assets = result.requests.filter((request) => request.type !== 'document')
  expect(assets.filter((request) => request.type === 'stylesheet').length).toBeGreaterThan(0)
  expect(assets.filter((request) => request.type === 'script').length).toBeGreaterThan(0)
  for (const request of assets) {
    expect(request.path, `${request.url} is not a fingerprinted URL`).toMatch(fingerprinted)
    expect(request.headers['cache-control'], request.url).toBe('public, max-age=31536000, immutable')
    if (request.type === 'stylesheet' || request.type === 'script') {
      expect(request.headers['content-encoding'], `${request.url} came back uncompressed`).toMatch(/^(br|gzip)$/)
    }
  }
  if (options.documentCompressed ?? true) {
    const documentRequest = result.requests.find((request) => request.type === 'document')
    expect(documentRequest?.headers['content-encoding'], 'the page itself came back uncompressed').toMatch(/^(br|gzip)$/)
  }
}
