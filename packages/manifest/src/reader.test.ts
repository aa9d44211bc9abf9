import { describe, expect, it, vi } from 'vitest'
import { createManifest, parseManifest, serializeManifest } from './manifest.js'
import { openManifest } from './reader.js'
import { carpoolOf, caught, entryFor, manifestOf } from './test-helpers.js'
import type { Manifest } from './types.js'

const PATHS = ['css/base.css', 'css/theme.css', 'js/app.js', 'img/logo.svg', 'a"quoted".css', 'ünï/çødé.js', '404.css', '__proto__', 'x\u2028y.js']

function written(): { manifest: Manifest; text: string } {
  const manifest = manifestOf(Object.fromEntries(PATHS.map((path) => [path, 'v1'])), { site: carpoolOf(['css/base.css', 'css/theme.css']) })
  return { manifest, text: serializeManifest(manifest) }
}

/** Text with `from` replaced once by `to` (the test fails if `from` is not there). */
function edited(text: string, from: string, to: string): string {
  expect(text).toContain(from)
  return text.replace(from, to)
}

/** Everything a reader says, beside what parseManifest says of the same text. */
function sameAnswers(text: string): void {
  const parsed = parseManifest(text, 'm.json')
  const reader = openManifest(text, 'm.json')
  expect({ id: reader.id, baseUrl: reader.baseUrl, hash: reader.hash, carpools: reader.carpools }).toEqual({
    id: parsed.id,
    baseUrl: parsed.baseUrl,
    hash: parsed.hash,
    carpools: parsed.carpools,
  })
  for (const path of [...Object.keys(parsed.files), 'missing.css', 'constructor', 'toString']) {
    expect(reader.entry(path), path).toEqual(Object.hasOwn(parsed.files, path) ? parsed.files[path] : undefined)
  }
  expect(reader.manifest()).toEqual(parsed)
}

describe('openManifest', () => {
  it('answers every lookup as parseManifest does, for text as serializeManifest writes it', () => {
    sameAnswers(written().text)
    sameAnswers(serializeManifest(createManifest({ files: {}, carpools: {}, baseUrl: '/', hash: { algorithm: 'md5', length: 12 } })))
    sameAnswers(`\uFEFF${written().text}`)
  })

  it('answers the same for text of any other layout (minified, reindented, keys reordered)', () => {
    const { manifest, text } = written()
    sameAnswers(JSON.stringify(manifest))
    sameAnswers(JSON.stringify(manifest, null, 4))
    sameAnswers(JSON.stringify({ ...manifest, files: Object.fromEntries(Object.entries(manifest.files).reverse()) }, null, 2))
    sameAnswers(text.replace('\n  "files": {', '\n  "files":  {'))
  })

  it('parses an entry only when it is looked up, and each once', () => {
    const paths = Array.from({ length: 200 }, (_, i) => `css/page-${i}.css`)
    const text = serializeManifest(manifestOf(Object.fromEntries(paths.map((path) => [path, 'v1'])), { site: carpoolOf(paths.slice(0, 2)) }))
    const parse = vi.spyOn(JSON, 'parse')
    try {
      const reader = openManifest(text, 'm.json')
      // The settings with the carpools and history, and the carpool's two members (checked with them).
      expect(parse.mock.calls.length).toBe(3)
      reader.entry('css/page-150.css')
      reader.entry('css/page-150.css')
      reader.entry('css/page-7.css')
      reader.entry('css/nope.css')
      expect(parse.mock.calls.length).toBe(5)
    } finally {
      parse.mockRestore()
    }
  })

  it('fails at open, with parseManifest’s error, when the settings, carpools or history are wrong', () => {
    const { text } = written()
    for (const bad of [
      edited(text, '"version": 1', '"version": 2'),
      edited(text, '"baseUrl": "/static/"', '"baseUrl": 7'),
      edited(text, '"members": [\n        "css/base.css"', '"members": [\n        "css/gone.css"'),
      edited(text, '\n  "carpools": {', '\n  "carpools": {,'),
      `${text.trimEnd()}x\n`,
      // Broken between or inside entries: not the layout, so the whole text is parsed (and fails).
      edited(text, '\n    },\n    "css/theme.css"', '\n    },\n    garbage,\n    "css/theme.css"'),
      edited(text, '\n    "404.css": {', '\n    "40"4.css": {'),
    ]) {
      expect(caught(() => openManifest(bad, 'm.json')).message).toBe(caught(() => parseManifest(bad, 'm.json')).message)
    }
  })

  it('fails the lookup of a broken entry with parseManifest’s error, every time, and still answers the others', () => {
    const { manifest, text } = written()
    const served = manifest.files['js/app.js']!.served
    for (const bad of [edited(text, `"served": "${served}"`, '"served": "../../etc/passwd"'), edited(text, `"served": "${served}",`, `"served": "${served}",,`)]) {
      const expected = caught(() => parseManifest(bad, 'm.json'))
      const reader = openManifest(bad, 'm.json')
      expect(reader.entry('css/base.css')).toEqual(manifest.files['css/base.css'])
      expect(caught(() => reader.entry('js/app.js'))).toEqual(expected)
      expect(caught(() => reader.entry('js/app.js'))).toBe(caught(() => reader.entry('js/app.js')))
      expect(caught(() => reader.manifest()).message).toBe(expected.message)
    }
  })

  it('fails the lookup of an entry whose text is not one JSON object, as the full parse fails', () => {
    const { text } = written()
    const bad = edited(text, '"size": 1002,\n', '"size": 1002,\n    }\n    {\n')
    const reader = openManifest(bad, 'm.json')
    expect(Object.keys(parseManifest(text, 'm.json').files)[0]).toBe('404.css')
    expect(caught(() => reader.entry('404.css'))).toEqual(caught(() => parseManifest(bad, 'm.json')))
  })

  it('checks the key of an entry as a path at its lookup', () => {
    const { text } = written()
    const bad = edited(text, '"404.css": {', '"../404.css": {')
    expect(caught(() => openManifest(bad, 'm.json').entry('../404.css')).message).toBe(caught(() => parseManifest(bad, 'm.json')).message)
  })

  it('takes the last of two "files" keys, as JSON.parse does', () => {
    const text = serializeManifest(manifestOf({ 'css/base.css': 'v1' }))
    const twice = edited(text, '\n  "carpools": {}', '\n  "carpools": {},\n  "files": {}')
    expect(parseManifest(twice, 'm.json').files).toEqual({})
    expect(openManifest(twice, 'm.json').entry('css/base.css')).toBeUndefined()
  })

  it('answers from a manifest object as it is', () => {
    const manifest = manifestOf({ 'css/base.css': 'v1' })
    const reader = openManifest(manifest)
    expect(reader.entry('css/base.css')).toBe(manifest.files['css/base.css'])
    expect(reader.manifest()).toBe(manifest)
    expect(entryFor('css/base.css')).toEqual(manifest.files['css/base.css'])
  })
})
