import { jsEngine } from './engines/index.js'
import type { MinifyJsOptions, MinifyJsResult } from './types.js'

/**
 * Minifies JavaScript with terser (default) or swc: compress + mangle, license comments kept. A syntax error
 * rejects with `ConvoyError` `ERR_CONVOY_STEP` carrying `file`, `line` and `column`; an engine that is not
 * installed rejects with `ERR_CONVOY_CONFIG`.
 *
 * @example
 * const { code, map } = await minifyJs(source, {
 *   filename: 'js/app.js',
 *   sourceMap: { source: 'app.3f2a9c1d4b5e.js', url: 'app.3f2a9c1d4b5e.cmin.js.map' },
 * })
 * // code ends with '//# sourceMappingURL=app.3f2a9c1d4b5e.cmin.js.map'
 */
export async function minifyJs(code: string, options: MinifyJsOptions): Promise<MinifyJsResult> {
  const engine = jsEngine(options.engine ?? 'terser')
  const { sourceMap, filename } = options
  return engine.minify(code, {
    filename,
    module: options.module ?? /\.mjs$/i.test(filename),
    sourceMap: sourceMap && { source: sourceMap.source, url: sourceMap.url, file: sourceMap.file ?? mapTarget(sourceMap.url) },
  })
}

/** `static/app.3f2a.cmin.js.map?v=1` → `app.3f2a.cmin.js`: the file a map describes, named like the map. */
function mapTarget(url: string): string {
  const path = url.replace(/[?#].*$/s, '')
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.map$/i, '')
}
