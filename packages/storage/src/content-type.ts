import mime from 'mime'
import { withoutEncodingExtension } from './content-encodings.js'

const TEXT_APPLICATION_TYPES = new Set(['application/javascript', 'application/json', 'application/xml', 'image/svg+xml'])

/**
 * The `Content-Type` a storage path is stored and served with: from its extension (the `mime` database, bundled),
 * with `charset=utf-8` for text (Convoy's text outputs are UTF-8), `application/octet-stream` when unknown. A
 * sibling of a `CONTENT_ENCODINGS` encoding (`.gz`, `.br`) has the type of the file inside it.
 *
 * @example
 * contentTypeOf('css/base.25b23dfca187.cmin.css.gz') // 'text/css; charset=utf-8'
 * contentTypeOf('img/logo.png')                      // 'image/png'
 * contentTypeOf('Makefile')                          // 'application/octet-stream'
 */
export function contentTypeOf(path: string): string {
  const type = mime.getType(withoutEncodingExtension(path))
  if (type === null) return 'application/octet-stream'
  const textual = type.startsWith('text/') || TEXT_APPLICATION_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml')
  return textual ? `${type}; charset=utf-8` : type
}
