// pnpm bench:deltas — what deploy deltas (RFC 9842, `compress.deltas`) cost at deploy and save on the wire, on the
// corpus of bench/corpus.mjs. Two copies of the corpus are deployed side by side, four times: v1, then three
// deploys that each add one line to every .js and .css file (the worst case: every script and stylesheet changed).
// One copy builds deltas against the newest 3 earlier versions (the default), the other runs with --no-deltas.
// Printed per deploy: the wall time of both, and, over the changed files that got a delta, the bytes a returning
// visitor downloads (the smallest delta) against the brotli sibling it would download otherwise.
//
//   node bench/deltas-bench.mjs [--deploys 4]
//
// Deltas need a Node whose zlib builds them: run it on Node 24 (dcb and dcz); Node 22 builds dcz only, Node 20 none.
// Not a test: it prints a table and exits 0 unless a run failed.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ensureCorpus } from './corpus.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const CLI = join(dirname(here), 'packages', 'core', 'dist', 'cli.js')
const WORK = join(here, '.work', 'deltas')

const { values: args } = parseArgs({ options: { deploys: { type: 'string', default: '4' } } })
const deploys = Number(args.deploys)
if (!Number.isInteger(deploys) || deploys < 2 || deploys > 10) throw new Error(`--deploys must be 2–10, got ${args.deploys}`)
if (!existsSync(CLI)) throw new Error(`deltas-bench: ${CLI} is missing; run \`pnpm turbo run build --filter=@convoy/core...\` first`)

const corpus = ensureCorpus()
rmSync(WORK, { recursive: true, force: true })
const variants = ['deltas', 'none'].map((name) => {
  const dir = join(WORK, name)
  cpSync(corpus, join(dir, 'tree'), { recursive: true })
  return { name, dir, seconds: /** @type {number[]} */ ([]) }
})

/** Every .js and .css file of a tree, relative paths. */
function scriptsAndStyles(/** @type {string} */ tree) {
  return readdirSync(tree, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(js|css)$/.test(entry.name))
    .map((entry) => relative(tree, join(entry.parentPath, entry.name)))
}

/** One deploy of `variant`: `convoy collect`, timed from spawn to exit. */
function deploy(/** @type {typeof variants[number]} */ variant) {
  const flags = ['collect', '--source', 'tree', '--out', 'out', '--quiet', ...(variant.name === 'none' ? ['--no-deltas'] : [])]
  const started = performance.now()
  const run = spawnSync(process.execPath, [CLI, ...flags], { cwd: variant.dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } })
  if (run.status !== 0) throw new Error(`deltas-bench: convoy collect failed for ${variant.name}:\n${run.stdout}${run.stderr}`)
  variant.seconds.push((performance.now() - started) / 1000)
}

/** Over the entries that have deltas: the smallest delta against the newest earlier version, and the brotli sibling. */
function wireBytes(/** @type {string} */ dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'out', 'convoy-manifest.json'), 'utf8'))
  let files = 0
  let delta = 0
  let brotli = 0
  for (const entry of Object.values(manifest.files)) {
    if (entry.deltas === undefined || entry.encodings?.br === undefined) continue
    const sizes = Object.values(entry.deltas).map((variants) => Math.min(...Object.values(variants).map((variant) => variant.size)))
    files += 1
    delta += Math.min(...sizes)
    brotli += entry.encodings.br.size
  }
  return { files, delta, brotli }
}

const rows = [['deploy', 'with deltas', '--no-deltas', 'extra', 'files with a delta', 'delta bytes', 'brotli bytes', 'delta / brotli']]
for (let version = 1; version <= deploys; version++) {
  if (version > 1) {
    for (const variant of variants) {
      const tree = join(variant.dir, 'tree')
      for (const path of scriptsAndStyles(tree)) {
        const file = join(tree, path)
        const line = path.endsWith('.css') ? `\n.convoy-bench-v${version} { order: ${version}; }\n` : `\n;window.convoyBench = ${version};\n`
        writeFileSync(file, `${readFileSync(file, 'utf8')}${line}`)
      }
    }
  }
  process.stderr.write(`deploy v${version} …\n`)
  for (const variant of variants) deploy(variant)
  const [withDeltas, without] = variants
  const bytes = wireBytes(withDeltas.dir)
  const a = withDeltas.seconds.at(-1)
  const b = without.seconds.at(-1)
  rows.push([
    `v${version}`, `${a.toFixed(1)} s`, `${b.toFixed(1)} s`, `${(a - b >= 0 ? '+' : '')}${(a - b).toFixed(1)} s`,
    String(bytes.files), `${(bytes.delta / 1000).toFixed(1)} kB`, `${(bytes.brotli / 1000).toFixed(1)} kB`, bytes.brotli === 0 ? '—' : `${((bytes.delta / bytes.brotli) * 100).toFixed(1)}%`,
  ])
}
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
console.log(`Node ${process.version}, ${scriptsAndStyles(corpus).length} .js/.css files changed by one line per deploy after v1\n`)
console.log(rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')).join('\n'))
rmSync(WORK, { recursive: true, force: true })
