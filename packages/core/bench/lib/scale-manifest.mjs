// A realistic manifest of N entries for the runtime and serving scale benchmarks
// (packages/core/bench/manifest-scale-bench.mjs, packages/serve/bench/index-scale-bench.mjs).
//
// Built with @convoy/manifest's own createManifest (passed in, so each benchmark uses the build it measures), so it
// is exactly what `convoy collect` writes: the mix of bench/lib/scale-tree.mjs by entry count — 20% CSS and 22% JS
// (minified `.cmin.` served file, gzip and brotli siblings, a source map for two JS files in three), 15% SVG
// (minified, gzip + br), 10% JSON and 13% HTML (fingerprinted, gzip + br), 20% PNG (fingerprinted only) — about 100
// entries per folder, ten folders per group; one carpool per 5,000 entries; and a history of 20 earlier versions,
// each replacing 1% of the entries (their old served, fingerprinted, map and compressed names). Deterministic: entry i
// depends only on i, never on Math.random.
import { createHash } from 'node:crypto'

const KINDS = [
  { ext: 'css', weight: 20, min: 400, max: 8000, minified: true, compressed: true, type: 'text/css; charset=utf-8' },
  { ext: 'js', weight: 22, min: 400, max: 10_000, minified: true, compressed: true, type: 'text/javascript; charset=utf-8' },
  { ext: 'svg', weight: 15, min: 300, max: 5000, minified: true, compressed: true, type: 'image/svg+xml; charset=utf-8' },
  { ext: 'json', weight: 10, min: 200, max: 6000, minified: false, compressed: true, type: 'application/json; charset=utf-8' },
  { ext: 'html', weight: 13, min: 800, max: 9000, minified: false, compressed: true, type: 'text/html; charset=utf-8' },
  { ext: 'png', weight: 20, min: 500, max: 30_000, minified: false, compressed: false, type: 'image/png' },
]
const TOTAL_WEIGHT = KINDS.reduce((sum, kind) => sum + kind.weight, 0)
const FILES_PER_DIRECTORY = 100
const DIRECTORIES_PER_GROUP = 10
const CHANGED_PER_VERSION = 0.01

