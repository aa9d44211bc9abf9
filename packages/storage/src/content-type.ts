import type { default as MimeDatabase } from 'mime'
import { deltaOfPath, withoutEncodingExtension } from './content-encodings.js'

// `require`d, not imported: tsup then bundles mime behind a lazy initializer, so its database (about 60 KB of
// literals, some 15 ms to compile and index) is only built by the first call, and a web process that imports this
// package for the Storage contract alone never pays for it. Vitest gives source modules the same `require`.
declare const require: (id: 'mime') => { default: typeof MimeDatabase }
let mime: typeof MimeDatabase | undefined
const database = (): typeof MimeDatabase => (mime ??= require('mime').default)

const TEXT_APPLICATION_TYPES = new Set(['application/javascript', 'application/json', 'application/xml', 'image/svg+xml'])

/**
 * The `Content-Type` a storage path is stored and served with: from its extension (the `mime` database, bundled),
 * with `charset=utf-8` for text (Convoy's text outputs are UTF-8), `application/octet-stream` when unknown. A
 * sibling of a `CONTENT_ENCODINGS` encoding (`.gz`, `.br`, `.zst`) has the type of the file inside it, and so has a
 * delta (`deltaPath()`: `….9f86d081884c7d65.dcz`).
 *
 * @example
 * contentTypeOf('css/base.25b23dfca187.cmin.css.gz') // 'text/css; charset=utf-8'
 * contentTypeOf('js/app.1a2b3c4d5e6f.cmin.js.9f86d081884c7d65.dcz') // 'text/javascript; charset=utf-8'
 * contentTypeOf('img/logo.png')                      // 'image/png'
 * contentTypeOf('Makefile')                          // 'application/octet-stream'
 */
export function contentTypeOf(path: string): string {
  const type = database().getType(deltaOfPath(path)?.target ?? withoutEncodingExtension(path))
  if (type === null) return 'application/octet-stream'
  const textual = type.startsWith('text/') || TEXT_APPLICATION_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml')
  return textual ? `${type}; charset=utf-8` : type
}
