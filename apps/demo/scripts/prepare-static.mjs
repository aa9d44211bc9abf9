// Copies the front-end libraries the demo uses from node_modules into static-vendor/, the second source of
// convoy.config.mjs. Unminified builds where the package ships one, so `convoy collect` has real work to do; the
// shipped .min files are left out on purpose (collect would otherwise reuse them, see useExistingMin).
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const app = join(dirname(fileURLToPath(import.meta.url)), '..')
const modules = join(app, 'node_modules')
const target = join(app, 'static-vendor')

/** @type {[from: string, to: string][]} file in node_modules → logical path in static-vendor */
const FILES = [
  ['bootstrap/dist/css/bootstrap.css', 'vendor/bootstrap/bootstrap.css'],
  ['bootstrap/dist/js/bootstrap.bundle.js', 'vendor/bootstrap/bootstrap.bundle.js'],
  ['jquery/dist/jquery.js', 'vendor/jquery/jquery.js'],
  // Chart.js 4 ships its UMD build already minified; it is the build a <script> tag can load.
  ['chart.js/dist/chart.umd.js', 'vendor/chart.js/chart.umd.js'],
  ['@fontsource/inter/files/inter-latin-400-normal.woff2', 'vendor/inter/inter-latin-400-normal.woff2'],
  ['@fontsource/inter/files/inter-latin-600-normal.woff2', 'vendor/inter/inter-latin-600-normal.woff2'],
  ['@fontsource/inter/files/inter-latin-700-normal.woff2', 'vendor/inter/inter-latin-700-normal.woff2'],
  ['@fontsource/inter/LICENSE', 'vendor/inter/LICENSE.txt'],
]

// The packages' source maps are not copied, so their sourceMappingURL comments would point at nothing (a collect
// warning, and a 404 for anyone opening the browser's developer tools): drop them.
const SOURCE_MAP_COMMENT = /\n?\/[*/]# sourceMappingURL=[^\s*]+(?: \*\/)?\s*$/

await rm(target, { recursive: true, force: true })
for (const [from, to] of FILES) {
  const source = join(modules, from)
  const destination = join(target, to)
  await mkdir(dirname(destination), { recursive: true })
  if (/\.(css|js)$/.test(from)) {
    const text = await readFile(source, 'utf8')
    await writeFile(destination, `${text.replace(SOURCE_MAP_COMMENT, '')}\n`)
  } else {
    await copyFile(source, destination)
  }
}
console.log(`@convoy/demo: ${FILES.length} vendor files copied into ${target}`)
