// The HTTPS-sign table (DESIGN §12): one row per header a client or proxy might send, and whether it is a sign of
// HTTPS. Plain data: `isHttpsRequest` runs it in @convoy/http, and `runAdapterTestSuite` sends every row to each
// adapter's compression over real HTTP (a sign → never compressed).
//
// Two signs cannot be a header row over HTTP/1.1 and are tested by each package on its own: a TLS socket (a real TLS
// server) and the HTTP/2 pseudo-header `:scheme`.

/** One request header and whether it alone must count as HTTPS. */
export interface HttpsSignCase {
  /** The header name as a client or proxy writes it (any case; Node lower-cases it). */
  readonly header: string
  /** The value; an array is sent as repeated header lines, which Node joins into one `, `-separated value. */
  readonly value: string | readonly string[]
  /** `true`: a sign of HTTPS, so no adapter may compress. `false`: plain HTTP, compressed as usual. */
  readonly https: boolean
}

/**
 * Every header sign of HTTPS Convoy knows (`X-Forwarded-Proto`, `Forwarded`, `X-Forwarded-Port: 443`, `CF-Visitor`,
 * `X-ARR-SSL`…) in its tricky spellings, with look-alikes that are not signs.
 */
export const HTTPS_SIGN_CASES: readonly HttpsSignCase[] = [
  // Scheme headers: https (or wss) anywhere in a comma list, any case, any surrounding spaces.
  { header: 'X-Forwarded-Proto', value: 'https', https: true },
  { header: 'X-Forwarded-Proto', value: 'HTTPS', https: true },
  { header: 'x-forwarded-proto', value: '  Https  ', https: true },
  { header: 'X-Forwarded-Proto', value: 'http, https', https: true },
  { header: 'X-Forwarded-Proto', value: 'https,http', https: true },
  { header: 'X-Forwarded-Proto', value: 'http ,\thttps , http', https: true },
  { header: 'X-Forwarded-Proto', value: 'http,  HTTPS  , http', https: true },
  { header: 'X-Forwarded-Proto', value: ['http', 'https'], https: true },
  { header: 'X-Forwarded-Proto', value: 'wss', https: true },
  { header: 'X-Forwarded-Proto', value: 'http', https: false },
  { header: 'X-Forwarded-Proto', value: 'http, http', https: false },
  { header: 'X-Forwarded-Proto', value: 'httpsx', https: false },
  { header: 'X-Forwarded-Proto', value: '', https: false },
  { header: 'X-Forwarded-Protocol', value: 'https', https: true },
  { header: 'X-Forwarded-Protocol', value: 'HTTPS', https: true },
  { header: 'X-Forwarded-Protocol', value: 'http, https', https: true },
  { header: 'X-Forwarded-Protocol', value: 'http', https: false },
  { header: 'X-Forwarded-Scheme', value: 'https', https: true },
  { header: 'X-Forwarded-Scheme', value: ' HTTPS ', https: true },
  { header: 'X-Forwarded-Scheme', value: 'http', https: false },
  { header: 'X-Scheme', value: 'https', https: true },
  { header: 'X-SCHEME', value: 'Https', https: true },
  { header: 'X-Scheme', value: 'http,https', https: true },
  { header: 'X-Scheme', value: 'http', https: false },
  { header: 'X-Url-Scheme', value: 'https', https: true },
  { header: 'X-Url-Scheme', value: 'HTTP, HTTPS', https: true },
  { header: 'X-Url-Scheme', value: 'http', https: false },
  { header: 'CloudFront-Forwarded-Proto', value: 'https', https: true },
  { header: 'CloudFront-Forwarded-Proto', value: 'http', https: false },

  // X-Forwarded-Port: 443 anywhere in a comma list.
  { header: 'X-Forwarded-Port', value: '443', https: true },
  { header: 'X-FORWARDED-PORT', value: ' 443 ', https: true },
  { header: 'X-Forwarded-Port', value: '80, 443', https: true },
  { header: 'X-Forwarded-Port', value: '443,80', https: true },
  { header: 'X-Forwarded-Port', value: '8080 , 443 , 80', https: true },
  { header: 'X-Forwarded-Port', value: ['80', '443'], https: true },
  { header: 'X-Forwarded-Port', value: '80', https: false },
  { header: 'X-Forwarded-Port', value: '8443', https: false },
  { header: 'X-Forwarded-Port', value: '4430', https: false },
  { header: 'X-Forwarded-Port', value: '80, 8080', https: false },
  { header: 'X-Forwarded-Port', value: '', https: false },

  // Forwarded (RFC 7239): proto=https in any element and any pair, quoted or not.
  { header: 'Forwarded', value: 'proto=https', https: true },
  { header: 'Forwarded', value: 'PROTO=HTTPS', https: true },
  { header: 'Forwarded', value: 'proto="https"', https: true },
  { header: 'Forwarded', value: 'for=192.0.2.60;proto=https;by=203.0.113.43', https: true },
  { header: 'Forwarded', value: 'for=192.0.2.60; proto = https', https: true },
  { header: 'Forwarded', value: 'for=192.0.2.43, for=198.51.100.17;proto=https', https: true },
  { header: 'Forwarded', value: 'for=192.0.2.43;proto=https, for=198.51.100.17;proto=http', https: true },
  { header: 'Forwarded', value: 'for="[2001:db8:cafe::17]:4711";proto="https"', https: true },
  { header: 'Forwarded', value: 'for=192.0.2.43, for="[2001:db8:cafe::17]";proto=https', https: true },
  { header: 'Forwarded', value: 'for="a,b;c";proto=https', https: true },
  { header: 'Forwarded', value: 'proto="ht\\tps"', https: true },
  { header: 'Forwarded', value: ['for=1.2.3.4', 'proto=https'], https: true },
  { header: 'Forwarded', value: 'proto=http', https: false },
  { header: 'Forwarded', value: 'for=192.0.2.60;proto=http', https: false },
  { header: 'Forwarded', value: 'for=192.0.2.60;proto="http"', https: false },
  { header: 'Forwarded', value: 'for=192.0.2.60;by=https', https: false },
  { header: 'Forwarded', value: 'host=https', https: false },

  // Flags: on (any value but off) for HTTPS.
  { header: 'X-Forwarded-Ssl', value: 'on', https: true },
  { header: 'X-Forwarded-Ssl', value: 'On', https: true },
  { header: 'X-Forwarded-Ssl', value: ' ON ', https: true },
  { header: 'X-Forwarded-Ssl', value: 'off', https: false },
  { header: 'X-Forwarded-Ssl', value: 'OFF', https: false },
  { header: 'X-Forwarded-Ssl', value: '', https: false },
  { header: 'Front-End-Https', value: 'on', https: true },
  { header: 'Front-End-Https', value: 'ON', https: true },
  { header: 'Front-End-Https', value: 'On', https: true },
  { header: 'Front-End-Https', value: 'off', https: false },

  // CF-Visitor (Cloudflare): a JSON object with scheme https, read leniently.
  { header: 'CF-Visitor', value: '{"scheme":"https"}', https: true },
  { header: 'CF-Visitor', value: '{"scheme":"HTTPS"}', https: true },
  { header: 'cf-visitor', value: ' { "scheme" : "https" } ', https: true },
  { header: 'CF-Visitor', value: '{"Scheme":"https"}', https: true },
  { header: 'CF-Visitor', value: '{"scheme":"\\u0068ttps"}', https: true },
  { header: 'CF-Visitor', value: '{"scheme":"https"', https: true },
  { header: 'CF-Visitor', value: "{scheme: 'https'}", https: true },
  { header: 'CF-Visitor', value: 'scheme=https', https: true },
  { header: 'CF-Visitor', value: 'https', https: true },
  { header: 'CF-Visitor', value: ['{"scheme":"http"}', '{"scheme":"https"}'], https: true },
  { header: 'CF-Visitor', value: '{"scheme":"http"}', https: false },
  { header: 'CF-Visitor', value: '{"scheme":"httpsx"}', https: false },
  { header: 'CF-Visitor', value: '{}', https: false },
  { header: 'CF-Visitor', value: '', https: false },

  // X-ARR-SSL (IIS Application Request Routing): present with any non-empty value, whatever it says.
  { header: 'X-ARR-SSL', value: '2048|256|C=US, O=Example CA, CN=Example TLS CA|CN=www.example.com', https: true },
  { header: 'x-arr-ssl', value: '1', https: true },
  { header: 'X-ARR-SSL', value: 'off', https: true },
  { header: 'X-ARR-SSL', value: '', https: false },
  { header: 'X-ARR-SSL', value: '   ', https: false },

  // Headers that look alike but are not signs.
  { header: 'X-Forwarded-Host', value: 'https', https: false },
  { header: 'X-Forwarded-For', value: '443', https: false },
  { header: 'Referer', value: 'https://example.com/', https: false },
]
