import { DELTA_ENCODING_NAMES } from '@convoy/storage'
import { describe, expect, it } from 'vitest'
import { chooseCoding, createAcceptEncodingCache, isOldMsie, parseAcceptEncoding } from './accept-encoding.js'
import { ENCODING_NAMES, ENCODINGS } from './encodings.js'

// Sizes in bytes, as a file index has them: brotli smaller than gzip, as it nearly always is.
const both = { br: 800, gzip: 1000 }
const gzipOnly = { gzip: 1000 }
const all = { br: 800, gzip: 1000, zstd: 850 }

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
    ['gzip, deflate, br, zstd', all, 'br'],
    ['gzip, zstd', all, 'zstd'],
    ['zstd', both, 'identity'],
    ['ZSTD;q=0.9, br;q=0.8', all, 'zstd'],
    ['*', all, 'br'],
    ['gzip, deflate, br, zstd, dcb, dcz', all, 'br'],
  ] as const)('%j with %j → %s', (header, available, expected) => {
    expect(chooseCoding(parseAcceptEncoding(header), available)).toBe(expected)
  })

  it('gives a q-value for identity, every encoding of the table and every delta coding', () => {
    const names = [...ENCODING_NAMES, ...DELTA_ENCODING_NAMES, 'identity'].sort()
    expect(ENCODING_NAMES).toContain('zstd')
    expect(Object.keys(parseAcceptEncoding('deflate')).sort()).toEqual(names)
    expect(Object.keys(parseAcceptEncoding(undefined)).sort()).toEqual(names)
    expect(Object.keys(createAcceptEncodingCache()('br')).sort()).toEqual(names)
  })

  it('parses the delta codings like the others: case-insensitive, first listing wins, q-values honoured', () => {
    expect(parseAcceptEncoding('gzip, br, zstd, dcb, dcz')).toMatchObject({ dcb: 1, dcz: 1, zstd: 1 })
    expect(parseAcceptEncoding('DCB;q=0.5, Dcz;Q=0.25')).toMatchObject({ dcb: 0.5, dcz: 0.25 })
    expect(parseAcceptEncoding('dcz;q=0, dcz')).toMatchObject({ dcz: 0 })
    expect(parseAcceptEncoding('dcz;q=2')).toMatchObject({ dcz: 0 })
    expect(parseAcceptEncoding(undefined)).toMatchObject({ dcb: 0, dcz: 0 })
  })

  it('never makes a delta coding acceptable through *: it must be named (RFC 9842)', () => {
    expect(parseAcceptEncoding('*')).toMatchObject({ gzip: 1, br: 1, zstd: 1, dcb: 0, dcz: 0 })
    expect(parseAcceptEncoding('*, dcz;q=0.5')).toMatchObject({ dcb: 0, dcz: 0.5 })
  })

  it('treats an encoding left out of available as unavailable', () => {
    expect(chooseCoding(parseAcceptEncoding('br, gzip;q=0.5'), {})).toBe('identity')
    expect(chooseCoding(parseAcceptEncoding('br, gzip;q=0.5'), { gzip: 1000 })).toBe('gzip')
  })

  it('sends the smallest of the codings with the highest q, whatever their order or the table', () => {
    const accepted = parseAcceptEncoding('gzip, br, zstd')
    expect(chooseCoding(accepted, { gzip: 900, br: 800, zstd: 700 })).toBe('zstd')
    expect(chooseCoding(accepted, { gzip: 700, br: 800, zstd: 900 })).toBe('gzip')
    expect(chooseCoding(accepted, { gzip: 900, br: 700, zstd: 800 })).toBe('br')
    // A higher q wins over a smaller size.
    expect(chooseCoding(parseAcceptEncoding('gzip, br;q=0.9, zstd;q=0.9'), { gzip: 900, br: 700, zstd: 600 })).toBe('gzip')
    // A sibling of 0 bytes is still a sibling.
    expect(chooseCoding(accepted, { gzip: 0 })).toBe('gzip')
  })

  it('breaks a tie of q and size by the preference of the table, identity last', () => {
    const byPreference = [...ENCODING_NAMES].sort((a, b) => ENCODINGS[a].preference - ENCODINGS[b].preference)
    expect(ENCODINGS[byPreference[0]!].preference).toBeGreaterThan(0)
    expect(byPreference).toEqual(['gzip', 'br', 'zstd'])
    const sameSize = Object.fromEntries(ENCODING_NAMES.map((name) => [name, 500]))
    expect(chooseCoding(parseAcceptEncoding('*'), sameSize)).toBe('zstd')
    expect(chooseCoding(parseAcceptEncoding('gzip, br'), sameSize)).toBe('br')
    expect(chooseCoding(parseAcceptEncoding('identity, gzip'), { gzip: 1_000_000 })).toBe('gzip')
  })

  it('never answers with a delta coding: the caller decides those from Available-Dictionary', () => {
    expect(chooseCoding(parseAcceptEncoding('dcb, dcz'), both)).toBe('identity')
    expect(chooseCoding(parseAcceptEncoding('dcb, dcz, identity;q=0'), both)).toBeNull()
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
