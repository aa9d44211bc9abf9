import { describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { fastDropped, fastEntry, isIntegrity, isPlainPath } from './fast-check.js'
import { createManifest, parseManifest, serializeManifest } from './manifest.js'
import { carpoolOf, caught, entryFor, manifestOf, sha256 } from './test-helpers.js'
import { MANIFEST_FILE, type Manifest, type ManifestEntry } from './types.js'
import { canonicalManifest, unsafePathReason } from './validate.js'

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/** Every string of up to `length` characters over `alphabet`, and then `count` longer random ones. */
function strings(alphabet: readonly string[], length: number, count: number): string[] {
  const all = ['']
  for (let n = 1; n <= length; n++) {
    for (const prefix of all.filter((s) => s.length === n - 1)) for (const c of alphabet) all.push(prefix + c)
  }
  const next = random(17)
  for (let i = 0; i < count; i++) {
    let s = ''
    const size = 1 + Math.floor(next() * 24)
    for (let k = 0; k < size; k++) s += alphabet[Math.floor(next() * alphabet.length)]
    all.push(s)
  }
  return all
}

const INTEGRITY = /^sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}$/

describe('isPlainPath', () => {
  it('accepts exactly the paths unsafePathReason accepts', () => {
    const alphabet = ['a', '.', '/', '\\', '\0', ':', 'C', 'é', ' ', '\n']
    const paths = [...strings(alphabet, 4, 20_000), MANIFEST_FILE, `x/${MANIFEST_FILE}`, 'C:', 'c:x', '1:x', 'ab:c', '..a', 'a..', '.a/b', 'a/.b']
    for (const path of paths) expect([path, isPlainPath(path)]).toEqual([path, unsafePathReason(path) === undefined])
  })

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 42, ['a'], { path: 'a' }]) expect(isPlainPath(value)).toBe(false)
  })
})

describe('isIntegrity', () => {
  it('accepts exactly what the INTEGRITY pattern accepts', () => {
    const values = [
      ...strings(['s', 'h', 'a', '3', '8', '4', '-', 'A', '=', '+', '/', '_'], 4, 0).map((tail) => `sha384-${tail}`),
      ...strings(['2', '5', '6', '1', '3', '8', '4', '-', 'x'], 4, 0).map((middle) => `sha${middle}Zm9v`),
      ...strings(['s', 'h', 'a', '3', '8', '4', '-', 'Z', '=', 'é', '\n'], 3, 20_000),
      'sha384-', 'sha384-=', 'sha384-a==', 'sha384-a===', 'sha384-a=b', 'sha256-abc', 'sha512-abc', 'sha1-abc', 'SHA384-abc', 'sha384-abc\n',
    ]
    for (const value of values) expect([value, isIntegrity(value)]).toEqual([value, INTEGRITY.test(value)])
  })
})

