import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DICTIONARY_VARY, dictionaryMatchPattern, parseAvailableDictionary, useAsDictionaryHeader } from './dictionary.js'
import { mergeVary } from './request-path.js'

const HASH = createHash('sha256').update('test').digest('base64') // n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=
const OTHER = createHash('sha256').update('other').digest('base64')

describe('parseAvailableDictionary', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['a byte sequence of 32 bytes', `:${HASH}:`, HASH],
    ['another hash', `:${OTHER}:`, OTHER],
    ['surrounding spaces', `  :${HASH}:  `, HASH],
    ['the padding left out (RFC 8941 §4.2.7)', `:${HASH.slice(0, -1)}:`, HASH],
    ['parameters, which are ignored', `:${HASH}:;id="x";v=1;ok;n=-2.5;t=tok/en;b=:AA==:;f=?0`, HASH],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['the bare base64, no colons', HASH, undefined],
    ['a string', `"${HASH}"`, undefined],
    ['one colon missing', `:${HASH}`, undefined],
    ['a short byte sequence', ':dGVzdA==:', undefined],
    ['33 bytes', `:${Buffer.alloc(33, 1).toString('base64')}:`, undefined],
    ['31 bytes', `:${Buffer.alloc(31, 1).toString('base64')}:`, undefined],
    ['base64url characters', `:${HASH.replace('+', '-').replace('/', '_')}:`, undefined],
    ['a character outside base64', `:${HASH.slice(0, 10)}!${HASH.slice(11)}:`, undefined],
    ['two headers joined into a list', `:${HASH}:, :${OTHER}:`, undefined],
    ['a tab around it (only spaces are SP)', `\t:${HASH}:`, undefined],
    ['a space before the parameters', `:${HASH}: ;a=1`, undefined],
    ['a malformed parameter', `:${HASH}:;A=1`, undefined],
    ['a parameter with a bad value', `:${HASH}:;a="unterminated`, undefined],
    ['something after it', `:${HASH}: x`, undefined],
  ])('%s', (_, header, expected) => {
    expect(parseAvailableDictionary(header)).toBe(expected)
  })

  it('gives the canonical base64 whatever the padding bits of the last character', () => {
    // The 43rd character carries 4 bits of the hash and 2 padding bits: `g` (…00) and `h` (…01) are the same 32 bytes.
    const sloppy = `${HASH.slice(0, 42)}h=`
    expect(HASH.slice(42)).toBe('g=')
    expect(parseAvailableDictionary(`:${sloppy}:`)).toBe(HASH)
  })
})

describe('useAsDictionaryHeader', () => {
  it.each<[string, string, 'script' | 'style' | undefined, string]>([
    ['a script', '/static/js/app.*.cmin.js', 'script', 'match="/static/js/app.*.cmin.js", match-dest=("script")'],
    ['a stylesheet', '/css/site.*.css', 'style', 'match="/css/site.*.css", match-dest=("style")'],
    ['no destination', '/a/*.js', undefined, 'match="/a/*.js"'],
    ['a backslash and a quote, escaped', '/a\\(b\\)"c.*.js', 'script', 'match="/a\\\\(b\\\\)\\"c.*.js", match-dest=("script")'],
  ])('%s', (_, pattern, destination, expected) => {
    expect(useAsDictionaryHeader(pattern, destination)).toBe(expected)
  })

  it.each([
    ['a non-ASCII character', '/static/ré.*.js'],
    ['a control character', '/static/a\n.*.js'],
  ])('refuses %s with a TypeError', (_, pattern) => {
    expect(() => useAsDictionaryHeader(pattern)).toThrow(TypeError)
    expect(() => useAsDictionaryHeader(pattern)).toThrow(/^@convoy\/http: the URL pattern must be printable ASCII/)
  })
})

/** How the runtime (`@convoy/core`) writes a storage path into a URL: `encodeURIComponent` per segment. */
const runtimeUrl = (prefix: string, path: string): string => prefix + path.split('/').map(encodeURIComponent).join('/')