/** A 32-bit hash of `i` and `salt`, spread over the whole range (neighbouring indexes are unrelated). */
function mix(i, salt = 0) {
  let h = (Math.imul(i + 1, 0x9e3779b9) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const hex = (text, length = 12) => createHash('md5').update(text).digest('hex').slice(0, length)
const sri = (text) => `sha384-${createHash('sha384').update(text).digest('base64')}`

function kindOf(i) {
  let pick = mix(i, 1) % TOTAL_WEIGHT
  for (const kind of KINDS) {
    if (pick < kind.weight) return kind
    pick -= kind.weight
  }
  return KINDS[0]
}

/** The logical path of entry `i`: `g003/d7/card-300.css`. */
export function logicalPathOf(i) {
  const kind = kindOf(i)
  const directory = Math.floor(i / FILES_PER_DIRECTORY)
  const group = Math.floor(directory / DIRECTORIES_PER_GROUP)
  const words = ['alpha', 'panel', 'header', 'button', 'card', 'modal', 'grid', 'chart', 'theme', 'route']
  return `g${String(group).padStart(3, '0')}/d${directory % DIRECTORIES_PER_GROUP}/${words[mix(i, 2) % words.length]}-${i}.${kind.ext}`
}

/** Inserts a hash (and the minified marker) before the last extension, as `@convoy/hash` does. */
function withHash(path, hash, marker = '') {
  const dot = path.lastIndexOf('.')
  return `${path.slice(0, dot)}.${hash}${marker}${path.slice(dot)}`
}

/** The storage paths and entry of entry `i` at content version `version` (a string). */
function entryOf(i, version) {
  const kind = kindOf(i)
  const logicalPath = logicalPathOf(i)
  const content = `${logicalPath}@${version}`
  const size = kind.min + (mix(i, 3 + version.length) % (kind.max - kind.min))
  const fingerprinted = withHash(logicalPath, hex(content))
  const served = kind.minified ? withHash(logicalPath, hex(`${content}:min`), '.cmin') : fingerprinted
  const servedSize = kind.minified ? Math.round(size * 0.7) : size
  const entry = {
    served,
    size: servedSize,
    integrity: sri(served),
    fingerprinted,
    sourceHash: hex(content, 32),
    contentType: kind.type,
    ...(kind.compressed
      ? { encodings: { gzip: { path: `${served}.gz`, size: Math.round(servedSize * 0.32) }, br: { path: `${served}.br`, size: Math.round(servedSize * 0.27) } } }
      : {}),
    ...(kind.ext === 'js' && mix(i, 4) % 3 !== 0 ? { map: `${served}.map` } : {}),
  }
  return { logicalPath, entry, originalSize: size }
}

/** The paths of `entry` other than its logical path (the ones a new version replaces). */
function versionedPaths(entry) {
  const paths = [entry.served, entry.fingerprinted]
  if (entry.map !== undefined) paths.push(entry.map)
  if (entry.encodings?.gzip) paths.push(entry.encodings.gzip.path)
  if (entry.encodings?.br) paths.push(entry.encodings.br.path)
  return [...new Set(paths)]
}

/**
 * The manifest of `entries` entries, built by `createManifest` (validated, sorted, with its content id), and the
 * byte size of every file an output folder holds for it (current files, originals and history alike) — what the
 * serving benchmark writes to disk.
 *
 * @param {(options: object) => object} createManifest `@convoy/manifest`'s
 * @param {{ entries: number, historyVersions?: number }} options
 */
export function generateManifest(createManifest, { entries, historyVersions = 20 }) {
  const files = {}
  const sizes = new Map()
  const logicalPaths = []
  for (let i = 0; i < entries; i++) {
    const { logicalPath, entry, originalSize } = entryOf(i, 'current')
    files[logicalPath] = entry
    logicalPaths.push(logicalPath)
    sizes.set(logicalPath, originalSize)
    sizes.set(entry.fingerprinted, originalSize)
    sizes.set(entry.served, entry.size)
    if (entry.map !== undefined) sizes.set(entry.map, Math.round(entry.size * 1.4))
    for (const variant of Object.values(entry.encodings ?? {})) sizes.set(variant.path, variant.size)
  }

  const carpools = {}
  const css = logicalPaths.filter((path) => path.endsWith('.css'))
  for (let c = 0; c < Math.max(1, Math.floor(entries / 5000)) && css.length >= 4; c++) {
    const members = [0, 1, 2, 3].map((k) => css[(c * 4 + k) % css.length])
    const served = `CARPOOL/css/${hex(members.join('\n'), 16)}.cmin.css`
    const size = members.reduce((sum, member) => sum + files[member].size, 0)
    carpools[`bundle-${c}`] = {
      kind: 'css',
      members,
      served,
      size,
      integrity: sri(served),
      contentType: 'text/css; charset=utf-8',
      encodings: { gzip: { path: `${served}.gz`, size: Math.round(size * 0.3) }, br: { path: `${served}.br`, size: Math.round(size * 0.25) } },
    }
    sizes.set(served, size)
    sizes.set(`${served}.gz`, Math.round(size * 0.3))
    sizes.set(`${served}.br`, Math.round(size * 0.25))
  }

  // Newest first: version k replaced 1% of the entries; what it named and its successor did not is `dropped`.
  const history = []
  const changed = Math.max(1, Math.round(entries * CHANGED_PER_VERSION))
  for (let k = 0; k < historyVersions; k++) {
    const dropped = []
    for (let n = 0; n < changed; n++) {
      const i = mix(n, 1000 + k) % entries
      const old = entryOf(i, `v${historyVersions - k}`).entry
      for (const path of versionedPaths(old)) {
        dropped.push(path)
        sizes.set(path, old.size)
      }
    }
    history.push({
      supersededAt: new Date(Date.UTC(2025, 0, 1) + (historyVersions - k) * 3_600_000).toISOString(),
      id: hex(`version ${historyVersions - k}`, 16),
      dropped,
    })
  }

  const manifest = createManifest({ files, carpools, baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 }, history })
  return { manifest, logicalPaths, sizes }
}

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** The value of `--name N` on the command line, or `fallback`. */
export function numberOption(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  if (at === -1) return fallback
  const value = Number(process.argv[at + 1])
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} needs a positive whole number, got ${process.argv[at + 1]}`)
  return value
}

/** Removes `cleanup` targets on exit and on Ctrl-C, once. */
export function removeOnExit(cleanup) {
  let done = false
  const run = () => {
    if (done) return
    done = true
    cleanup()
  }
  process.once('exit', run)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      run()
      process.exit(130)
    })
  }
  return run
}
