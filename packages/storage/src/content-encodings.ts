/** What storage knows of a precompressed encoding: the extension of its sibling files. */
export interface ContentEncodingInfo {
  /** Suffix of the sibling file, e.g. `.gz`. */
  readonly extension: string
}

/**
 * Every precompressed encoding a stored sibling can have, by its `Content-Encoding` token. The one table of names
 * and extensions: `@convoy/gzip`'s encoders, the manifest, the storages and the servers read it, so a new encoding
 * is one entry here and one in `@convoy/gzip`'s `ENCODINGS` (see docs/architecture.md).
 */
export const CONTENT_ENCODINGS = Object.freeze({
  gzip: Object.freeze({ extension: '.gz' }),
  br: Object.freeze({ extension: '.br' }),
} satisfies Record<string, ContentEncodingInfo>)

/** A `Content-Encoding` token in {@link CONTENT_ENCODINGS}: `'gzip' | 'br'`. */
export type ContentEncoding = keyof typeof CONTENT_ENCODINGS

/** Every name in {@link CONTENT_ENCODINGS}, in table order. */
export const CONTENT_ENCODING_NAMES = Object.freeze(Object.keys(CONTENT_ENCODINGS)) as readonly ContentEncoding[]

/**
 * The encoding of a sibling file by its extension (`app.js.br` → `br`), or `undefined` for a file that is not one.
 *
 * @example
 * contentEncodingOfPath('css/a.1b2c3d4e5f6a.css.gz') // 'gzip'
 * contentEncodingOfPath('img/logo.png')              // undefined
 */
export function contentEncodingOfPath(path: string): ContentEncoding | undefined {
  for (const name of CONTENT_ENCODING_NAMES) if (path.endsWith(CONTENT_ENCODINGS[name].extension)) return name
  return undefined
}

/**
 * The path of `path`'s precompressed sibling in `encoding` (the inverse of {@link withoutEncodingExtension}).
 *
 * @example
 * encodedSiblingPath('css/base.25b23dfca187.css', 'br') // 'css/base.25b23dfca187.css.br'
 */
export function encodedSiblingPath(path: string, encoding: ContentEncoding): string {
  return `${path}${CONTENT_ENCODINGS[encoding].extension}`
}

/**
 * The path of the file inside a sibling (`app.js.br` → `app.js`); any other path unchanged.
 *
 * @example
 * withoutEncodingExtension('css/base.css.gz') // 'css/base.css'
 * withoutEncodingExtension('img/logo.png')    // 'img/logo.png'
 */
export function withoutEncodingExtension(path: string): string {
  const encoding = contentEncodingOfPath(path)
  return encoding === undefined ? path : path.slice(0, -CONTENT_ENCODINGS[encoding].extension.length)
}
