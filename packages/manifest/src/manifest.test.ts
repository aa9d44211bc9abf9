import { readFileSync } from 'node:fs'
import type { ConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { createManifest, lookup, parseManifest, serializeManifest } from './manifest.js'
import { carpoolOf, caught, entryFor, manifestOf } from './test-helpers.js'
import { MANIFEST_VERSION, type Manifest } from './types.js'

const SOURCE = '/srv/static/convoy-manifest.json'

function sample(): Manifest {
  const manifest = manifestOf({ 'css/base.css': 'v1', 'css/print.css': 'v1', 'js/app.js': 'v1', 'img/logo.png': 'v1' }, {
    site: carpoolOf(['css/base.css', 'css/print.css']),
  })
  return { ...manifest, files: { ...manifest.files, 'js/app.js': entryFor('js/app.js', 'v3', { deltasFrom: ['v1', 'v2'] }) } }
}
/** The dictionary hash of js/app.js's first delta in {@link sample}. */
const firstDelta = (): string => Object.keys(sample().files['js/app.js']!.deltas!)[0]!

describe('parseManifest / serializeManifest', () => {
  it('round-trips a manifest', () => {
    const manifest = sample()
    const text = serializeManifest(manifest)
    expect(parseManifest(text, SOURCE)).toEqual(manifest)
    expect(serializeManifest(parseManifest(text, SOURCE))).toBe(text)
  })

  it('writes 2-space indented JSON with the fields in the documented order and a trailing newline', () => {
    const text = serializeManifest(sample())
    expect(text.endsWith('}\n')).toBe(true)
    expect(text).toMatch(/^\{\n {2}"version": 1,\n {2}"id": "[0-9a-f]{16}",\n {2}"baseUrl": "\/static\/",\n {2}"hash": \{/)
    expect([...text.matchAll(/^ {2}"(\w+)":/gm)].map((m) => m[1])).toEqual(['version', 'id', 'baseUrl', 'hash', 'files', 'carpools', 'history'])
    const entryKeys = [...text.matchAll(/^ {6}"(\w+)":/gm)].slice(0, 7).map((m) => m[1])
    expect(entryKeys).toEqual(['served', 'size', 'integrity', 'fingerprinted', 'sourceHash', 'contentType', 'encodings'])
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`)
  })

  it('gives byte-identical text whatever order keys were inserted in', () => {
    const paths = ['js/app.js', 'css/base.css', 'a.css', 'z/last.css', 'css/print.css']
    const forward = Object.fromEntries(paths.map((p) => [p, entryFor(p)]))
    const backward = Object.fromEntries(
      [...paths].reverse().map((p) => [p, Object.fromEntries(Object.entries(entryFor(p)).reverse()) as unknown as ReturnType<typeof entryFor>]),
    )
    const options = { baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } }
    const a = createManifest({ ...options, files: forward, carpools: { b: carpoolOf(['a.css']), a: carpoolOf(['css/base.css']) } })
    const b = createManifest({ ...options, files: backward, carpools: { a: carpoolOf(['css/base.css']), b: carpoolOf(['a.css']) } })
    expect(serializeManifest(a)).toBe(serializeManifest(b))
    const text = serializeManifest(a)
    const order = paths.map((p) => text.indexOf(`"${p}": {`))
    expect([...paths].sort().map((p) => text.indexOf(`"${p}": {`))).toEqual([...order].sort((x, y) => x - y))
  })

  it('sorts keys that look like integers too (plain objects would put them first)', () => {
    const manifest = manifestOf({ '9': 'v1', '10': 'v1', '1a.css': 'v1', '-dash.css': 'v1' })
    const keys = [...serializeManifest(manifest).matchAll(/^ {4}"([^"]+)": \{/gm)].map((m) => m[1])
    expect(keys).toEqual(['-dash.css', '10', '1a.css', '9'])
  })

  it('ignores unknown fields (added by a later minor release) and keeps only known ones', () => {
    const document = JSON.parse(serializeManifest(sample())) as Record<string, unknown>
    const withExtras = { ...document, generator: 'convoy 9.9', files: { ...(document.files as object) } }
    ;(withExtras.files as Record<string, Record<string, unknown>>)['css/base.css']!.etag = 'W/"x"'
    const parsed = parseManifest(JSON.stringify(withExtras), SOURCE)
    expect(parsed).toEqual(sample())
    expect(serializeManifest(parsed)).not.toContain('etag')
  })

  it('accepts a leading byte-order mark', () => {
    expect(parseManifest(`\uFEFF${serializeManifest(sample())}`, SOURCE)).toEqual(sample())
  })

  it('keeps a file named __proto__ as a plain key', () => {
    const text = serializeManifest(sample()).replace('"img/logo.png"', '"__proto__"')
    const manifest = parseManifest(text, SOURCE)
    expect(lookup(manifest, '__proto__')?.contentType).toBeDefined()
    expect(Object.getPrototypeOf(manifest.files)).toBe(Object.prototype)
    expect(serializeManifest(manifest)).toContain('"__proto__": {')
  })
})

describe('parseManifest errors', () => {
  const REMOVE = Symbol('remove')
  const valid = (): Record<string, unknown> => JSON.parse(serializeManifest(sample())) as Record<string, unknown>
  const fails = (text: string): ConvoyError => caught(() => parseManifest(text, SOURCE))
  /** The problem reported for a valid manifest with the value at `path` replaced (or removed). */
  const failsWith = (path: readonly string[], value: unknown): string => {
    const doc = valid()
    let node = doc
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
    if (value === REMOVE) delete node[path.at(-1)!]
    else node[path.at(-1)!] = value
    const error = fails(JSON.stringify(doc))
    expect(error.code).toBe('ERR_CONVOY_MANIFEST')
    expect(error.file).toBe(SOURCE)
    expect(error.message.startsWith(`@convoy/manifest: ${SOURCE}: `)).toBe(true)
    return error.message.slice(`@convoy/manifest: ${SOURCE}: `.length)
  }
  const base = ['files', 'css/base.css']

  it('names the file, line and column of invalid JSON and keeps the cause', () => {
    const error = fails('{\n  "version": 1,\n  "id": "x",,\n}')
    expect(error.code).toBe('ERR_CONVOY_MANIFEST')
    expect(error.message).toMatch(/^@convoy\/manifest: \/srv\/static\/convoy-manifest\.json:3:13: invalid JSON \(/)
    expect([error.file, error.line, error.column]).toEqual([SOURCE, 3, 13])
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })

  it.each([
    ['empty text', ''],
    ['truncated text', serializeManifest(sample()).slice(0, 200)],
    ['not JSON at all', '<html>Not Found</html>'],
  ])('rejects %s as invalid JSON naming the file', (_, text) => {
    const error = fails(text)
    expect(error.message).toContain(`@convoy/manifest: ${SOURCE}`)
    expect(error.message).toContain('invalid JSON')
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })

  it('rejects an unknown version with the documented message', () => {
    const error = fails(JSON.stringify({ ...valid(), version: 7 }))
    expect(error.message).toBe(
      '@convoy/manifest: /srv/static/convoy-manifest.json: unknown manifest version 7 (this version of @convoy/manifest reads version 1)',
    )
    expect(failsWith(['version'], '1')).toBe(`unknown manifest version "1" (this version of @convoy/manifest reads version ${MANIFEST_VERSION})`)
  })

  it.each([
    ['an array', '[]', 'expected a JSON object at the top level, got an array'],
    ['null', 'null', 'expected a JSON object at the top level, got null'],
    ['an object without version', '{"files":{}}', 'missing "version" (is this a Convoy manifest?)'],
  ])('rejects %s at the top level', (_, text, problem) => {
    expect(fails(text).message).toBe(`@convoy/manifest: ${SOURCE}: ${problem}`)
  })

  it.each(['id', 'baseUrl', 'hash', 'files', 'carpools', 'history'])('rejects a manifest without "%s"', (key) => {
    expect(failsWith([key], REMOVE)).toBe(`missing "${key}"`)
  })

  it.each(['served', 'size', 'integrity', 'fingerprinted', 'sourceHash', 'contentType'])('rejects an entry without "%s"', (key) => {
    expect(failsWith([...base, key], REMOVE)).toBe(`files["css/base.css"]: missing "${key}"`)
  })

  it.each<[string, readonly string[], unknown, string]>([
    ['files as an array', ['files'], [], 'files: expected an object, got an array'],
    ['an entry that is a string', base, 'css/base.css', 'files["css/base.css"]: expected an object, got "css/base.css"'],
    ['a non-string served path', [...base, 'served'], 42, 'files["css/base.css"].served: expected a non-empty string, got 42'],
    ['a size given as text', [...base, 'size'], '12', 'files["css/base.css"].size: expected a non-negative integer, got "12"'],
    ['a negative size', [...base, 'size'], -1, 'files["css/base.css"].size: expected a non-negative integer, got -1'],
    ['a fractional size', [...base, 'size'], 1.5, 'files["css/base.css"].size: expected a non-negative integer, got 1.5'],
    ['an md5 integrity', [...base, 'integrity'], 'md5-abc', 'files["css/base.css"].integrity: expected an SRI integrity string "sha384-<base64>", got "md5-abc"'],
    ['an empty content type', [...base, 'contentType'], '', 'files["css/base.css"].contentType: expected a non-empty string, got ""'],
    ['a null map', ['files', 'js/app.js', 'map'], null, 'files["js/app.js"].map: expected a non-empty string, got null'],
    ['an encoding without size', [...base, 'encodings', 'gzip', 'size'], REMOVE, 'files["css/base.css"].encodings.gzip: missing "size"'],
    ['a dictionary hash that is hex', ['files', 'js/app.js', 'dictionary', 'hash'], 'ab'.repeat(32), `files["js/app.js"].dictionary.hash: expected a SHA-256 in base64 (44 characters), got "${'ab'.repeat(28)}...`],
    ['a dictionary without match', ['files', 'js/app.js', 'dictionary', 'match'], REMOVE, 'files["js/app.js"].dictionary: missing "match"'],
    ['deltas keyed by something else', ['files', 'js/app.js', 'deltas'], { 'v1': { dcz: { path: 'a.dcz', size: 1 } } }, 'files["js/app.js"].deltas["v1"]: expected a SHA-256 in base64 (44 characters), got "v1"'],
    ['a dictionary with no delta', ['files', 'js/app.js', 'deltas', firstDelta()], {}, `files["js/app.js"].deltas["${firstDelta()}"]: expected at least one of "dcb", "dcz"`],
    ['a delta without size', ['files', 'js/app.js', 'deltas', firstDelta(), 'dcz', 'size'], REMOVE, `files["js/app.js"].deltas["${firstDelta()}"].dcz: missing "size"`],
    ['a carpool dictionary hash that is not base64', ['carpools', 'site', 'dictionary'], { hash: 'x', match: 'CARPOOL/css/*.cmin.css' }, 'carpools["site"].dictionary.hash: expected a SHA-256 in base64 (44 characters), got "x"'],
    ['a carpool delta without path', ['carpools', 'site', 'deltas'], { [firstDelta()]: { dcb: { size: 3 } } }, `carpools["site"].deltas["${firstDelta()}"].dcb: missing "path"`],
    ['a hash length of 0', ['hash', 'length'], 0, 'hash.length: expected a positive integer, got 0'],
    ['an empty id', ['id'], '', 'id: expected a non-empty string, got ""'],
    ['a carpool of another kind', ['carpools', 'site', 'kind'], 'ts', 'carpools["site"].kind: expected "css" or "js", got "ts"'],
    ['a carpool without members', ['carpools', 'site', 'members'], [], 'carpools["site"].members: a carpool needs at least one member'],
    ['a carpool member not collected', ['carpools', 'site', 'members'], ['css/base.css', 'css/print.css', 'css/gone.css'], 'carpools["site"].members[2]: "css/gone.css" is not in "files"'],
    ['history as an object', ['history'], {}, 'history: expected an array, got an object'],
    ['a history time that is not ISO 8601', ['history'], [{ supersededAt: 'yesterday', id: 'x', dropped: [] }], 'history[0].supersededAt: expected an ISO 8601 time, got "yesterday"'],
  ])('rejects %s', (_, path, value, problem) => {
    expect(failsWith(path, value)).toBe(problem)
  })

  it.each<[string, (unsafe: string) => [readonly string[], unknown], string]>([
    ['a logical path', (p) => [['files', p], (valid().files as Record<string, unknown>)['css/base.css']], 'files[%s]'],
    ['a served path', (p) => [[...base, 'served'], p], 'files["css/base.css"].served'],
    ['a fingerprinted path', (p) => [[...base, 'fingerprinted'], p], 'files["css/base.css"].fingerprinted'],
    ['a map path', (p) => [['files', 'js/app.js', 'map'], p], 'files["js/app.js"].map'],
    ['an encoded path', (p) => [[...base, 'encodings', 'br', 'path'], p], 'files["css/base.css"].encodings.br.path'],
    ['a delta path', (p) => [['files', 'js/app.js', 'deltas', firstDelta(), 'dcz', 'path'], p], `files["js/app.js"].deltas["${firstDelta()}"].dcz.path`],
    ['a carpool path', (p) => [['carpools', 'site', 'served'], p], 'carpools["site"].served'],
    ['a dropped path', (p) => [['history'], [{ supersededAt: '2024-05-01T10:00:00.000Z', id: 'x', dropped: [p] }]], 'history[0].dropped[0]'],
  ])('rejects an unsafe path as %s', (_, edit, where) => {
    for (const [path, reason] of [
      ['../../etc/passwd', 'it has a ".." segment'],
      ['/etc/passwd', 'it is absolute (starts with "/")'],
      ['C:/Windows/win.ini', 'it starts with a Windows drive letter'],
      ['css\\base.css', 'it contains a backslash (folders are separated by "/")'],
      ['css/base.css\0.png', 'it contains a NUL byte'],
      ['css//base.css', 'it has an empty segment ("//" or a trailing "/")'],
      ['./css/base.css', 'it has a "." segment'],
      ['convoy-manifest.json', 'it is the manifest file itself'],
    ] as const) {
      expect(failsWith(...edit(path))).toBe(`${where.replace('%s', JSON.stringify(path))}: unsafe path ${JSON.stringify(path)} (${reason})`)
    }
  })
})

describe('createManifest', () => {
  const options = { baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } }
  const files = { 'css/base.css': entryFor('css/base.css'), 'js/app.js': entryFor('js/app.js') }

  it('identifies the content with a 16-hex sha256 id, independent of history', () => {
    const manifest = createManifest({ ...options, files })
    expect(manifest.id).toMatch(/^[0-9a-f]{16}$/)
    expect(manifest.carpools).toEqual({})
    expect(manifest.history).toEqual([])
    const withHistory = createManifest({ ...options, files, history: [{ supersededAt: '2024-05-01T10:00:00.000Z', id: 'old', dropped: ['a.css'] }] })
    expect(withHistory.id).toBe(manifest.id)
    expect(withHistory.history).toHaveLength(1)
  })

  it.each<[string, Parameters<typeof createManifest>[0]]>([
    ['a file', { ...options, files: { ...files, 'css/base.css': entryFor('css/base.css', 'v2') } }],
    ['a carpool', { ...options, files, carpools: { site: carpoolOf(['css/base.css']) } }],
    ['the base URL', { ...options, files, baseUrl: 'https://cdn.example.com/static/' }],
    ['the hash settings', { ...options, files, hash: { algorithm: 'sha256', length: 12 } }],
  ])('changes the id when %s changes', (_, changed) => {
    expect(createManifest(changed).id).not.toBe(createManifest({ ...options, files }).id)
  })

  it('rejects an invalid entry naming createManifest()', () => {
    const error = caught(() => createManifest({ ...options, files: { '../x.css': entryFor('x.css') } }))
    expect(error.code).toBe('ERR_CONVOY_MANIFEST')
    expect(error.message).toBe('@convoy/manifest: createManifest(): files["../x.css"]: unsafe path "../x.css" (it has a ".." segment)')
  })

  it('refuses to serialize something that is not a manifest', () => {
    const broken = { ...sample(), files: { 'a.css': { served: 'a.css' } } } as unknown as Manifest
    expect(caught(() => serializeManifest(broken)).message).toBe('@convoy/manifest: manifest to serialize: files["a.css"]: missing "size"')
  })
})

describe('lookup', () => {
  it('finds a logical path and nothing else', () => {
    const manifest = sample()
    expect(lookup(manifest, 'css/base.css')).toBe(manifest.files['css/base.css'])
    expect(lookup(manifest, 'css/nope.css')).toBeUndefined()
    expect(lookup(manifest, 'constructor')).toBeUndefined()
    expect(lookup(manifest, 'toString')).toBeUndefined()
  })
})

describe('README', () => {
  it('shows an example document that parses and is already in canonical form', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = /<!-- example-manifest -->\n```json\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(example).toBeDefined()
    const manifest = parseManifest(example!, 'README.md')
    expect(serializeManifest(manifest)).toBe(example)
    expect(Object.keys(manifest.files).length).toBeGreaterThan(1)
    expect(manifest.history.length).toBeGreaterThan(0)
  })
})
