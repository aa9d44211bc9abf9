import { createManifest, MANIFEST_FILE, type ManifestEntry } from '@convoy/manifest'
import { describe, expect, it } from 'vitest'
import { IMMUTABLE, MANIFEST, SHORT, listedCandidates, manifestCandidates } from './candidates.js'

const INTEGRITY = `sha384-${'C'.repeat(64)}`

function entry(served: string, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return { served, size: 10, integrity: INTEGRITY, fingerprinted: served.replace('.cmin', ''), sourceHash: 'abc', contentType: 'text/css; charset=utf-8', ...extra }
}

describe('manifestCandidates', () => {
  const manifest = createManifest({
    baseUrl: '/static/',
    hash: { algorithm: 'md5', length: 12 },
    files: {
      'css/a.css': entry('css/a.111.cmin.css', { encodings: { gzip: { path: 'css/a.111.cmin.css.gz', size: 5 }, br: { path: 'css/a.111.cmin.css.br', size: 4 } } }),
      // Siblings not named as collect names them: keys of their own.
      'css/b.css': entry('css/b.222.cmin.css', { encodings: { gzip: { path: 'gz/b.css.gz', size: 5 } }, map: 'css/b.222.cmin.css.map' }),
      // Only a gzip sibling: the brotli name is not the manifest's.
      'css/c.css': entry('css/c.333.cmin.css', { encodings: { gzip: { path: 'css/c.333.cmin.css.gz', size: 5 } } }),
      // A served name that is also another entry's logical path: mutable wins, its sibling stays named.
      'css/d.css': entry('css/e.css', { fingerprinted: 'css/e.css', encodings: { gzip: { path: 'css/e.css.gz', size: 5 } } }),
      'css/e.css': entry('css/e.444.css', { fingerprinted: 'css/e.444.css' }),
      '404': entry('404.555.html', { fingerprinted: '404.555.html', contentType: 'text/html; charset=utf-8' }),
    },
    carpools: {
      site: { kind: 'css', members: ['css/a.css'], served: 'CARPOOL/css/abc.cmin.css', size: 10, integrity: INTEGRITY, contentType: 'text/css; charset=utf-8', encodings: { br: { path: 'CARPOOL/css/abc.cmin.css.br', size: 3 } } },
    },
    history: [{ supersededAt: '2025-01-01T00:00:00.000Z', id: 'old', dropped: ['css/a.000.cmin.css', 'css/a.000.cmin.css.gz', 'css/c.333.cmin.css.gz'] }],
  })
  const candidates = manifestCandidates(manifest)

  it.each([
    ['a logical path', 'css/a.css', SHORT],
    ['a logical path that looks like an integer', '404', SHORT],
    ['a served file', 'css/a.111.cmin.css', IMMUTABLE],
    ['a fingerprinted file', 'css/a.111.css', IMMUTABLE],
    ['a sibling named as collect names it', 'css/a.111.cmin.css.br', IMMUTABLE],
    ['a sibling named otherwise', 'gz/b.css.gz', IMMUTABLE],
    ['a source map', 'css/b.222.cmin.css.map', IMMUTABLE],
    ['a carpool and its sibling', 'CARPOOL/css/abc.cmin.css.br', IMMUTABLE],
    ['a served name that is also a logical path', 'css/e.css', SHORT],
    ['the sibling of that served name', 'css/e.css.gz', IMMUTABLE],
    ['a file of an earlier version', 'css/a.000.cmin.css.gz', SHORT],
    ['a current sibling also named by an earlier version', 'css/c.333.cmin.css.gz', SHORT],
    ['the manifest', MANIFEST_FILE, MANIFEST],
  ])('knows %s', (_, path, caching) => {
    expect(candidates.cachingOf(path)).toBe(caching)
  })

  it.each([
    ['a sibling the manifest does not name', 'css/c.333.cmin.css.br'],
    ['the conventional sibling of a sibling named otherwise', 'css/b.222.cmin.css.gz'],
    ['a sibling of a logical path', 'css/a.css.gz'],
    ['a sibling of a file of an earlier version', 'css/a.000.cmin.css.br'],
    ['a path named nowhere', 'css/z.css'],
    ['an empty path', ''],
  ])('does not know %s', (_, path) => {
    expect(candidates.cachingOf(path)).toBeUndefined()
  })
})

describe('listedCandidates', () => {
  it('knows every listed path, with no-cache for the manifest', () => {
    const candidates = listedCandidates(['a.css', 'a.css.gz', MANIFEST_FILE])
    expect(['a.css', 'a.css.gz', MANIFEST_FILE, 'b.css'].map((path) => candidates.cachingOf(path))).toEqual([SHORT, SHORT, MANIFEST, undefined])
  })
})
