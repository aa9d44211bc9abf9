import { createHash } from 'node:crypto'
import { createManifest, MANIFEST_FILE, type ManifestEntry } from '@convoy/manifest'
import { deltaPath } from '@convoy/storage'
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

describe('manifestCandidates: zstd siblings, dictionaries and deltas', () => {
  const HASH = createHash('sha256').update('v1').digest('base64')
  const OTHER = createHash('sha256').update('v0').digest('base64')
  const served = 'js/app.111.cmin.js'
  const dcb = deltaPath(served, HASH, 'dcb')
  const dcz = deltaPath(served, HASH, 'dcz')
  const manifest = createManifest({
    baseUrl: '/static/',
    hash: { algorithm: 'md5', length: 12 },
    files: {
      'js/app.js': entry(served, {
        contentType: 'text/javascript; charset=utf-8',
        encodings: { gzip: { path: `${served}.gz`, size: 5 }, br: { path: `${served}.br`, size: 4 }, zstd: { path: `${served}.zst`, size: 4 } },
        dictionary: { hash: createHash('sha256').update('v2').digest('base64'), match: 'js/app.*.cmin.js' },
        deltas: { [HASH]: { dcb: { path: dcb, size: 3 }, dcz: { path: dcz, size: 2 } } },
      }),
      'css/a.css': entry('css/a.222.cmin.css', { encodings: { zstd: { path: 'css/a.222.cmin.css.zst', size: 5 } } }),
      // A logical path that looks like a delta: never served by that name.
      [deltaPath('js/x.js', OTHER, 'dcz')]: entry('js/x.333.cmin.js'),
    },
    history: [{ supersededAt: '2025-01-01T00:00:00.000Z', id: 'old', dropped: ['js/app.000.cmin.js', deltaPath('js/app.000.cmin.js', OTHER, 'dcb')] }],
  })
  const candidates = manifestCandidates(manifest)

  it('knows zstd siblings named as collect names them, alone or with others', () => {
    expect([`${served}.zst`, 'css/a.222.cmin.css.zst', `${served}.gz`].map((path) => candidates.cachingOf(path))).toEqual([IMMUTABLE, IMMUTABLE, IMMUTABLE])
    expect(candidates.cachingOf('css/a.222.cmin.css.br')).toBeUndefined()
  })

  it('gives no delta a caching of its own: current, of an earlier version, or a logical path shaped like one', () => {
    for (const path of [dcb, dcz, deltaPath('js/app.000.cmin.js', OTHER, 'dcb'), deltaPath('js/x.js', OTHER, 'dcz')]) expect([path, candidates.cachingOf(path)]).toEqual([path, undefined])
    expect(candidates.cachingOf('js/app.000.cmin.js')).toBe(SHORT)
  })

  it('gives the dictionary and deltas of a served file, and nothing for the others', () => {
    const info = candidates.dictionaryOf(served)
    expect(info?.dictionary?.match).toBe('js/app.*.cmin.js')
    expect([...(info?.deltas ?? new Map())]).toEqual([[HASH, { dcb: { path: dcb, size: 3 }, dcz: { path: dcz, size: 2 } }]])
    for (const path of ['js/app.js', 'css/a.222.cmin.css', `${served}.br`, dcb]) expect(candidates.dictionaryOf(path)).toBeUndefined()
  })

  it('gives the dictionary and deltas of a declared carpool bundle', () => {
    const bundle = 'CARPOOL/js/0123456789ab.cmin.js'
    const pooled = createManifest({
      baseUrl: '/static/',
      hash: { algorithm: 'md5', length: 12 },
      files: { 'js/app.js': entry(served) },
      carpools: {
        site: {
          kind: 'js', members: ['js/app.js'], served: bundle, size: 10, integrity: INTEGRITY, contentType: 'text/javascript; charset=utf-8',
          dictionary: { hash: HASH, match: 'CARPOOL/js/*.cmin.js' },
          deltas: { [OTHER]: { dcz: { path: deltaPath(bundle, OTHER, 'dcz'), size: 4 } } },
        },
      },
    })
    const info = manifestCandidates(pooled).dictionaryOf(bundle)
    expect(info?.dictionary).toEqual({ hash: HASH, match: 'CARPOOL/js/*.cmin.js' })
    expect([...(info?.deltas ?? new Map()).keys()]).toEqual([OTHER])
    expect(manifestCandidates(pooled).cachingOf(deltaPath(bundle, OTHER, 'dcz'))).toBeUndefined()
  })

  it('without a manifest, lists no delta', () => {
    const listed = listedCandidates([served, dcb, `${served}.zst`])
    expect([served, dcb, `${served}.zst`].map((path) => listed.cachingOf(path))).toEqual([SHORT, undefined, SHORT])
    expect(listed.dictionaryOf(served)).toBeUndefined()
  })
})
