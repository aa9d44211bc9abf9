import mime from 'mime'

const TEXTUAL = new Set(['application/javascript', 'application/json', 'application/xml', 'image/svg+xml'])

/**
 * The `Content-Type` of a storage path from its extension (the `mime` database), with `charset=utf-8` for text
 * (Convoy's outputs are UTF-8), and `application/octet-stream` when the extension is unknown.
 *
 * @example
 * contentTypeOf('css/base.25b23dfca187.cmin.css') // 'text/css; charset=utf-8'
 * contentTypeOf('img/logo.png')                   // 'image/png'
 */
export function contentTypeOf(path: string): string {
  const type = mime.getType(path)
  if (type === null) return 'application/octet-stream'
  if (type.startsWith('text/') || TEXTUAL.has(type) || type.endsWith('+json') || type.endsWith('+xml')) {
    return `${type}; charset=utf-8`
  }
  return type
}
