import { HTTPS_SIGN_CASES } from '@convoy/adapter-test-suite'
import { describe, expect, it } from 'vitest'
import { isHttpsRequest } from './is-https-request.js'

// The header signs are one shared table (@convoy/adapter-test-suite), run here on isHttpsRequest and end to end, over
// real HTTP, by every adapter's conformance test. The rest of this file covers what a single HTTP/1.1 header row
// cannot: the socket, the HTTP/2 `:scheme` pseudo-header, and several headers at once.
describe('isHttpsRequest on the HTTPS-sign table', () => {
  it.each(HTTPS_SIGN_CASES)('$header: $value → HTTPS $https', ({ header, value, https }) => {
    const headers = { [header.toLowerCase()]: typeof value === 'string' ? value : [...value] }
    expect(isHttpsRequest({ socket: { encrypted: false }, headers })).toBe(https)
  })

  it('reads the same headers from a Web Headers object', () => {
    for (const { header, value, https } of HTTPS_SIGN_CASES) {
      const headers = new Headers()
      for (const line of typeof value === 'string' ? [value] : value) headers.append(header, line)
      expect([header, value, isHttpsRequest({ headers })]).toEqual([header, value, https])
    }
  })
})

describe('isHttpsRequest', () => {
  it('says yes for a TLS socket, whatever the headers say', () => {
    expect(isHttpsRequest({ socket: { encrypted: true }, headers: { 'x-forwarded-proto': 'http' } })).toBe(true)
  })

  it('says no for a plain socket without proxy headers', () => {
    expect(isHttpsRequest({ socket: { encrypted: false }, headers: {} })).toBe(false)
    expect(isHttpsRequest({ socket: null, headers: {} })).toBe(false)
    expect(isHttpsRequest({ headers: { host: 'example.com' } })).toBe(false)
    expect(isHttpsRequest({ headers: { 'x-forwarded-proto': undefined, 'cf-visitor': undefined } })).toBe(false)
  })

  it.each<[string, boolean]>([
    ['https', true],
    ['HTTPS', true],
    ['wss', true],
    ['http', false],
  ])('reads the HTTP/2 :scheme pseudo-header: %j → %s', (scheme, expected) => {
    expect(isHttpsRequest({ headers: { ':scheme': scheme } })).toBe(expected)
  })

  it('says yes when any one header says HTTPS, though the others say HTTP', () => {
    const plain = {
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '80',
      forwarded: 'proto=http',
      'x-forwarded-ssl': 'off',
      'cf-visitor': '{"scheme":"http"}',
    }
    expect(isHttpsRequest({ headers: plain })).toBe(false)
    for (const [name, value] of Object.entries({
      'x-scheme': 'https',
      'x-forwarded-port': '80, 443',
      'cf-visitor': '{"scheme":"https"}',
      'x-arr-ssl': '1',
    })) {
      expect(isHttpsRequest({ headers: { ...plain, [name]: value } }), name).toBe(true)
    }
  })
})
