import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { bindConvoyToRequest, checkConvoyResolver, type ConvoyLookupOptions, type ConvoyResolver } from './request-convoy.js'

// A resolver with `gzipInTemplate`: `.gz` links only for requests that accept gzip.
const resolver: ConvoyResolver = {
  url: (path, options?: ConvoyLookupOptions) => `/static/${path}${options?.acceptEncoding?.includes('gzip') ? '.gz' : ''}`,
  integrity: () => 'sha384-x',
  carpool: (kind, paths, options?: ConvoyLookupOptions) => `<${kind} ${paths.join(' ')}${options?.acceptEncoding?.includes('gzip') ? ' gz' : ''}>`,
}

describe('bindConvoyToRequest', () => {
  it('passes the request headers and says once that the answer varies', () => {
    let varied = 0
    const bound = bindConvoyToRequest(resolver, { acceptEncoding: 'gzip, br' }, () => varied++)
    expect(bound.url('a.css')).toBe('/static/a.css.gz')
    expect(bound.carpool('css', ['a.css'])).toBe('<css a.css gz>')
    expect(varied).toBe(1)
    expect(bound.acceptEncoding).toBe('gzip, br')
  })

  it('does not vary when no answer depends on the headers', () => {
    let varied = 0
    const bound = bindConvoyToRequest(resolver, { acceptEncoding: 'br' }, () => varied++)
    const { url, integrity } = bound // no `this` needed
    expect(url('a.css')).toBe('/static/a.css')
    expect(integrity('a.css')).toBe('sha384-x')
    bindConvoyToRequest(resolver, {}, () => varied++).url('a.css')
    expect(varied).toBe(0)
  })
})

describe('checkConvoyResolver', () => {
  it.each<[string, unknown, RegExp]>([
    ['a promise', Promise.resolve(resolver), /x: f\(\) got a promise/],
    ['an object without carpool', { url: () => '', integrity: () => '' }, /it has no carpool/],
    ['nothing', undefined, /got undefined/],
  ])('refuses %s', (_, value, message) => {
    let thrown: unknown
    try {
      checkConvoyResolver(value, 'x', 'f()')
    } catch (error) {
      thrown = error
    }
    expect(isConvoyError(thrown) && thrown.code).toBe('ERR_CONVOY_CONFIG')
    expect(String(thrown)).toMatch(message)
  })
})
