import { describe, expect, it } from 'vitest'
import { acceptsGzip } from './accept-encoding.js'

describe('acceptsGzip', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br, zstd', true],
    ['br', false],
    ['deflate, br', false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['gzip;q=0.001', true],
    ['gzip;q=0, br', false],
    ['br;q=1, gzip;q=0.5', true],
    ['*', true],
    ['*;q=0', false],
    ['*;q=0.5', true],
    ['*, gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['*;q=0, gzip', true],
    ['GZIP', true],
    ['GZip;Q=0', false],
    ['x-gzip', true],
    ['identity', false],
    ['gzip;q=abc', false],
    ['gzip;q=1.5', false],
    ['gzip;q=abc, *', true],
    ['gzip;q=0, gzip;q=1', false],
    ['  gzip ;  q=0.3 , br ; q=0.2 ', true],
    [',,gzip,,', true],
    ['gzip;level=9;q=0.5', true],
    ['gzipx, xgzip', false],
  ] as const)('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected)
    // The remembered answer is the same answer.
    expect(acceptsGzip(header)).toBe(expected)
  })

  it('answers each header for itself, whatever was asked before', () => {
    expect(acceptsGzip('gzip')).toBe(true)
    expect(acceptsGzip('gzip;q=0')).toBe(false)
    expect(acceptsGzip('gzip')).toBe(true)
    expect(acceptsGzip(undefined)).toBe(false)
    expect(acceptsGzip('gzip')).toBe(true)
  })
})