const PATTERN_CASES: readonly (readonly [title: string, match: string, expected: string, served: string])[] = [
  ['a plain path', 'js/app.*.cmin.js', 'app.*.cmin.js', 'js/app.1a2b3c4d5e6f.cmin.js'],
  ['a file at the root', 'app.*.js', 'app.*.js', 'app.0123456789ab.js'],
  ['a space, percent-encoded', 'js/my app.*.js', 'my%20app.*.js', 'js/my app.0123456789ab.js'],
  ['parentheses (encodeURIComponent keeps them), escaped', 'js/lib (v2).*.js', 'lib%20\\(v2\\).*.js', 'js/lib (v2).0123456789ab.js'],
  ['a + : ? { } and %, percent-encoded', 'js/a+b:c?{d}%.*.js', 'a%2Bb%3Ac%3F%7Bd%7D%25.*.js', 'js/a+b:c?{d}%.0123456789ab.js'],
  ['a backslash, percent-encoded', 'js/a\\b.*.js', 'a%5Cb.*.js', 'js/a\\b.0123456789ab.js'],
  ['non-ASCII, percent-encoded as UTF-8', 'js/été.*.js', '%C3%A9t%C3%A9.*.js', 'js/été.0123456789ab.js'],
  ['a * in a folder (not in the pattern: relative to the file)', 'js/a*b/app.*.js', 'app.*.js', 'js/a*b/app.0123456789ab.js'],
  ['a second * in the name, literal', 'js/app.*.x*.js', 'app.*.x\\*.js', 'js/app.0123456789ab.x*.js'],
]

describe('dictionaryMatchPattern', () => {
  it.each(PATTERN_CASES)('%s', (_, match, expected) => {
    expect(dictionaryMatchPattern(match)).toBe(expected)
  })

  it('writes a lone surrogate as U+FFFD, as the URL parser does, instead of throwing', () => {
    expect(dictionaryMatchPattern('s/a\uD800.*.js')).toBe('a%EF%BF%BD.*.js')
  })

  it('gives patterns that an sf-string carries', () => {
    for (const [, match] of PATTERN_CASES) expect(() => useAsDictionaryHeader(dictionaryMatchPattern(match), 'script')).not.toThrow()
  })

  // URLPattern is a global from Node 24 on; the expected strings above hold everywhere.
  const urlPattern = (globalThis as { URLPattern?: new (input: string, base: string) => { test(url: string): boolean; hasRegExpGroups: boolean } }).URLPattern
  it.runIf(urlPattern !== undefined).each(PATTERN_CASES)(
    `%s: URLPattern (Node ≥ 24${urlPattern === undefined ? ', not this one: skipped' : ''}), resolved against the dictionary's URL, matches the family's URLs and no other`,
    (_, match, _expected, served) => {
      for (const prefix of ['/', '/static/', '/a b/(x)/']) {
        const origin = 'http://127.0.0.1:8080'
        const url = (path: string, under = prefix): string => new URL(runtimeUrl(under, path), origin).href
        // The browser resolves `match` against the URL the dictionary itself was fetched from.
        const pattern = new urlPattern!(dictionaryMatchPattern(match), url(served))
        expect(pattern.hasRegExpGroups, 'RFC 9842: no regexp groups').toBe(false)
        expect(pattern.test(url(served)), 'the same version').toBe(true)
        expect(pattern.test(url(served.replace('0123456789ab', 'ffffffffffff').replace('1a2b3c4d5e6f', 'ffffffffffff'))), 'another version').toBe(true)
        expect(pattern.test(url(`${served}x`)), 'another file').toBe(false)
        expect(pattern.test(url(served, '/elsewhere/')), 'another prefix').toBe(false)
      }
    },
  )
})

describe('DICTIONARY_VARY', () => {
  it('names both request headers, and merges into a Vary once each', () => {
    expect(DICTIONARY_VARY).toBe('Accept-Encoding, Available-Dictionary')
    expect(mergeVary(undefined, DICTIONARY_VARY)).toBe(DICTIONARY_VARY)
    expect(mergeVary('Origin', DICTIONARY_VARY)).toBe('Origin, Accept-Encoding, Available-Dictionary')
    expect(mergeVary('origin, accept-encoding', DICTIONARY_VARY)).toBe('origin, accept-encoding, Available-Dictionary')
    expect(mergeVary(['Accept-Encoding', 'available-dictionary'], DICTIONARY_VARY)).toBe('Accept-Encoding, available-dictionary')
    expect(mergeVary('*', DICTIONARY_VARY)).toBe('*')
    expect(mergeVary('Origin', 'Accept-Encoding')).toBe('Origin, Accept-Encoding')
  })
})
