// The baseline of the collect benchmark: what a team writes by hand without Convoy. One file at a time on the main
// thread, with the libraries and settings Convoy uses by default (the very terser and clean-css installs of
// @convoy/minify, node:zlib gzip 9 and brotli 11):
//
//   for each file (sorted): read → md5 → original + fingerprinted copy
//     .js/.mjs/.cjs/.css not named .min.: terser (compress + mangle, license comments, source map) or clean-css
//       level 1 (no rebase, no inlining) → fingerprinted .cmin. file (+ .cmin.js.map); with `--reuse-min`, a shipped
//       sibling foo.min.js is served instead, as Convoy's useExistingMin does (then both do the same work)
//     served file of a text type: gzip 9 and brotli 11, each kept when ≤ 95% of the original
//   then a JSON manifest.
//
// It rewrites no references (CSS url(), sourceMappingURL): that only makes it cheaper than Convoy.
//
//   node bench/naive.mjs --source DIR --out DIR [--reuse-min] [--json]
import { createHash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
// The same installs Convoy's default engines load.
const requireFromMinify = createRequire(join(here, '..', 'packages', 'minify', 'package.json'))
const { minify: terser } = requireFromMinify('terser')
const CleanCSS = requireFromMinify('clean-css')

/** Convoy's list of compressible extensions, as it applies to a static tree like the corpus. */
const COMPRESSIBLE = new Set([
  'html', 'htm', 'xml', 'svg', 'txt', 'md', 'csv', 'js', 'mjs', 'cjs', 'jsx', 'ts', 'css', 'less', 'scss', 'sass',
  'map', 'json', 'webmanifest', 'wasm', 'ico', 'bmp', 'ttf', 'otf', 'eot', 'ttc',
])
const JS = /\.(?:m?js|cjs)$/i
const CSS = /\.css$/i

const md5 = (bytes) => createHash('md5').update(bytes).digest('hex').slice(0, 12)
const extensionOf = (path) => {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase()
}
const isMin = (path) => path.slice(path.lastIndexOf('/') + 1).toLowerCase().includes('.min.')
/** `a/b.css` → `a/b.<hash>.css`, `a/b.css` + `cmin` → `a/b.<hash>.cmin.css`. */
function fingerprinted(path, hash, marker) {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  const middle = marker ? `${hash}.${marker}` : hash
  return dot <= slash + 1 ? `${path}.${middle}` : `${path.slice(0, dot)}.${middle}${path.slice(dot)}`
}
function minSibling(path) {
  const dot = path.lastIndexOf('.')
  return `${path.slice(0, dot)}.min${path.slice(dot)}`
}

function walk(dir, base = dir) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(full, base))
    else if (entry.isFile()) out.push(relative(base, full).split('\\').join('/'))
  }
  return out
}

/** Runs the naive pipeline over `source` into `out`; resolves to a small report. */
export async function naiveCollect({ source, out, useExistingMin = false }) {
  const started = performance.now()
  const cleanCss = new CleanCSS({ level: 1, rebase: false, inline: false, returnPromise: false })
  const paths = walk(source).sort()
  const present = new Set(paths)
  const manifest = {}
  const totals = { files: 0, minified: 0, reusedMin: 0, minifyFailed: 0, gzip: 0, br: 0, bytesIn: 0, bytesOut: 0 }
  // Seconds spent in each kind of work, to show where the time goes.
  const phases = { readHash: 0, terser: 0, cleanCss: 0, gzip: 0, brotli: 0, write: 0 }
  let mark = performance.now()
  const charge = (phase) => {
    const now = performance.now()
    phases[phase] += (now - mark) / 1000
    mark = now
  }
  const write = (path, bytes) => {
    mark = performance.now()
    const target = join(out, path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, bytes)
    totals.bytesOut += bytes.length
    charge('write')
  }

  for (const path of paths) {
    mark = performance.now()
    const original = readFileSync(join(source, path))
    totals.files += 1
    totals.bytesIn += original.length
    const hash = md5(original)
    charge('readHash')
    const fingerprint = fingerprinted(path, hash)
    write(path, original)
    write(fingerprint, original)
    let served = { path: fingerprint, bytes: original }

    if ((JS.test(path) || CSS.test(path)) && !isMin(path)) {
      const sibling = minSibling(path)
      if (useExistingMin && present.has(sibling)) {
        const shipped = readFileSync(join(source, sibling))
        served = { path: fingerprinted(path, md5(shipped), 'cmin'), bytes: shipped }
        totals.reusedMin += 1
      } else if (JS.test(path)) {
        const mapPath = `${fingerprinted(path, hash, 'cmin')}.map`
        const name = (p) => p.slice(p.lastIndexOf('/') + 1)
        mark = performance.now()
        try {
          const result = await terser(
            { [name(fingerprint)]: original.toString('utf8') },
            {
              module: /\.mjs$/i.test(path),
              compress: {},
              mangle: true,
              format: { comments: 'some' },
              sourceMap: { filename: name(mapPath).replace(/\.map$/, ''), url: name(mapPath) },
            },
          )
          const code = Buffer.from(result.code ?? '')
          served = { path: fingerprinted(path, md5(code), 'cmin'), bytes: code }
          charge('terser')
          write(mapPath, Buffer.from(typeof result.map === 'string' ? result.map : JSON.stringify(result.map)))
          totals.minified += 1
        } catch {
          charge('terser')
          totals.minifyFailed += 1
        }
      } else {
        mark = performance.now()
        const result = cleanCss.minify(original.toString('utf8'))
        charge('cleanCss')
        if (result.errors.length === 0 && result.warnings.length === 0) {
          const code = Buffer.from(result.styles)
          served = { path: fingerprinted(path, md5(code), 'cmin'), bytes: code }
          totals.minified += 1
        } else {
          totals.minifyFailed += 1
        }
      }
      if (served.path !== fingerprint) write(served.path, served.bytes)
    }

    const entry = { served: served.path, size: served.bytes.length, fingerprinted: fingerprint }
    if (COMPRESSIBLE.has(extensionOf(path)) && served.bytes.length > 0) {
      const limit = 0.95 * served.bytes.length
      mark = performance.now()
      const gz = gzipSync(served.bytes, { level: 9 })
      charge('gzip')
      const text = isUtf8(served.bytes) && !served.bytes.includes(0)
      const br = brotliCompressSync(served.bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 11,
          [constants.BROTLI_PARAM_SIZE_HINT]: served.bytes.length,
          [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
        },
      })
      charge('brotli')
      if (gz.length <= limit) {
        write(`${served.path}.gz`, gz)
        entry.gzip = gz.length
        totals.gzip += 1
      }
      if (br.length <= limit) {
        write(`${served.path}.br`, br)
        entry.br = br.length
        totals.br += 1
      }
    }
    manifest[path] = entry
  }
  write('naive-manifest.json', Buffer.from(JSON.stringify({ version: 1, files: manifest }, null, 2)))
  return { ...totals, phases, seconds: (performance.now() - started) / 1000 }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { source: { type: 'string' }, out: { type: 'string' }, 'reuse-min': { type: 'boolean' }, json: { type: 'boolean' } },
  })
  if (!values.source || !values.out) {
    console.error('usage: node bench/naive.mjs --source DIR --out DIR [--reuse-min] [--json]')
    process.exit(2)
  }
  const report = await naiveCollect({ source: values.source, out: values.out, useExistingMin: values['reuse-min'] === true })
  console.log(values.json ? JSON.stringify(report) : report)
}
