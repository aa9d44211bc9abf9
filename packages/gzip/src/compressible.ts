import { createRequire } from 'node:module'

// mime-db, behind `compressible`, is a large JSON: loaded on the first call, so importing @convoy/gzip for content
// negotiation alone (a web process) does not pay for it.
let compressibleType: ((type: string) => boolean | undefined) | undefined
const compressible = (type: string): boolean | undefined => {
  compressibleType ??= createRequire(import.meta.url)('compressible') as (type: string) => boolean | undefined
  return compressibleType(type)
}

/**
 * Extensions (lowercase, without the dot) of files worth precompressing, used when no content type is known:
 * text and markup, scripts and styles (and their sources, for source maps), data formats, source maps, wasm,
 * uncompressed images (ico, cur, bmp) and uncompressed fonts (ttf, otf, eot, ttc). Not listed, so never
 * compressed: already-compressed images (png, jpg, gif, webp, avif), woff/woff2, archives, audio, video, pdf.
 */
export const COMPRESSIBLE_EXTENSIONS: ReadonlySet<string> = new Set([
  // markup and text
  'html', 'htm', 'xhtml', 'xml', 'xsl', 'xslt', 'rss', 'atom', 'rdf', 'svg', 'txt', 'text', 'md', 'markdown',
  'csv', 'tsv', 'ics', 'vtt', 'srt', 'webmanifest', 'manifest', 'appcache',
  // scripts, styles and the sources a source map may point at
  'js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'css', 'less', 'scss', 'sass', 'map',
  // data
  'json', 'jsonld', 'geojson', 'topojson', 'yaml', 'yml', 'toml', 'graphql', 'gql',
  // binaries that are not compressed already
  'wasm', 'ico', 'cur', 'bmp', 'ttf', 'otf', 'eot', 'ttc',
])

export interface CompressibleOptions {
  /** More content types to compress (matched without parameters, any case), e.g. `['application/x-ndjson']`. */
  readonly extraTypes?: readonly string[] | undefined
  /** More extensions to compress, with or without the dot, e.g. `['glsl', '.hbs']`. */
  readonly extraExtensions?: readonly string[] | undefined
}

/**
 * Whether a file is worth a `.gz`/`.br` sibling. With a content type, mime-db's `compressible` flag decides
 * (`text/*`, `+json`, `+xml` included); a type it does not know, or `application/octet-stream`, falls back to the
 * path's extension in {@link COMPRESSIBLE_EXTENSIONS}.
 *
 * @example
 * isCompressible('css/base.css')                      // true
 * isCompressible('img/logo.png')                      // false
 * isCompressible('fonts/a.woff2')                     // false
 * isCompressible('data/feed', 'application/rss+xml')  // true
 */
export function isCompressible(path: string, contentType?: string, options?: CompressibleOptions): boolean {
  if (contentType !== undefined) {
    const type = mediaType(contentType)
    if (options?.extraTypes?.some((extra) => mediaType(extra) === type)) return true
    // mime-db marks octet-stream compressible, but it says nothing about the bytes: let the extension decide.
    if (type !== '' && type !== 'application/octet-stream') {
      const verdict = compressible(type)
      if (verdict !== undefined) return verdict
    }
  }
  const extension = extensionOf(path)
  if (extension === '') return false
  if (COMPRESSIBLE_EXTENSIONS.has(extension)) return true
  return options?.extraExtensions?.some((extra) => extra.replace(/^\./, '').toLowerCase() === extension) ?? false
}

function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

function extensionOf(path: string): string {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase()
}
