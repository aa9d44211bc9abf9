import { describe, expect, it } from 'vitest'
import { pathsNamedByNewest, storagePathsOf, supersede, supersededSince } from './history.js'
import { parseManifest, serializeManifest } from './manifest.js'
import { carpoolOf, entryFor, manifestOf, sha256 } from './test-helpers.js'
import { MANIFEST_FILE, type Manifest } from './types.js'

const at = (minute: number): Date => new Date(Date.UTC(2024, 4, 1, 10, minute))

/** Supersedes each manifest by the next one, one minute apart, as successive `collect` runs would. */
function deploy(versions: readonly Manifest[], historyLimit?: number): Manifest {
  let current: Manifest | null = null
  versions.forEach((next, i) => {
    current = supersede(current, next, { now: at(i), ...(historyLimit === undefined ? {} : { historyLimit }) })
  })
  return current!
}

const union = (manifests: readonly Manifest[]): Set<string> => new Set(manifests.flatMap((m) => [...storagePathsOf(m)]))

describe('storagePathsOf', () => {
  it('names the original, fingerprinted, served, map and encoded files of every entry and carpool', () => {
    const manifest = manifestOf({ 'js/app.js': 'v1', 'css/a.css': 'v1', 'img/logo.png': 'v1' }, { site: carpoolOf(['css/a.css']) })
    const app = manifest.files['js/app.js']!
    const logo = manifest.files['img/logo.png']!
    const css = manifest.files['css/a.css']!
    const pool = manifest.carpools.site!
    expect(storagePathsOf(manifest)).toEqual(
      new Set([
        'js/app.js', app.fingerprinted, app.served, app.map, app.encodings?.gzip?.path, app.encodings?.br?.path,
        'css/a.css', css.fingerprinted, css.served, css.encodings?.gzip?.path, css.encodings?.br?.path,
        'img/logo.png', logo.fingerprinted,
        pool.served, pool.encodings?.gzip?.path,
      ]),
    )
    expect(logo.served).toBe(logo.fingerprinted)
    expect(storagePathsOf(manifest).has(MANIFEST_FILE)).toBe(false)
  })

  it('names the deltas of a carpool', () => {
    const manifest = manifestOf({ 'css/a.css': 'v1' }, { site: carpoolOf(['css/a.css']) })
    const pool = manifest.carpools.site!
    const withDeltas = { ...manifest, id: 'with-deltas', carpools: { site: { ...pool, deltas: { [sha256('old')]: { dcz: { path: `${pool.served}.0123456789abcdef.dcz`, size: 9 } } } } } }
    expect(storagePathsOf(withDeltas).has(`${pool.served}.0123456789abcdef.dcz`)).toBe(true)
    expect(supersede(withDeltas, manifest, { now: at(1) }).history[0]!.dropped).toEqual([`${pool.served}.0123456789abcdef.dcz`])
  })

  it('names the deltas of an entry, which are dropped with their target', () => {
    const v1 = manifestOf({ 'js/app.js': 'v1' })
    const v2 = { ...v1, id: 'v2', files: { 'js/app.js': entryFor('js/app.js', 'v2', { deltasFrom: ['v1'] }) } }
    const v3 = { ...v1, id: 'v3', files: { 'js/app.js': entryFor('js/app.js', 'v3', { deltasFrom: ['v2', 'v1'] }) } }
    const deltaPaths = (manifest: Manifest): string[] =>
      Object.values(manifest.files['js/app.js']!.deltas ?? {}).flatMap((variants) => Object.values(variants).map((variant) => variant.path))
    expect(deltaPaths(v3)).toHaveLength(3)
    for (const path of deltaPaths(v3)) expect(storagePathsOf(v3).has(path)).toBe(true)
    const current = deploy([v1, v2, v3])
    // v2's delta (against v1) goes with v2's files; v3's deltas are named by v3.
    expect(current.history[0]!.dropped).toEqual(expect.arrayContaining(deltaPaths(v2)))
    for (const path of deltaPaths(v3)) expect(current.history.flatMap((entry) => entry.dropped)).not.toContain(path)
    // A delta added to an unchanged target is a change of the entry's paths: the old paths are not dropped, the new one is named.
    const { deltas: _deltas, ...withoutDeltas } = v2.files['js/app.js']
    const same = { ...v2, id: 'v2b', files: { 'js/app.js': withoutDeltas } }
    expect(supersede(v2, same, { now: at(9) }).history[0]!.dropped).toEqual(deltaPaths(v2))
  })
})

