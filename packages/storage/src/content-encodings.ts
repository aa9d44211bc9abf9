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
  // Opt-in: `@convoy/gzip` writes it only when asked, on a Node.js whose node:zlib has zstd.
  zstd: Object.freeze({ extension: '.zst' }),
} satisfies Record<string, ContentEncodingInfo>)

/** A `Content-Encoding` token in {@link CONTENT_ENCODINGS}: `'gzip' | 'br' | 'zstd'`. */
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

/**
 * The dictionary-compressed encodings of Compression Dictionary Transport (RFC 9842), by `Content-Encoding` token:
 * `dcb` (brotli) and `dcz` (zstd). A delta is not a sibling: it is the target file compressed against one earlier
 * file (the dictionary), so one file may have a delta per dictionary, each named with the dictionary's hash
 * ({@link deltaPath}). Never iterate these with the siblings of {@link CONTENT_ENCODING_NAMES}.
 */
export const DELTA_ENCODINGS = Object.freeze({
  dcb: Object.freeze({ extension: '.dcb' }),
  dcz: Object.freeze({ extension: '.dcz' }),
} satisfies Record<string, ContentEncodingInfo>)

/** A `Content-Encoding` token in {@link DELTA_ENCODINGS}: `'dcb' | 'dcz'`. */
export type DeltaEncoding = keyof typeof DELTA_ENCODINGS

/** Every name in {@link DELTA_ENCODINGS}, in table order. */
export const DELTA_ENCODING_NAMES = Object.freeze(Object.keys(DELTA_ENCODINGS)) as readonly DeltaEncoding[]

/** How many hex digits of the dictionary's SHA-256 a delta's name carries: 64 bits, enough to tell a file's dictionaries apart. */
const DELTA_HASH_DIGITS = 16
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/
const DELTA_SUFFIX = new RegExp(
  `\\.[0-9a-f]{${DELTA_HASH_DIGITS}}(${DELTA_ENCODING_NAMES.map((name) => DELTA_ENCODINGS[name].extension.replaceAll('.', '\\.')).join('|')})$`,
)

/**
 * The storage path of the delta of `served` against a dictionary, in `encoding`: `served`, then the first 16 hex
 * digits of the dictionary's SHA-256, then the encoding's extension. `dictionaryHash` is that SHA-256 as standard
 * base64 (the form of `Available-Dictionary: :…:` and of `@convoy/gzip`'s `dictionaryHash()`). Throws a `TypeError`
 * when it is not 32 bytes in standard, padded base64.
 *
 * @example
 * deltaPath('js/app.1a2b3c4d5e6f.cmin.js', 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=', 'dcz')
 * // 'js/app.1a2b3c4d5e6f.cmin.js.9f86d081884c7d65.dcz'
 */
export function deltaPath(served: string, dictionaryHash: string, encoding: DeltaEncoding): string {
  if (!Object.hasOwn(DELTA_ENCODINGS, encoding)) {
    throw new TypeError(`@convoy/storage: unknown delta encoding ${JSON.stringify(encoding)} (known: ${DELTA_ENCODING_NAMES.join(', ')})`)
  }
  // The regex alone would let through a last character whose low bits are not zero (not the canonical encoding).
  const bytes = BASE64_SHA256.test(dictionaryHash) ? Buffer.from(dictionaryHash, 'base64') : undefined
  if (bytes === undefined || bytes.length !== 32 || bytes.toString('base64') !== dictionaryHash) {
    throw new TypeError(`@convoy/storage: a dictionary hash is a SHA-256 in standard base64 (44 characters ending in "="), got ${JSON.stringify(dictionaryHash)}`)
  }
  return `${served}.${bytes.toString('hex', 0, DELTA_HASH_DIGITS / 2)}${DELTA_ENCODINGS[encoding].extension}`
}

/**
 * The file a delta path is the delta of, and its encoding (the inverse of {@link deltaPath}), or `undefined` for a
 * path that is not a delta's.
 *
 * @example
 * deltaOfPath('js/app.1a2b3c4d5e6f.cmin.js.9f86d081884c7d65.dcz') // { target: 'js/app.1a2b3c4d5e6f.cmin.js', encoding: 'dcz' }
 * deltaOfPath('js/app.1a2b3c4d5e6f.cmin.js.br')                  // undefined
 */
export function deltaOfPath(path: string): { target: string; encoding: DeltaEncoding } | undefined {
  const match = DELTA_SUFFIX.exec(path)
  if (match === null || match.index === 0) return undefined
  const encoding = DELTA_ENCODING_NAMES.find((name) => DELTA_ENCODINGS[name].extension === match[1])!
  return { target: path.slice(0, match.index), encoding }
}
