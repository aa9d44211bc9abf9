import { describe, expect, it } from 'vitest'
import { chooseCoding, createAcceptEncodingCache, isOldMsie, parseAcceptEncoding } from './accept-encoding.js'
import { ENCODING_NAMES, ENCODINGS } from './encodings.js'

const both = { br: true, gzip: true }
const gzipOnly = { br: false, gzip: true }

describe('Accept-Encoding negotiation', () => {
  it.each([
    [undefined, both, 'identity'],
    ['', both, 'identity'],
    ['gzip, deflate, br', both, 'br'],
    ['gzip, deflate, br, zstd', both, 'br'],
    ['gzip', both, 'gzip'],
    ['br', gzipOnly, 'identity'],
    ['br, gzip', gzipOnly, 'gzip'],
    ['gzip;q=0', both, 'identity'],
    ['gzip;q=0, br', both, 'br'],
    ['br;q=0.5, gzip;q=0.8', both, 'gzip'],
    ['br;q=0.8, gzip;q=0.8', both, 'br'],
    ['gzip;q=0.8, br;q=0.9', both, 'br'],
    ['*', both, 'br'],
    ['*', gzipOnly, 'gzip'],
    ['*;q=0.5, br;q=0', both, 'gzip'],
    ['identity;q=0', both, null],
    ['*;q=0', both, null],
    ['*;q=0, identity', both, 'identity'],
    ['identity;q=0, gzip', both, 'gzip'],
    ['identity, gzip;q=0.5', both, 'identity'],
    ['GZIP', both, 'gzip'],
    ['Br;Q=1.0', both, 'br'],
    ['x-gzip', both, 'gzip'],
    ['identity', both, 'identity'],
    ['deflate', both, 'identity'],
    ['gzip;q=abc', both, 'identity'],
    ['gzip;q=1.5', both, 'identity'],
    ['gzip;q=0.0001', both, 'identity'],
    ['  gzip ;  q=0.3 , br ; q=0.2 ', both, 'gzip'],
    [',,gzip,,', both, 'gzip'],
    ['gzip;level=9;q=0.5', gzipOnly, 'gzip'],
    ['gzip;q=0, gzip;q=1', both, 'identity'],
  ] as const)('%j with %j → %s', (header, available, expected) => {
    expect(chooseCoding(parseAcceptEncoding(header), available)).toBe(expected)
  })

  it('gives a q-value for identity and every encoding of the table', () => {
    expect(Object.keys(parseAcceptEncoding('deflate')).sort()).toEqual([...ENCODING_NAMES, 'identity'].sort())
    expect(Object.keys(parseAcceptEncoding(undefined)).sort()).toEqual([...ENCODING_NAMES, 'identity'].sort())
  })

  it('treats an encoding left out of available as unavailable', () => {
    expect(chooseCoding(parseAcceptEncoding('br, gzip;q=0.5'), {})).toBe('identity')
    expect(chooseCoding(parseAcceptEncoding('br, gzip;q=0.5'), { gzip: true })).toBe('gzip')
  })

  it('breaks ties by the preference of the table, identity last', () => {
    const [low, high] = [...ENCODING_NAMES].sort((a, b) => ENCODINGS[a].preference - ENCODINGS[b].preference)
    expect(ENCODINGS[low!].preference).toBeGreaterThan(0)
    expect(chooseCoding(parseAcceptEncoding('*'), { [low!]: true, [high!]: true })).toBe(high)
  })

  it('memoizes parses and starts over when the memo is full', () => {
    const parse = createAcceptEncodingCache(2)
    const first = parse('gzip')
    expect(parse('gzip')).toBe(first)
    parse('br')
    parse('deflate')
    expect(parse('gzip')).not.toBe(first)
    expect(parse('gzip')).toEqual(first)
  })
})

describe('isOldMsie', () => {
  it.each([
    ['Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)', true],
    ['Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)', true],
    ['Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)', false],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36', false],
    [undefined, false],
  ])('%s → %s', (userAgent, expected) => {
    expect(isOldMsie(userAgent)).toBe(expected)
  })
})
