import mime from 'mime'

const TEXT_APPLICATION_TYPES = new Set([
  'application/javascript',
  'application/json',
  'application/manifest+json',
  'application/ld+json',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'image/svg+xml',
])

/**
 * The `Content-Type` a collected file is stored and served with: from its extension, with `charset=utf-8` for text.
 * A `.gz`/`.br` sibling has the type of the file inside it.
 *
 * @example
 * contentTypeOf('css/base.25b23dfca187.cmin.css.gz') // 'text/css; charset=utf-8'
 */
export function contentTypeOf(path: string): string {
  const inner = path.endsWith('.gz') || path.endsWith('.br') ? path.slice(0, -3) : path
  const type = mime.getType(inner)
  if (type === null) return 'application/octet-stream'
  return type.startsWith('text/') || TEXT_APPLICATION_TYPES.has(type) ? `${type}; charset=utf-8` : type
}

/** Cache-Control for content-addressed files: their bytes can never change under that name. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'
/** Cache-Control for names whose bytes change between deploys: originals and the manifest. */
export const SHORT_CACHE_CONTROL = 'public, max-age=60'
