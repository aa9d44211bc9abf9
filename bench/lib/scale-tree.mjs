// The generated trees of bench/scale-bench.mjs: N files of a deterministic mix (seeded PRNG, never Math.random),
// and one big text file. File i depends only on the seed and i (the CSS references of file i only name earlier
// images), so the 1k tree is the first thousand files of the 10k tree, and the 10k tree those of the 100k tree.
//
// The mix, by file count: 20% CSS (0.4–8 kB; 30% of them reference 1–3 earlier images with url()), 22% JS
// (0.4–10 kB), 15% SVG (0.3–5 kB), 10% JSON (0.2–6 kB), 13% HTML (0.8–9 kB), 20% PNG-like binary (0.5–30 kB of
// random bytes behind a PNG signature); sizes skewed towards the small end. Every thousandth file (index 999, 1999,
// …) is a larger JS file of 100–300 kB. 100 files per directory, ten directories per group (g000/d0/…). The text
// parses (terser, clean-css, JSON) and names no source map, so a run has no warnings to spend time on.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'

export const FILES_PER_DIRECTORY = 100
const DIRECTORIES_PER_GROUP = 10
const LARGE_JS_EVERY = 1000
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** mulberry32: a 32-bit seeded PRNG, small and fast enough to generate hundreds of MB. */
export function createRandom(seed) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  const float = () => next() / 0x1_0000_0000
  const int = (min, max) => min + Math.floor(float() * (max - min + 1))
  return { next, float, int, pick: (list) => list[int(0, list.length - 1)] }
}

