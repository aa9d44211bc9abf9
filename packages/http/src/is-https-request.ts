/** Web `Headers` (Fetch API, Hono, Deno, Bun): looked up by name, repeated headers joined with `, `. */
export interface HeaderReader {
  get(name: string): string | null
}

/**
 * The parts of a request {@link isHttpsRequest} looks at. Node's `IncomingMessage`, Express's `Request`,
 * Connect's, Fastify's `request.raw` and Koa's `ctx.req` fit as they are; for a Web `Request`, pass
 * `{ headers: request.headers, socket: { encrypted: new URL(request.url).protocol === 'https:' } }`.
 */
export interface HttpsDetectableRequest {
  /** The connection; a TLS socket has `encrypted: true`. */
  readonly socket?: object | null | undefined
  /** Node's header object (names in lower case, as Node gives them) or Web `Headers`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>> | HeaderReader
}

type Header = string | readonly string[] | undefined

/** Headers whose value is a scheme (or a comma list of them, one per proxy hop): HTTPS if any is `https`. */
const SCHEME_HEADERS = [
  'x-forwarded-proto',
  'x-forwarded-protocol',
  'x-forwarded-scheme',
  'x-scheme',
  'x-url-scheme',
  'cloudfront-forwarded-proto',
  ':scheme',
] as const

/** Headers whose value is the port the client connected to (or a comma list of them): HTTPS if any is 443. */
const PORT_HEADERS = ['x-forwarded-port'] as const

/** Headers that proxies set to `on` for HTTPS (and, at most, `off` for HTTP): HTTPS unless empty or `off`. */
const FLAG_HEADERS = ['x-forwarded-ssl', 'front-end-https'] as const

/** Headers that proxies only send for HTTPS (IIS ARR: the client certificate's details): HTTPS if non-empty. */
const PRESENCE_HEADERS = ['x-arr-ssl'] as const

/** Headers holding a JSON object with a `scheme` (Cloudflare: `{"scheme":"https"}`), read leniently. */
const JSON_SCHEME_HEADERS = ['cf-visitor'] as const

/** The headers RFC 7239 defines: comma-separated elements of `;`-separated `name=value` pairs. */
const FORWARDED_HEADERS = ['forwarded'] as const

/** Each family of headers and what, in one of them, says HTTPS. Checked in order; the first sign wins. */
const HEADER_SIGNS: readonly (readonly [names: readonly string[], says: (header: Header) => boolean])[] = [
  [SCHEME_HEADERS, (header) => headerValues(header).some(isSecureScheme)],
  [FORWARDED_HEADERS, (header) => headerValues(header).some(isSecureForwardedElement)],
  [PORT_HEADERS, (header) => headerValues(header).includes('443')],
  [FLAG_HEADERS, (header) => headerValues(header).some((value) => value !== '' && value !== 'off')],
  [PRESENCE_HEADERS, (header) => headerLines(header).some((line) => line.trim() !== '')],
  [JSON_SCHEME_HEADERS, (header) => headerLines(header).some(isSecureJsonScheme)],
]

/**
 * True when anything about the request says it reached us over HTTPS: a TLS socket, or any proxy header
 * that says so. This is deliberately trigger-happy: a false "yes" only costs compression, a false "no"
 * would expose the response to BREACH. A client that spoofs one of these headers can therefore only
 * switch compression off for itself. Express's `req.secure` is not used: it ignores proxy headers unless
 * `trust proxy` is set.
 *
 * Counts as HTTPS (any one is enough; header names and values in any case, surrounding spaces ignored,
 * repeated headers read as one comma list):
 * - `req.socket.encrypted` is truthy (Node's `TLSSocket`);
 * - `X-Forwarded-Proto`, `X-Forwarded-Protocol`, `X-Forwarded-Scheme`, `X-Scheme`, `X-Url-Scheme`,
 *   `CloudFront-Forwarded-Proto` or the HTTP/2 `:scheme` holding `https` (or `wss`) anywhere in its comma
 *   list;
 * - `X-Forwarded-Port` holding `443` anywhere in its comma list;
 * - `Forwarded` (RFC 7239) with `proto=https` (or `wss`) in any element and any pair, quoted or not;
 * - `X-Forwarded-Ssl` or `Front-End-Https` with any value but `off` (proxies send `on`);
 * - `X-ARR-SSL` (IIS Application Request Routing) with any non-empty value;
 * - `CF-Visitor` (Cloudflare) with scheme `https` (or `wss`): `{"scheme":"https"}`, read leniently — any
 *   mention of `scheme` followed by `https`, valid JSON or not, or a bare `https`, counts.
 *
 * @example
 * import { isHttpsRequest } from '@convoy/middleware-gzip-http'
 *
 * isHttpsRequest({ headers: { 'x-forwarded-proto': 'http, HTTPS' } }) // true
 * isHttpsRequest({ headers: { forwarded: 'for=1.2.3.4;proto="https"' } }) // true
 * isHttpsRequest({ headers: { 'x-forwarded-port': '443' } }) // true
 * isHttpsRequest({ headers: { 'cf-visitor': '{"scheme":"https"}' } }) // true
 * isHttpsRequest({ headers: { 'x-forwarded-ssl': 'off' } }) // false
 */
export function isHttpsRequest(req: HttpsDetectableRequest): boolean {
  const socket = req.socket as { readonly encrypted?: unknown } | null | undefined
  if (socket?.encrypted) return true

  return hasHttpsHeader(req.headers)
}

/**
 * True when any request header is a sign of HTTPS (everything {@link isHttpsRequest} checks but the socket): for
 * adapters that learn about TLS some other way.
 */
export function hasHttpsHeader(headers: HttpsDetectableRequest['headers']): boolean {
  // Web Headers refuse the name of an HTTP/2 pseudo-header (`:scheme`), which they can never hold anyway.
  const read: (name: string) => Header =
    typeof headers.get === 'function'
      ? (name) => (name.startsWith(':') ? undefined : ((headers as HeaderReader).get(name) ?? undefined))
      : (name) => (headers as Record<string, Header>)[name]
  for (const [names, says] of HEADER_SIGNS) {
    for (const name of names) {
      const header = read(name)
      if (header !== undefined && says(header)) return true
    }
  }
  return false
}

/** Each line of a header: one for a string, several for a repeated header given as an array. */
function headerLines(header: Header): readonly string[] {
  if (header === undefined) return []
  return typeof header === 'string' ? [header] : header
}

/** Every comma-separated element of a header (repeated headers included), trimmed and lower-cased. */
function headerValues(header: Header): string[] {
  return headerLines(header)
    .join(',')
    .split(',')
    .map((value) => value.trim().toLowerCase())
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

/** `scheme`, then only punctuation and spaces (`":"`, `=`, `: '`), then a secure scheme as a whole word. */
const SCHEME_MENTION = /scheme\W*(?:https|wss)\b/

/**
 * One line of a JSON-valued header such as `CF-Visitor: {"scheme":"https"}`. Fails safe: the text is first
 * searched for a mention of a secure scheme (so truncated, non-JSON or concatenated values still count),
 * then parsed as JSON (so escapes such as `\u0068ttps` count too); a bare `https` counts as well.
 */
function isSecureJsonScheme(line: string): boolean {
  const value = line.trim().toLowerCase()
  if (SCHEME_MENTION.test(value) || isSecureScheme(unquote(value))) return true
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return false
  }
  const scheme = typeof parsed === 'object' && parsed !== null ? (parsed as { readonly scheme?: unknown }).scheme : parsed
  return typeof scheme === 'string' && isSecureScheme(scheme.trim().toLowerCase())
}
