import type { CompressOptions } from '@convoy/gzip'
import type { Storage } from '@convoy/storage'
import type { TemplatesEntry } from './carpool-templates.js'
import type { DeltaOptions } from './collect/stages/delta.js'

/** Which minifier runs for each kind of file; `false` turns one off. */
export interface MinifyConfig {
  /** Default `'terser'`; `'swc'` needs the optional peer `@swc/core`. */
  readonly js?: 'terser' | 'swc' | false
  /** Default `'clean-css'`; `'lightningcss'` needs the optional peer `lightningcss`. */
  readonly css?: 'clean-css' | 'lightningcss' | false
}

/**
 * Which precompressed siblings are written: `@convoy/gzip`'s settings, e.g.
 * `{ encodings: ['gzip', 'br'], levels: { gzip: 9, br: 11 }, maxRatio: 0.95 }`.
 */
export interface CompressConfig extends Pick<CompressOptions, 'encodings' | 'levels' | 'maxRatio' | 'largeInput'> {
  /**
   * Deltas for returning visitors (Compression Dictionary Transport, RFC 9842): each new version of a script or
   * stylesheet compressed against the earlier versions browsers hold (`dcb`, `dcz`), served by `@convoy/serve` and
   * the adapters. Default `true`: 3 versions, files of 1 KiB and more, each encoding this Node can build. `false`
   * turns them off.
   */
  readonly deltas?: boolean | DeltaOptions
  /** @deprecated use `encodings` and `levels: { gzip }`. gzip level 1–9, or `false` for none. */
  readonly gzip?: number | false
  /** @deprecated use `encodings` and `levels: { br }`. brotli quality 0–11, or `false` for none. */
  readonly brotli?: number | false
}

/** The public URL prefix of collected files when none is configured. */
export const DEFAULT_BASE_URL = '/static/'

/**
 * The `convoy.config.*` file. Paths are relative to the config file's folder; command-line flags override it.
 *
 * @example
 * // convoy.config.ts
 * import { defineConfig } from '@convoy/core'
 * export default defineConfig({ sources: ['assets', 'vendor'], out: 'public', baseUrl: '/static/' })
 */
export interface ConvoyConfig {
  /** Source directories, in order: when two hold the same logical path, the first wins. */
  readonly sources?: readonly string[]
  /** Output directory (a filesystem storage). Ignored when `storage` is given. */
  readonly out?: string
  /** Any `Storage`, e.g. `createS3Storage({...})`. */
  readonly storage?: Storage
  /** Public URL prefix of the collected files; root-relative references under it point into the tree. Default `/static/`. */
  readonly baseUrl?: string
  /** Extra glob patterns (picomatch, matched against logical paths) of files to leave out. */
  readonly ignore?: readonly string[]
  /** Fingerprint settings. Default md5, 12 hex characters. */
  readonly hash?: { readonly algorithm?: string; readonly length?: number }
  /** `false` turns minification off; an object picks the engines. Default on with terser and clean-css. */
  readonly minify?: boolean | MinifyConfig
  /** `false` turns precompression off; an object picks the encodings and levels. Default gzip 9 and brotli 11. */
  readonly compress?: boolean | CompressConfig
  /** Use a shipped `foo.min.css` as the minified form of `foo.css`. Default `true`. */
  readonly useExistingMin?: boolean
  /** Rewrite relative ES module specifiers (`import './x.js'`) to fingerprinted names. Default `false`. */
  readonly rewriteJsModules?: boolean
  /** Turn warnings (missing references, minify errors) into errors. Default `false`. */
  readonly strict?: boolean
  /** Persistent cache of minified and compressed outputs, or `false` for none. Default `node_modules/.cache/convoy`. */
  readonly cacheDir?: string | false
  /** Carpool bundles to build at collect time: name → kind and logical paths, in order. */
  readonly bundles?: Readonly<Record<string, { readonly kind: 'css' | 'js'; readonly members: readonly string[] }>>
  /**
   * Templates whose carpool blocks `collect` builds ahead of time: globs of Nunjucks templates (scanned by
   * `@convoy/nunjucks`, which must be installed), or `{ files: [globs], scanner }` entries for any engine whose
   * package exports a `TemplateScanner` (see `@convoy/carpool/layout`).
   */
  readonly templates?: readonly TemplatesEntry[]
  /**
   * Which symbolic links in the sources are followed. Default `'inside'`: only links whose real path stays inside a
   * source directory; any other is skipped with a warning. `'outside'` follows every link: whatever it points at is
   * published to the world, so use it only for links you made on purpose (a vendored folder).
   */
  readonly followSymlinks?: 'inside' | 'outside'
  /** Seconds to wait while another `collect` or `clean` holds the output directory's lock. Default `0`: fail at once with `ERR_CONVOY_CONFLICT`. */
  readonly lockTimeout?: number
}

/**
 * Types a config object; returns it unchanged.
 *
 * @example
 * export default defineConfig({ sources: ['static'], out: 'public' })
 */
export function defineConfig(config: ConvoyConfig): ConvoyConfig {
  return config
}