describe('supersede', () => {
  const v1 = manifestOf({ 'css/a.css': 'v1', 'css/b.css': 'v1' })
  const v2 = manifestOf({ 'css/a.css': 'v2', 'css/b.css': 'v1', 'css/c.css': 'v1' })

  it('starts with an empty history', () => {
    const withStaleHistory = { ...v1, history: [{ supersededAt: at(0).toISOString(), id: 'x', dropped: ['old.css'] }] }
    expect(supersede(null, withStaleHistory).history).toEqual([])
  })

  it('records the previous id, the time and exactly the paths that are no longer named, sorted', () => {
    const manifest = supersede(supersede(null, v1), v2, { now: at(5) })
    const a1 = v1.files['css/a.css']!
    expect(manifest.id).toBe(v2.id)
    expect(manifest.files).toBe(v2.files)
    expect(manifest.history).toEqual([
      {
        supersededAt: '2024-05-01T10:05:00.000Z',
        id: v1.id,
        dropped: [a1.fingerprinted, a1.served, a1.encodings!.gzip!.path, a1.encodings!.br!.path].sort(),
      },
    ])
    // The original at the logical path is overwritten in place, so it is never "dropped".
    expect(manifest.history[0]!.dropped).not.toContain('css/a.css')
  })

  it('returns the previous manifest unchanged when nothing changed, so the text is byte-identical', () => {
    const previous = supersede(supersede(null, v1, { now: at(0) }), v2, { now: at(1) })
    const text = serializeManifest(previous)
    const again = supersede(parseManifest(text, 'm.json'), manifestOf({ 'css/c.css': 'v1', 'css/b.css': 'v1', 'css/a.css': 'v2' }), { now: at(9) })
    expect(serializeManifest(again)).toBe(text)
  })

  it('keeps at most historyLimit entries, newest first (default 50)', () => {
    const versions = Array.from({ length: 56 }, (_, i) => manifestOf({ 'css/a.css': `v${i}` }))
    const capped = deploy(versions.slice(0, 6), 3)
    expect(capped.history.map((entry) => entry.id)).toEqual([versions[4]!.id, versions[3]!.id, versions[2]!.id])
    expect(capped.history.map((entry) => entry.supersededAt)).toEqual([at(5), at(4), at(3)].map((d) => d.toISOString()))
    const byDefault = deploy(versions)
    expect(byDefault.history).toHaveLength(50)
    expect(byDefault.history[49]!.id).toBe(versions[5]!.id)
    expect(deploy(versions.slice(0, 3), 0).history).toEqual([])
  })

  it('rejects a negative or fractional historyLimit', () => {
    expect(() => supersede(null, v1, { historyLimit: -1 })).toThrow(RangeError)
    expect(() => supersede(null, v1, { historyLimit: 1.5 })).toThrow('@convoy/manifest: historyLimit must be an integer ≥ 0, got 1.5')
  })
})

describe('pathsNamedByNewest', () => {
  // Five deploys: files change, one is removed and comes back, a carpool comes and goes.
  const versions = [
    manifestOf({ 'css/a.css': 'v1', 'css/b.css': 'v1', 'js/app.js': 'v1' }),
    manifestOf({ 'css/a.css': 'v2', 'css/b.css': 'v1', 'js/app.js': 'v1' }, { site: carpoolOf(['css/a.css', 'css/b.css'], 'v2') }),
    manifestOf({ 'css/a.css': 'v2', 'js/app.js': 'v2' }),
    manifestOf({ 'css/a.css': 'v1', 'css/b.css': 'v1', 'js/app.js': 'v2' }, { site: carpoolOf(['css/a.css', 'css/b.css'], 'v1') }),
    manifestOf({ 'css/a.css': 'v3', 'js/app.js': 'v1', 'img/new.png': 'v1' }),
  ]
  const manifest = deploy(versions)

  it.each([1, 2, 3, 4, 5])('gives exactly the paths named by the newest %i versions', (n) => {
    expect(pathsNamedByNewest(manifest, n)).toEqual(union(versions.slice(-n)))
  })

  it('gives everything known when asked for more versions than the history holds', () => {
    expect(pathsNamedByNewest(manifest, 100)).toEqual(union(versions))
    expect(pathsNamedByNewest(deploy(versions, 2), 5)).toEqual(union(versions.slice(-3)))
  })

  it('rejects fewer than one version', () => {
    expect(() => pathsNamedByNewest(manifest, 0)).toThrow('@convoy/manifest: versions must be an integer ≥ 1, got 0')
  })
})