/** A seed for file `index` of a tree: neighbouring indexes get unrelated streams. */
function seedFor(seed, index) {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const WORDS = (
  'alpha beta gamma delta north south panel header footer button card modal menu item list grid column row ' +
  'banner avatar badge toast input label field form table cell chart legend axis tooltip canvas layer marker ' +
  'route store cache queue worker timer event state value token theme color shadow border radius spacing ' +
  'carousel slider tab accordion drawer navbar sidebar content article section figure caption quote code'
).split(' ')

const KINDS = [
  { kind: 'css', weight: 20, min: 400, max: 8000 },
  { kind: 'js', weight: 22, min: 400, max: 10_000 },
  { kind: 'svg', weight: 15, min: 300, max: 5000 },
  { kind: 'json', weight: 10, min: 200, max: 6000 },
  { kind: 'html', weight: 13, min: 800, max: 9000 },
  { kind: 'png', weight: 20, min: 500, max: 30_000 },
]
const TOTAL_WEIGHT = KINDS.reduce((sum, kind) => sum + kind.weight, 0)

/** Kind, path and target size of file `index`: from the seed and the index alone. */
function describeFile(seed, index) {
  const random = createRandom(seedFor(seed, index))
  let kind
  let size
  if (index % LARGE_JS_EVERY === LARGE_JS_EVERY - 1) {
    kind = 'js'
    size = random.int(100_000, 300_000)
  } else {
    let roll = random.float() * TOTAL_WEIGHT
    const spec = KINDS.find((candidate) => (roll -= candidate.weight) < 0) ?? KINDS[0]
    kind = spec.kind
    // Squared: most files are small, as in a real static tree.
    size = spec.min + Math.floor((spec.max - spec.min) * random.float() ** 2)
  }
  const directory = Math.floor(index / FILES_PER_DIRECTORY)
  const group = String(Math.floor(directory / DIRECTORIES_PER_GROUP)).padStart(3, '0')
  const path = `g${group}/d${directory % DIRECTORIES_PER_GROUP}/${random.pick(WORDS)}-${index}.${kind}`
  return { index, kind, size, path, random }
}

const hex = (random) => random.int(0, 0xffffff).toString(16).padStart(6, '0')
const words = (random, count) => Array.from({ length: count }, () => random.pick(WORDS)).join(' ')

function css(file, images) {
  const { random, size, index } = file
  const parts = [`/* ${words(random, 8)} */\n`]
  let length = parts[0].length
  const push = (text) => {
    parts.push(text)
    length += text.length
  }
  // 30% reference 1–3 of the most recent images before them, by a path relative to the stylesheet.
  if (images.length > 0 && random.float() < 0.3) {
    const count = random.int(1, 3)
    for (let n = 0; n < count; n++) {
      const target = images[images.length - 1 - random.int(0, Math.min(images.length, 300) - 1)]
      const url = posix.relative(posix.dirname(file.path), target)
      push(`.${random.pick(WORDS)}-bg-${index}-${n} {\n  background-image: url("${url}");\n  background-repeat: no-repeat;\n}\n`)
    }
  }
  for (let rule = 0; length < size; rule++) {
    push(
      `.${random.pick(WORDS)}-${random.pick(WORDS)}-${rule} {\n  color: #${hex(random)};\n  margin: ${random.int(0, 24)}px ${random.int(0, 24)}px;\n` +
        `  padding: 0 ${random.int(0, 32)}px;\n  font-size: ${random.int(10, 28)}px;\n  border: 1px solid #${hex(random)};\n}\n` +
        (random.float() < 0.2 ? `/* ${words(random, 6)} */\n` : ''),
    )
  }
  return parts.join('')
}

function js(file) {
  const { random, size } = file
  const parts = [`/* ${words(random, 10)} */\n'use strict';\n`]
  let length = parts[0].length
  for (let n = 0; length < size; n++) {
    const name = `${random.pick(WORDS)}_${n}`
    const text =
      random.float() < 0.3
        ? `var ${name} = { key: "${words(random, 3)}", count: ${random.int(0, 999)}, enabled: ${random.float() < 0.5}, items: [${random.int(0, 9)}, ${random.int(0, 9)}, ${random.int(0, 9)}] };\n`
        : `// ${words(random, 7)}\nfunction ${name}(first, second) {\n  var total = first * ${random.int(2, 9)} + second;\n` +
          `  if (total > ${random.int(10, 99)}) {\n    return "${words(random, 4)} " + total;\n  }\n` +
          `  for (var i = 0; i < second; i++) {\n    total += i % ${random.int(2, 7)};\n  }\n  return [first, second, total].join("-");\n}\n`
    parts.push(text)
    length += text.length
  }
  return parts.join('')
}

function svg(file) {
  const { random, size } = file
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">\n  <title>${words(random, 3)}</title>\n`]
  let length = parts[0].length + 7
  while (length < size) {
    const coords = Array.from({ length: 6 }, () => (random.float() * 24).toFixed(2))
    const text = `  <path fill="#${hex(random)}" d="M${coords[0]} ${coords[1]}L${coords[2]} ${coords[3]}Q${coords[4]} ${coords[5]} 12 12Z"/>\n`
    parts.push(text)
    length += text.length
  }
  parts.push('</svg>\n')
  return parts.join('')
}

function json(file) {
  const { random, size, index } = file
  const items = []
  let length = 64
  while (length < size) {
    const item = { key: `${random.pick(WORDS)}-${items.length}`, value: random.int(0, 100_000), label: words(random, 4), tags: [random.pick(WORDS), random.pick(WORDS)] }
    items.push(item)
    length += JSON.stringify(item, null, 2).length + 4
  }
  return `${JSON.stringify({ id: index, name: words(random, 2), items }, null, 2)}\n`
}

function html(file) {
  const { random, size } = file
  const parts = [`<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>${words(random, 3)}</title>\n</head>\n<body>\n`]
  let length = parts[0].length + 16
  while (length < size) {
    const text = random.float() < 0.2 ? `  <h2>${words(random, 4)}</h2>\n` : `  <p class="${random.pick(WORDS)}">${words(random, random.int(8, 30))}</p>\n`
    parts.push(text)
    length += text.length
  }
  parts.push('</body>\n</html>\n')
  return parts.join('')
}

/** Random bytes behind a PNG signature: as incompressible as a real image, and served as image/png. */
function png(file) {
  const { random, size } = file
  const body = new Uint32Array(Math.ceil(size / 4))
  for (let n = 0; n < body.length; n++) body[n] = random.next()
  return Buffer.concat([PNG_SIGNATURE, Buffer.from(body.buffer, 0, Math.max(0, size - PNG_SIGNATURE.length))])
}

const GENERATORS = { css, js, svg, json, html, png }

/**
 * Writes the tree of `files` files into `dir` (created). Returns its file count, total bytes, the count per kind,
 * and `edit`: the logical path of the stylesheet the one-file-changed runs edit (the CSS file nearest the middle of
 * the tree; no file references a stylesheet, so editing it changes that file only).
 */
export function writeTree(dir, { files, seed }) {
  const images = []
  const kinds = {}
  let bytes = 0
  let edit
  let madeDirectory
  for (let index = 0; index < files; index++) {
    const file = describeFile(seed, index)
    const body = GENERATORS[file.kind](file, images)
    const target = join(dir, file.path)
    const parent = dirname(target)
    if (parent !== madeDirectory) {
      mkdirSync(parent, { recursive: true })
      madeDirectory = parent
    }
    writeFileSync(target, body)
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length
    bytes += length
    const totals = (kinds[file.kind] ??= { files: 0, bytes: 0 })
    totals.files++
    totals.bytes += length
    if (file.kind === 'png' || file.kind === 'svg') images.push(file.path)
    if (file.kind === 'css' && (edit === undefined || Math.abs(index - files / 2) < Math.abs(edit.index - files / 2))) edit = { index, path: file.path }
  }
  if (edit === undefined) throw new Error(`scale-tree: a tree of ${files} files has no stylesheet to edit`)
  return { files, bytes, kinds, edit: edit.path }
}

/** The edit of round `round` of the one-file-changed runs: a new rule, so minification cannot make it vanish. */
export function editedStylesheet(original, round) {
  return Buffer.concat([original, Buffer.from(`\n.convoy-scale-edit {\n  margin: ${round}px;\n}\n`)])
}

/** Writes one text file of `bytes` bytes of generated log lines, 1 MiB at a time. */
export function writeBigFile(path, { bytes, seed }) {
  const random = createRandom(seedFor(seed, -1))
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR']
  mkdirSync(dirname(path), { recursive: true })
  const fd = openSync(path, 'w')
  try {
    let written = 0
    let line = 0
    while (written < bytes) {
      const lines = []
      let length = 0
      while (length < 1 << 20) {
        const seconds = line++
        const text =
          `2026-01-01T${String(Math.floor(seconds / 3600) % 24).padStart(2, '0')}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}.${String(random.int(0, 999)).padStart(3, '0')}Z ` +
          `${random.pick(levels)} worker-${random.int(1, 8)} ${random.pick(WORDS)} /${random.pick(WORDS)}/${random.pick(WORDS)}/${random.int(1, 99_999)} ` +
          `status=${random.pick([200, 200, 200, 204, 304, 404, 500])} ms=${random.int(1, 2500)} id=${hex(random)}${hex(random)}\n`
        lines.push(text)
        length += text.length
      }
      const chunk = Buffer.from(lines.join(''))
      const piece = chunk.subarray(0, Math.min(chunk.length, bytes - written))
      writeSync(fd, piece)
      written += piece.length
    }
  } finally {
    closeSync(fd)
  }
  return { files: 1, bytes }
}
