import { describe, expect, it } from 'vitest'
import { isHttpsRequest } from './is-https-request.js'

const headers = (name: string, value: string | string[]) => ({ headers: { [name]: value } })

describe('isHttpsRequest', () => {
  it('says yes for a TLS socket, whatever the headers say', () => {
    expect(isHttpsRequest({ socket: { encrypted: true }, headers: { 'x-forwarded-proto': 'http' } })).toBe(true)
  })

  it('says no for a plain socket without proxy headers', () => {
    expect(isHttpsRequest({ socket: { encrypted: false }, headers: {} })).toBe(false)
    expect(isHttpsRequest({ socket: null, headers: {} })).toBe(false)
    expect(isHttpsRequest({ headers: { host: 'example.com' } })).toBe(false)
  })

  it.each<[string, string | string[]]>([
    ['x-forwarded-proto', 'https'],
    ['x-forwarded-proto', 'HTTPS'],
    ['x-forwarded-proto', '  Https  '],
    ['x-forwarded-proto', 'http, https'],
    ['x-forwarded-proto', 'https,http'],
    ['x-forwarded-proto', 'http ,\thttps , http'],
    ['x-forwarded-proto', ['http', 'https']],
    ['x-forwarded-proto', 'wss'],
    ['x-forwarded-scheme', 'https'],
    ['x-url-scheme', 'https'],
    ['cloudfront-forwarded-proto', 'https'],
    [':scheme', 'https'],
    ['forwarded', 'proto=https'],
    ['forwarded', 'Proto=HTTPS'],
    ['forwarded', 'proto="https"'],
    ['forwarded', 'for=192.0.2.60;proto=https;by=203.0.113.43'],
    ['forwarded', 'for=192.0.2.60; proto = https'],
    ['forwarded', 'for=192.0.2.43, for=198.51.100.17;proto=https'],
    ['forwarded', 'for="[2001:db8:cafe::17]:4711";proto="https"'],
    ['forwarded', 'for="a,b;c";proto=https'],
    ['forwarded', 'proto="ht\\tps"'],
    ['forwarded', ['for=1.2.3.4', 'proto=https']],
    ['x-forwarded-ssl', 'on'],
    ['x-forwarded-ssl', 'On'],
    ['x-forwarded-ssl', ' ON '],
    ['front-end-https', 'on'],
    ['front-end-https', 'ON'],
  ])('says yes for %s: %j', (name, value) => {
    expect(isHttpsRequest(headers(name, value))).toBe(true)
  })

  it.each<[string, string]>([
    ['x-forwarded-proto', 'http'],
    ['x-forwarded-proto', 'http, http'],
    ['x-forwarded-proto', 'httpsx'],
    ['x-forwarded-proto', ''],
    ['forwarded', 'for=192.0.2.60;proto=http'],
    ['forwarded', 'for=192.0.2.60;by=https'],
    ['forwarded', 'host=https'],
    ['x-forwarded-ssl', 'off'],
    ['x-forwarded-ssl', 'OFF'],
    ['x-forwarded-ssl', ''],
    ['front-end-https', 'off'],
    ['x-forwarded-host', 'https'],
  ])('says no for %s: %j', (name, value) => {
    expect(isHttpsRequest(headers(name, value))).toBe(false)
  })
})