describe('the fast path of canonicalManifest', () => {
  /** What the descriptive checks alone say about `value`: the canonical JSON text, or the error message. */
  const slow = (value: unknown): string => {
    try {
      return JSON.stringify(canonicalManifest(structuredClone(value), 'x.json', { fast: false }))
    } catch (error) {
      if (isConvoyError(error)) return `error: ${error.message}`
      throw error
    }
  }
  /**
   * The same with the fast path, reusing a copy of `value` as parseManifest does; and, as serializeManifest does,
   * reusing without changing it, which must give the same answer and leave the input as it was.
   */
  const fast = (value: unknown): string => {
    const run = (input: unknown, mutable: boolean): string => {
      try {
        return JSON.stringify(canonicalManifest(input, 'x.json', { reuse: true, mutable }))
      } catch (error) {
        if (isConvoyError(error)) return `error: ${error.message}`
        throw error
      }
    }
    const owned = run(structuredClone(value), true)
    const shared = structuredClone(value)
    const before = JSON.stringify(shared)
    expect(run(shared, false)).toBe(owned)
    expect(JSON.stringify(shared)).toBe(before)
    return owned
  }
  const base = (): Record<string, unknown> =>
    JSON.parse(
      serializeManifest(
        withDeltas(manifestOf({ 'css/a.css': 'v1', 'css/b.css': 'v1', 'js/app.js': 'v3', 'img/logo.png': 'v1' }, { site: carpoolOf(['css/a.css', 'css/b.css']) })),
      ),
    ) as Record<string, unknown>

  /** The manifest with deltas for js/app.js, against two earlier versions. */
  const withDeltas = (manifest: Manifest): Manifest => ({ ...manifest, files: { ...manifest.files, 'js/app.js': entryFor('js/app.js', 'v3', { deltasFrom: ['v1', 'v2'] }) } })
  const VALUES: unknown[] = [
    undefined, null, 0, -1, 1.5, 7, '', 'x', 'css/a.css', '../x', MANIFEST_FILE, 'sha384-Zm9v', [], ['css/a.css'], {}, { path: 'a.gz', size: 1 }, true,
    sha256('x'), `${sha256('x').slice(0, 42)}B=`, { hash: sha256('x'), match: 'js/app.*.js' }, { dcz: { path: 'a.dcz', size: 1 } },
  ]
  /** Every way of changing one field: each value above, or removing it; plus an unknown field next to it. */
  function* mutations(): Generator<[string, Record<string, unknown>]> {
    const doc = base()
    const places: string[][] = []
    const walk = (node: unknown, path: string[]): void => {
      if (node === null || typeof node !== 'object') return
      for (const key of Object.keys(node)) {
        places.push([...path, key])
        walk((node as Record<string, unknown>)[key], [...path, key])
      }
    }
    walk(doc.files, ['files'])
    walk(doc.history, ['history'])
    for (const place of places) {
      for (const value of [...VALUES, 'REMOVE', 'EXTRA']) {
        const copy = base()
        let node = copy
        for (const key of place.slice(0, -1)) node = node[key] as Record<string, unknown>
        const last = place.at(-1)!
        if (value === 'REMOVE') delete node[last]
        else if (value === 'EXTRA') {
          const target = node[last]
          if (target === null || typeof target !== 'object' || Array.isArray(target)) continue
          ;(target as Record<string, unknown>).unknown = 1
        } else node[last] = value
        yield [`${place.join('.')} = ${value === undefined ? 'undefined' : JSON.stringify(value)}`, copy]
      }
    }
  }

  it('agrees with the descriptive checks on every single-field change of a manifest', () => {
    let count = 0
    for (const [change, doc] of mutations()) {
      expect([change, fast(doc)]).toEqual([change, slow(doc)])
      count++
    }
    expect(count).toBeGreaterThan(500)
  })

  it('agrees on keys out of order, integer-like keys, "__proto__" and history to sort', () => {
    const doc = base()
    const files = doc.files as Record<string, unknown>
    const reordered = Object.fromEntries(Object.entries(files).reverse().map(([key, entry]) => [key, Object.fromEntries(Object.entries(entry as object).reverse())]))
    const withOdd = JSON.parse(JSON.stringify(files).replace('"img/logo.png"', '"__proto__"').replace('"css/b.css"', '"404"')) as unknown
    const history = [{ supersededAt: '2024-05-01T10:00:00.000Z', id: 'old', dropped: ['b.css', 'a.css', 'b.css'] }]
    for (const variant of [{ ...doc, files: reordered }, { ...doc, files: withOdd, carpools: {} }, { ...doc, history }]) {
      expect(fast(variant)).toBe(slow(variant))
      expect(fast(variant)).not.toMatch(/^error/)
    }
  })

  it('keeps what JSON.parse gave when it is canonical, and copies an entry with unknown fields', () => {
    const doc = base()
    const files = doc.files as Record<string, Record<string, unknown>>
    files['js/app.js']!.etag = 'x'
    const parsed = canonicalManifest(doc, 'x.json', { reuse: true, mutable: true })
    expect(parsed.files).toBe(doc.files)
    expect(parsed.files['css/a.css']).toBe(files['css/a.css'])
    expect(parsed.files['js/app.js']).not.toHaveProperty('etag')
    // Reused but not changed (a caller's objects, only read): a new record, the input as it was.
    const callers = base()
    ;(callers.files as Record<string, Record<string, unknown>>)['js/app.js']!.etag = 'x'
    const shared = canonicalManifest(callers, 'x.json', { reuse: true })
    expect(shared.files).not.toBe(callers.files)
    expect(shared.files['css/a.css']).toBe((callers.files as Record<string, unknown>)['css/a.css'])
    expect((callers.files as Record<string, Record<string, unknown>>)['js/app.js']!.etag).toBe('x')
    expect(shared.files['js/app.js']).not.toHaveProperty('etag')
    // Without reuse (a caller's objects), nothing of the input is kept.
    const copied = canonicalManifest(base(), 'x.json')
    expect(copied.files['css/a.css']).toEqual(files['css/a.css'])
  })

  it('copies what a caller made with a prototype of its own, which could print differently', () => {
    class Entry {
      toJSON(): string {
        return 'not an entry'
      }
    }
    const manifest = manifestOf({ 'css/a.css': 'v1' })
    const entry = Object.assign(new Entry(), manifest.files['css/a.css']) as unknown as ManifestEntry
    const text = serializeManifest({ ...manifest, files: { 'css/a.css': entry } })
    expect(text).toBe(serializeManifest(manifest))
  })

  it('never lets a polluted prototype slip a field into an entry', () => {
    const entry = entryFor('js/app.js') as unknown as Record<string, unknown>
    const { map, ...withoutMap } = entry
    const inherited = Object.assign(Object.create({ map }) as object, withoutMap)
    expect(fastEntry(inherited, true)).toEqual(withoutMap)
    expect(Object.hasOwn(fastEntry(inherited, true) as ManifestEntry, 'map')).toBe(false)
    expect(fastDropped(['b', 'a'], true)).toEqual(['a', 'b'])
  })
})

