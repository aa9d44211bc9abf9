// The header syntax of Compression Dictionary Transport (RFC 9842), framework-free: reading `Available-Dictionary`,
// writing `Use-As-Dictionary`, and the URL pattern a browser matches later requests against. Which answer to send
// (a delta or not) is decided by the servers (`@convoy/serve`); these are only the words they use.

/**
 * The `Vary` of every answer for a URL that has deltas or is offered as a dictionary: what is sent depends on both
 * `Accept-Encoding` (which codings the client takes) and `Available-Dictionary` (which dictionary it holds), so a
 * shared cache must key on both.
 */
export const DICTIONARY_VARY = 'Accept-Encoding, Available-Dictionary'

/**
 * RFC 8941 parameters after an item (`;key`, `;key=bare-item`), each bare item an integer, decimal, string, token,
 * byte sequence or boolean. RFC 9842 defines none for `Available-Dictionary`; well-formed ones are ignored, as
 * RFC 8941 §2 asks of parameters a field does not define.
 */
const SF_PARAMETERS =
  /(?:;[ ]*[a-z*][a-z0-9_\-.*]*(?:=(?:-?\d{1,12}\.\d{1,3}|-?\d{1,15}|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"|[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*|:[A-Za-z0-9+/=]*:|\?[01]))?)*/
  .source

/**
 * One sf-binary item holding 43 base64 characters (32 bytes) and its padding, surrounded by nothing but spaces. The
 * padding may be missing (RFC 8941 §4.2.7: parsers should not fail on that); nothing else may differ.
 */
const AVAILABLE_DICTIONARY = new RegExp(`^ *:([A-Za-z0-9+/]{43})=?:${SF_PARAMETERS} *$`)

/**
 * The hash an `Available-Dictionary` request header names (RFC 9842 §2.2): the SHA-256 of the dictionary the client
 * holds for this request, as the standard, padded base64 that `dictionaryHash()` of `@convoy/gzip` gives and the
 * manifest's `dictionary.hash` and `deltas` keys hold. `undefined` for anything but exactly one RFC 8941 byte
 * sequence of 32 bytes: no header, an empty one, another length, a token or string, a list (two headers joined with
 * a comma), characters outside base64. Parameters after it are ignored; a missing `=` is tolerated.
 *
 * @example
 * parseAvailableDictionary(':n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=:') // 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg='
 * parseAvailableDictionary('n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=')   // undefined: not a byte sequence
 * parseAvailableDictionary(':dGVzdA==:')                                     // undefined: 4 bytes, not 32
 */
export function parseAvailableDictionary(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = AVAILABLE_DICTIONARY.exec(header)
  if (match === null) return undefined
  // Written back canonically: the same 32 bytes always give the same key, whatever their padding bits said.
  return Buffer.from(match[1]!, 'base64').toString('base64')
}

/** An RFC 8941 sf-string: printable ASCII only, with `\` and `"` escaped. */
function sfString(value: string, what: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError(`@convoy/http: ${what} must be printable ASCII to be sent in Use-As-Dictionary (percent-encode the rest), got ${JSON.stringify(value)}`)
  }
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

/**
 * The `Use-As-Dictionary` response header (RFC 9842 §2.1) that asks a browser to keep this response as a dictionary
 * for later requests whose URL matches `urlPattern` (a URLPattern, e.g. from {@link dictionaryMatchPattern}) and,
 * when given, whose request destination is `destination` (a `<script>` or a stylesheet). Throws a `TypeError` when
 * the pattern holds a character an sf-string cannot carry (anything outside printable ASCII).
 *
 * @example
 * useAsDictionaryHeader('/static/js/app.*.cmin.js', 'script') // 'match="/static/js/app.*.cmin.js", match-dest=("script")'
 * useAsDictionaryHeader('/static/css/site.*.css')             // 'match="/static/css/site.*.css"'
 */
export function useAsDictionaryHeader(urlPattern: string, destination?: 'script' | 'style'): string {
  const match = `match=${sfString(urlPattern, 'the URL pattern')}`
  return destination === undefined ? match : `${match}, match-dest=(${sfString(destination, 'the destination')})`
}

/** The characters URLPattern reads as syntax in a pathname (its `*` included): escaped to stand for themselves. */
const URL_PATTERN_SYNTAX = /[+?:(){}\\*]/g
/** A lone surrogate, which `encodeURIComponent` refuses and the URL parser writes as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** A literal piece of a path, percent-encoded as the runtime's URLs are, then escaped for URLPattern. */
const literal = (text: string): string => encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD')).replace(URL_PATTERN_SYNTAX, '\\$&')

/**
 * The URLPattern (RFC 9842 `match`) that the request URLs of a dictionary's later versions match, relative to the
 * dictionary's own URL (the base a browser resolves `match` against): the file name of `match` (the manifest's
 * `dictionary.match`, a storage path with `*` where the fingerprint goes, `js/app.*.cmin.js`), percent-encoded as the
 * runtime encodes the URLs it writes into pages (`encodeURIComponent`), so the pattern and the URLs agree byte for
 * byte. Its first `*` stays the wildcard; every character URLPattern would read as syntax (`+ ? : ( ) { } \` and any
 * other `*`) is escaped with a backslash (RFC 9842 forbids regexp groups, which an unescaped `(` would start).
 * Relative, because every version of a file lives in its folder: the pattern holds wherever the files are mounted
 * (an Express `app.use('/static', …)` strips the prefix before the server sees it) and behind any CDN path.
 *
 * @example
 * dictionaryMatchPattern('js/app.*.cmin.js')          // 'app.*.cmin.js'
 * dictionaryMatchPattern('js/my app (v2).*.cmin.js')  // 'my%20app%20\\(v2\\).*.cmin.js'
 */
export function dictionaryMatchPattern(match: string): string {
  const last = match.slice(match.lastIndexOf('/') + 1)
  const star = last.indexOf('*')
  return star === -1 ? literal(last) : `${literal(last.slice(0, star))}*${literal(last.slice(star + 1))}`
}
