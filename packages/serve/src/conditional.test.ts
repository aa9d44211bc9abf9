import { describe, expect, it } from 'vitest'
import { ifRangeHolds, matchHits, noneMatchHits, parseEntityTags, parseRange } from './conditional.js'

describe('entity-tag lists', () => {
  it('scans tags by their quotes, so commas inside a tag do not split it', () => {
    expect(parseEntityTags('"a,b", W/"c" ,"d"')).toEqual([
      { tag: '"a,b"', weak: false },
      { tag: '"c"', weak: true },
      { tag: '"d"', weak: false },
    ])
    expect(parseEntityTags(' * ')).toBe('*')
  })

  it.each([
    ['"x"', true],
    ['W/"x"', true],
    ['"y", "x"', true],
    ['"y",W/"x"', true],
    ['*', true],
    ['"y"', false],
    ['x', false],
    ['', false],
  ])('If-None-Match %j against "x" → %s (weak comparison)', (header, hit) => {
    expect(noneMatchHits(header, '"x"')).toBe(hit)
  })

  it.each([
    ['"x"', true],
    ['*', true],
    ['W/"x"', false],
    ['"y"', false],
  ])('If-Match %j against "x" → %s (strong comparison)', (header, hit) => {
    expect(matchHits(header, '"x"')).toBe(hit)
  })
})

describe('Range', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['bytes=50-500', 100, { start: 50, end: 99 }],
    ['BYTES = 1 - 1', 100, { start: 1, end: 1 }],
    ['bytes=99-99', 100, { start: 99, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=100-200', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=-1', 0, 'unsatisfiable'],
    ['bytes=5-2', 100, 'ignore'],
    ['bytes=0-1,5-6', 100, 'ignore'],
    ['bytes=-', 100, 'ignore'],
    ['bytes=a-b', 100, 'ignore'],
    ['items=0-5', 100, 'ignore'],
    ['bytes 0-5', 100, 'ignore'],
  ] as const)('%j of %i bytes → %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected)
  })

  it('If-Range holds only for the same strong tag or the exact Last-Modified date', () => {
    const lastModified = 'Tue, 03 Feb 2026 04:05:06 GMT'
    expect(ifRangeHolds('"x"', '"x"', lastModified)).toBe(true)
    expect(ifRangeHolds('"y"', '"x"', lastModified)).toBe(false)
    expect(ifRangeHolds('W/"x"', '"x"', lastModified)).toBe(false)
    expect(ifRangeHolds(lastModified, '"x"', lastModified)).toBe(true)
    expect(ifRangeHolds('Tue, 03 Feb 2026 04:05:07 GMT', '"x"', lastModified)).toBe(false)
    expect(ifRangeHolds(lastModified, '"x"', undefined)).toBe(false)
    expect(ifRangeHolds('not a date', '"x"', lastModified)).toBe(false)
  })
})
