import { describe, expect, it } from 'vitest'
import { negotiateEncoding, type HttpEncoding } from './accept-encoding.js'

const BOTH: readonly HttpEncoding[] = ['br', 'gzip']

describe('negotiateEncoding', () => {
  it.each<[string | undefined, HttpEncoding | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['deflate', undefined],
    ['gzip', 'gzip'],
    ['GZip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1, br;q=1', 'br'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.8, gzip;q=0.5', 'br'],
    ['gzip, br;q=0.999', 'gzip'],
    ['gzip;q=0', undefined],
    ['gzip;Q=0', undefined],
    ['gzip ; q = 0', undefined],
    ['gzip;q=0, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0.5, gzip', 'gzip'],
    ['*;q=0', undefined],
    ['br;q=0, *', 'gzip'],
    ['gzip;q=0, br;q=0, *', undefined],
    ['gzip;q=nonsense', undefined],
    ['gzip;level=1;q=0.5', 'gzip'],
    [' , gzip ,', 'gzip'],
  ])('Accept-Encoding %j picks %s', (header, expected) => {
    expect(negotiateEncoding(header, BOTH).encoding).toBe(expected)
  })

  it('keeps to the offered codings, in the offered order on a tie', () => {
    expect(negotiateEncoding('br, gzip', ['gzip']).encoding).toBe('gzip')
    expect(negotiateEncoding('br', ['gzip']).encoding).toBeUndefined()
    expect(negotiateEncoding('br, gzip', ['gzip', 'br']).encoding).toBe('gzip')
    expect(negotiateEncoding('br;q=0.9, gzip;q=0.5', ['gzip', 'br']).encoding).toBe('br')
  })

  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['gzip', false],
    ['identity;q=0', true],
    ['gzip, identity;q=0', true],
    ['IDENTITY;Q=0, gzip', true],
    ['*;q=0', true],
    ['*;q=0, identity', false],
    ['gzip, *;q=0', true],
    ['identity;q=0.1, gzip', false],
  ])('Accept-Encoding %j refuses identity: %s', (header, refused) => {
    expect(negotiateEncoding(header, BOTH).identityRefused).toBe(refused)
  })
})