describe('a manifest of 100,000 entries', () => {
  const COUNT = 100_000
  const integrity = `sha384-${'A'.repeat(64)}`
  const entry = (i: number): ManifestEntry => {
    const served = `g${i % 100}/file-${i}.0123456789ab.cmin.css`
    return {
      served,
      size: 1000 + i,
      integrity,
      fingerprinted: `g${i % 100}/file-${i}.ba9876543210.css`,
      sourceHash: '0123456789abcdef0123456789abcdef',
      contentType: 'text/css; charset=utf-8',
      encodings: { gzip: { path: `${served}.gz`, size: 300 }, br: { path: `${served}.br`, size: 250 } },
    }
  }
  const files = Object.fromEntries(Array.from({ length: COUNT }, (_, i) => [`g${i % 100}/file-${i}.css`, entry(i)]))
  const manifest = createManifest({ files, baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } })
  const text = serializeManifest(manifest)

  it('round-trips, byte for byte', () => {
    const parsed = parseManifest(text, 'big.json')
    expect(Object.keys(parsed.files)).toHaveLength(COUNT)
    expect(parsed.files['g42/file-99942.css']).toEqual(entry(99_942))
    expect(serializeManifest(parsed)).toBe(text)
  })

  it('still names the file and the field of one bad entry among them', () => {
    const bad = text.replace('"g99/file-99999.ba9876543210.css"', '"g99/../file-99999.css"')
    expect(caught(() => parseManifest(bad, 'big.json')).message).toBe(
      '@convoy/manifest: big.json: files["g99/file-99999.css"].fingerprinted: unsafe path "g99/../file-99999.css" (it has a ".." segment)',
    )
  })
})
