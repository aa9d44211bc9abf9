/**
 * The parts of a request {@link isHttpsRequest} looks at. Node's `IncomingMessage`, Express's `Request`
 * and Connect's request all fit.
 */
export interface HttpsDetectableRequest {
  /** The connection; a TLS socket has `encrypted: true`. */
  readonly socket?: object | null | undefined
  /** Header names in lower case, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/** Headers whose value is a scheme (or a comma list of them, one per proxy hop). */
const SCHEME_HEADERS = [
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-url-scheme',
  'cloudfront-forwarded-proto',
  ':scheme',
] as const

/** Headers that proxies set to `on` for HTTPS (and, at most, `off` for HTTP). */
const FLAG_HEADERS = ['x-forwarded-ssl', 'front-end-https'] as const

/**
 * True when anything about the request says it reached us over HTTPS: a TLS socket, or any proxy header
 * that says so. This is deliberately trigger-happy: a false "yes" only costs compression, a false "no"
 * would expose the response to BREACH. A client that spoofs one of these headers can therefore only
 * switch compression off for itself. Express's `req.secure` is not used: it ignores proxy headers unless
 * `trust proxy` is set.
 *
 * Counts as HTTPS:
 * - `req.socket.encrypted` is truthy (Node's `TLSSocket`);
 * - `X-Forwarded-Proto`, `X-Forwarded-Scheme`, `X-Url-Scheme`, `CloudFront-Forwarded-Proto` or the
 *   HTTP/2 `:scheme` holding `https` or `wss` anywhere in its comma list, in any case, with any whitespace;
 * - `Forwarded` (RFC 7239) with `proto=https` (or `wss`) in any element and any pair, quoted or not;
 * - `X-Forwarded-Ssl` or `Front-End-Https` with any value but `off`.
 *
 * @example
 * import { isHttpsRequest } from '@convoy/middleware-gzip-http'
 *
 * isHttpsRequest({ headers: { 'x-forwarded-proto': 'http, HTTPS' } }) // true
 * isHttpsRequest({ headers: { forwarded: 'for=1.2.3.4;proto="https"' } }) // true
 * isHttpsRequest({ headers: { 'x-forwarded-ssl': 'off' } }) // false
 */
export function isHttpsRequest(req: HttpsDetectableRequest): boolean {
  const socket = req.socket as { readonly encrypted?: unknown } | null | undefined
  if (socket?.encrypted) return true

  const { headers } = req
  for (const name of SCHEME_HEADERS) {
    if (headerValues(headers[name]).some(isSecureScheme)) return true
  }
  if (headerValues(headers.forwarded).some(isSecureForwardedElement)) return true
  for (const name of FLAG_HEADERS) {
    if (headerValues(headers[name]).some((value) => value !== '' && value !== 'off')) return true
  }
  return false
}

/** Every comma-separated element of a header (repeated headers included), trimmed and lower-cased. */
function headerValues(header: string | string[] | undefined): string[] {
  if (header === undefined) return []
  const joined = Array.isArray(header) ? header.join(',') : header
  return joined.split(',').map((value) => value.trim().toLowerCase())
}

function isSecureScheme(value: string): boolean {
  return value === 'https' || value === 'wss'
}

/**
 * One `Forwarded` element, e.g. `for=1.2.3.4;proto=https`. The header was already split on every comma,
 * and here on every semicolon, even inside quoted strings: a quoted value can only add tokens, never hide
 * a real `proto=` pair, so the naive split can only err towards "HTTPS", the safe side.
 */
function isSecureForwardedElement(element: string): boolean {
  for (const pair of element.split(';')) {
    const equals = pair.indexOf('=')
    if (equals === -1 || pair.slice(0, equals).trim() !== 'proto') continue
    if (isSecureScheme(unquote(pair.slice(equals + 1).trim()))) return true
  }
  return false
}

/** `"https"` → `https`, with quoted-pairs (`\x`) unescaped; an unterminated quote is tolerated. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value
  const inner = value.endsWith('"') && value.length > 1 ? value.slice(1, -1) : value.slice(1)
  return inner.replace(/\\(.)/g, '$1').trim()
}