describe('supersededSince', () => {
  it('dates every path no longer named by the time of its newest drop', () => {
    const b1 = manifestOf({ 'css/b.css': 'v1' }).files['css/b.css']!
    const a1 = manifestOf({ 'css/a.css': 'v1' }).files['css/a.css']!
    const manifest = deploy([
      manifestOf({ 'css/a.css': 'v1', 'css/b.css': 'v1' }),
      manifestOf({ 'css/a.css': 'v2', 'css/b.css': 'v2' }), // at(1): a1 and b1 dropped
      manifestOf({ 'css/a.css': 'v2', 'css/b.css': 'v1' }), // at(2): b1 back
      manifestOf({ 'css/a.css': 'v1', 'css/b.css': 'v2' }), // at(3): b1 dropped again, a1 back
    ])
    const since = supersededSince(manifest)
    expect(since.get(b1.served)).toEqual(at(3))
    expect(since.get(b1.fingerprinted)).toEqual(at(3))
    expect(since.has(a1.served)).toBe(false)
    expect(since.has('css/a.css')).toBe(false)
    const current = storagePathsOf(manifest)
    for (const path of since.keys()) expect(current.has(path)).toBe(false)
    const everDropped = new Set(manifest.history.flatMap((entry) => entry.dropped).filter((path) => !current.has(path)))
    expect(new Set(since.keys())).toEqual(everDropped)
  })

  it('is empty without history', () => {
    expect(supersededSince(supersede(null, manifestOf({ 'a.css': 'v1' }))).size).toBe(0)
  })
})

describe('supersede: what is dropped', () => {
  /** The rule, stated plainly: every path the previous version named that the next one does not. */
  const naive = (previous: Manifest, next: Manifest): string[] => {
    const kept = storagePathsOf(next)
    return [...storagePathsOf(previous)].filter((path) => !kept.has(path)).sort()
  }

  it('is exactly the paths of the previous version the next one does not name, over random deploys', () => {
    let seed = 7
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const paths = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `js/app-${i}.js` : `css/page-${i}.css`))
    for (let round = 0; round < 200; round++) {
      const pick = (): Record<string, string> => Object.fromEntries(paths.filter(() => next() < 0.8).map((path) => [path, next() < 0.9 ? 'v1' : `v${round}`]))
      const pools = (): Record<string, ReturnType<typeof carpoolOf>> => (next() < 0.5 ? { site: carpoolOf(['css/page-1.css', 'css/page-2.css'], next() < 0.5 ? 'v1' : 'v2') } : {})
      const before = manifestOf({ ...pick(), 'css/page-1.css': 'v1', 'css/page-2.css': 'v1' }, pools())
      const after = manifestOf({ ...pick(), 'css/page-1.css': 'v1', 'css/page-2.css': 'v1' }, pools())
      if (before.id === after.id) continue
      expect(supersede(before, after).history[0]!.dropped).toEqual(naive(before, after))
    }
  })

  it('keeps a path of a changed entry that another, unchanged entry names', () => {
    const old = entryFor('css/a.css', 'v1')
    // A source file named like a's old fingerprinted copy: its logical path keeps that name in use.
    const before = manifestOf({ 'css/a.css': 'v1', [old.fingerprinted]: 'v1' })
    const after = manifestOf({ 'css/a.css': 'v2', [old.fingerprinted]: 'v1' })
    const dropped = supersede(before, after).history[0]!.dropped
    expect(dropped).toEqual(naive(before, after))
    expect(dropped).not.toContain(old.fingerprinted)
    expect(dropped).toContain(old.served)
  })
})
