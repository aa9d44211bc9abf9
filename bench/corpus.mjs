// Builds the benchmark corpus: a static tree the way a team vendors real front-end packages (unminified dist
// JS and CSS, the shipped .min files and source maps, their fonts and images), copied from pinned root
// devDependencies into bench/.corpus/tree/<package>/. Same bytes every time; reused while the stamp matches.
//
//   node bench/corpus.mjs          build (or reuse) and print the composition
//   node bench/corpus.mjs --force  rebuild
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = dirname(here)
export const CORPUS_DIR = join(here, '.corpus')
export const CORPUS_TREE = join(CORPUS_DIR, 'tree')
const STAMP = join(CORPUS_DIR, 'stamp.json')

/**
 * What is copied. `dep` is the root devDependency (an alias for bootstrap 3), `version` the exact pin it must have,
 * `copy` a list of [folder in the package, filter on the file's path relative to that folder, or null for all].
 * Targets stay as the packages ship them, so CSS `url()`s to fonts and images resolve inside the tree.
 */
export const PACKAGES = [
  {
    dep: 'bootstrap', version: '5.3.8', to: 'bootstrap',
    copy: [
      ['dist/css', /^bootstrap(-grid|-reboot|-utilities)?\.(min\.)?css(\.map)?$/],
      ['dist/js', /^bootstrap(\.bundle)?\.(min\.)?js(\.map)?$/],
    ],
  },
  { dep: 'bootstrap3', version: '3.4.1', to: 'bootstrap3', copy: [['dist', null]] },
  { dep: 'font-awesome', version: '4.7.0', to: 'font-awesome', copy: [['css', null], ['fonts', null]] },
  { dep: 'jquery', version: '3.7.1', to: 'jquery', copy: [['dist', /^jquery\.(min\.)?(js|map)$/]] },
  {
    dep: 'jquery-ui', version: '1.13.3', to: 'jquery-ui',
    copy: [['dist', /^(jquery-ui\.(min\.)?js|themes\/(base|smoothness|ui-lightness|redmond)\/.*)$/]],
  },
  { dep: 'leaflet', version: '1.9.4', to: 'leaflet', copy: [['dist', /^(leaflet(-src)?\.(js|css)(\.map)?|images\/.*)$/]] },
  { dep: 'lodash', version: '4.17.21', to: 'lodash', copy: [['', /^lodash(\.min)?\.js$/]] },
  {
    dep: 'moment', version: '2.30.1', to: 'moment',
    copy: [['', /^moment\.js$/], ['min', /^moment(-with-locales)?\.min\.js(\.map)?$/], ['locale', null]],
  },
  { dep: 'chart.js', version: '4.4.9', to: 'chart.js', copy: [['dist', /^chart\.umd\.js(\.map)?$/]] },
  { dep: 'd3', version: '7.9.0', to: 'd3', copy: [['dist', null]] },
  { dep: 'echarts', version: '5.6.0', to: 'echarts', copy: [['dist', /^echarts\.(min\.)?js$/]] },
  { dep: 'react', version: '18.3.1', to: 'react', copy: [['umd', /^react\.(development|production\.min)\.js$/]] },
  { dep: 'react-dom', version: '18.3.1', to: 'react-dom', copy: [['umd', /^react-dom\.(development|production\.min)\.js$/]] },
  { dep: 'vue', version: '3.5.13', to: 'vue', copy: [['dist', /^vue\.(global|esm-browser)(\.prod)?\.js$/]] },
  { dep: 'three', version: '0.170.0', to: 'three', copy: [['build', /^three\.module(\.min)?\.js$/]] },
  { dep: 'highlight.js', version: '11.11.1', to: 'highlight.js', copy: [['styles', /^[^/]*\.(css|png|jpg)$/]] },
]

const spec = JSON.stringify(PACKAGES, (_key, value) => (value instanceof RegExp ? value.source : value))
const specHash = createHash('sha256').update(spec).digest('hex').slice(0, 16)

function packageDir(dep) {
  const link = join(root, 'node_modules', dep)
  if (!existsSync(link)) throw new Error(`bench/corpus: ${dep} is not installed; run \`pnpm install\` at the repo root`)
  return realpathSync(link)
}

