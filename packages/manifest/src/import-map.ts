import type { Manifest } from './types.js'

/** Options of {@link createImportMap}. */
export interface ImportMapOptions {
  /** URL prefix of the storage root. Default: the manifest's `baseUrl`. A missing trailing `/` is added. */
  readonly baseUrl?: string
  /** Which logical paths get a mapping. Default: files ending in `.js` or `.mjs`. */
  readonly include?: (logicalPath: string) => boolean
}

/** A browser import map (`<script type="importmap">`), with subresource integrity for the mapped modules. */
export interface ImportMap {
  /** Unfingerprinted module URL → served (fingerprinted) URL. */
  readonly imports: Record<string, string>
  /** Served URL → its SRI integrity, checked by the browser when the module loads. */
  readonly integrity: Record<string, string>
}

const isModule = (logicalPath: string): boolean => /\.m?js$/.test(logicalPath)

/**
 * An import map that sends ES modules importing unfingerprinted URLs (`/static/js/util.js`) to the fingerprinted
 * ones, with their integrity. Keys are sorted. Serialize it with `JSON.stringify` into a
 * `<script type="importmap">` placed before any module script (escape `<` if the map is inlined in HTML).
 *
 * @example
 * createImportMap(manifest)
 * // { imports: { '/static/js/app.js': '/static/js/app.3f1c9a0b2d4e.cmin.js' },
 * //   integrity: { '/static/js/app.3f1c9a0b2d4e.cmin.js': 'sha384-…' } }
 */
export function createImportMap(manifest: Manifest, options: ImportMapOptions = {}): ImportMap {
  const { include = isModule } = options
  let base = options.baseUrl ?? manifest.baseUrl
  if (base !== '' && !base.endsWith('/')) base += '/'
  const modules = Object.keys(manifest.files)
    .sort()
    .filter((logicalPath) => include(logicalPath))
    .map((logicalPath) => [`${base}${logicalPath}`, manifest.files[logicalPath]!] as const)
  return {
    imports: Object.fromEntries(modules.map(([url, entry]) => [url, `${base}${entry.served}`])),
    integrity: Object.fromEntries(modules.map(([, entry]) => [`${base}${entry.served}`, entry.integrity])),
  }
}
