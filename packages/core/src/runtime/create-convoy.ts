import type { Convoy, CreateConvoyOptions } from './convoy.js'

/**
 * The runtime resolver. Loads the manifest once (reload with `reload()`, or `watch: true`) and answers from memory:
 * `url()` is one `Map` lookup of a URL string built at the path's first lookup (so loading a manifest of 100,000
 * entries builds none). In debug mode it never answers from a stale snapshot:
 * without `duringDebug` URLs are `baseUrl + logicalPath` and no manifest is read; with it, a manifest on the local
 * disk is checked at every lookup and read again when it changes.
 *
 * The runtime itself (manifest reader, carpool tags and builder) is imported by the first call, not with the package:
 * a `convoy.config.ts` that imports `defineConfig`, or a process that never creates a Convoy, loads only this entry
 * and `@convoy/errors`.
 *
 * @throws {ConvoyError} `ERR_CONVOY_MANIFEST` when the manifest is missing or invalid; `ERR_CONVOY_CONFIG` for
 * impossible options (no manifest outside debug mode, `combineDuringDebug` without `duringDebug`).
 * @example
 * import { createConvoy } from '@convoy/core'
 *
 * const convoy = await createConvoy({ manifest: 'public/static/convoy-manifest.json', gzipInTemplate: true })
 * convoy.url('css/base.css')                                // '/static/css/base.25b23dfca187.cmin.css'
 * convoy.url('css/base.css', { acceptEncoding: 'gzip, br' }) // '/static/css/base.25b23dfca187.cmin.css.gz'
 * convoy.carpool('js', ['js/a.js', 'js/b.js'])              // '<!-- carpool js: 2 files -->\n<script …'
 */
export async function createConvoy(options: CreateConvoyOptions): Promise<Convoy> {
  const { loadConvoy } = await import('./convoy.js')
  return loadConvoy(options)
}