/** Every file under `dir`, as `/`-separated paths relative to it, sorted so the copy order never varies. */
function walk(dir, base = dir) {
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(full, base))
    else if (entry.isFile()) out.push(relative(base, full).split('\\').join('/'))
  }
  return out
}

/** Files of the built tree with their sizes, by package. */
export function describeCorpus(tree = CORPUS_TREE) {
  const files = walk(tree).map((path) => ({ path, size: statSync(join(tree, path)).size }))
  const byPackage = new Map()
  for (const file of files) {
    const top = file.path.slice(0, file.path.indexOf('/'))
    const row = byPackage.get(top) ?? { files: 0, bytes: 0, kinds: new Map() }
    row.files += 1
    row.bytes += file.size
    const kind = kindOf(file.path)
    row.kinds.set(kind, (row.kinds.get(kind) ?? 0) + file.size)
    byPackage.set(top, row)
  }
  return { files, byPackage, totalBytes: files.reduce((sum, file) => sum + file.size, 0) }
}

function kindOf(path) {
  if (/\.min\.(js|css)$/.test(path)) return 'min'
  if (/\.map$/.test(path)) return 'map'
  if (/\.m?js$/.test(path)) return 'js'
  if (/\.css$/.test(path)) return 'css'
  if (/\.(woff2?|ttf|eot|otf|svg)$/.test(path) && /font|glyph/i.test(path)) return 'font'
  if (/\.(png|gif|jpe?g|svg|webp)$/.test(path)) return 'image'
  return 'other'
}

/** Builds bench/.corpus/tree unless the stamp says it is already this spec with these versions. */
export function ensureCorpus({ force = false, log = console.log } = {}) {
  const versions = {}
  for (const pkg of PACKAGES) {
    const dir = packageDir(pkg.dep)
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (version !== pkg.version) {
      throw new Error(`bench/corpus: ${pkg.dep} is ${version}, the corpus pins ${pkg.version}; run \`pnpm install\` at the repo root`)
    }
    versions[pkg.dep] = version
  }
  const stamp = { spec: specHash, versions }
  if (!force && existsSync(STAMP) && existsSync(CORPUS_TREE) && readFileSync(STAMP, 'utf8') === JSON.stringify(stamp, null, 2)) {
    return CORPUS_TREE
  }
  log('bench/corpus: building bench/.corpus/tree from the pinned packages…')
  rmSync(CORPUS_DIR, { recursive: true, force: true })
  for (const pkg of PACKAGES) {
    const dir = packageDir(pkg.dep)
    let copied = 0
    for (const [from, filter] of pkg.copy) {
      const source = join(dir, from)
      for (const path of walk(source)) {
        if (filter !== null && !filter.test(path)) continue
        const target = join(CORPUS_TREE, pkg.to, from === '' ? '' : from, path)
        mkdirSync(dirname(target), { recursive: true })
        copyFileSync(source === dir ? join(dir, path) : join(source, path), target)
        copied += 1
      }
    }
    if (copied === 0) throw new Error(`bench/corpus: nothing copied from ${pkg.dep}@${pkg.version}: did its layout change?`)
  }
  writeFileSync(STAMP, JSON.stringify(stamp, null, 2))
  return CORPUS_TREE
}

export function printCorpus(log = console.log) {
  const { files, byPackage, totalBytes } = describeCorpus()
  const mb = (bytes) => (bytes / 1e6).toFixed(2)
  log(`corpus: ${files.length} files, ${mb(totalBytes)} MB in bench/.corpus/tree`)
  log(`  ${'package'.padEnd(14)} ${'version'.padEnd(9)} ${'files'.padStart(5)} ${'MB'.padStart(6)}  by kind (MB)`)
  for (const pkg of PACKAGES) {
    const row = byPackage.get(pkg.to)
    if (!row) continue
    const kinds = [...row.kinds].sort((a, b) => b[1] - a[1]).map(([kind, bytes]) => `${kind} ${mb(bytes)}`).join(', ')
    log(`  ${pkg.to.padEnd(14)} ${pkg.version.padEnd(9)} ${String(row.files).padStart(5)} ${mb(row.bytes).padStart(6)}  ${kinds}`)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  ensureCorpus({ force: process.argv.includes('--force') })
  printCorpus()
}
