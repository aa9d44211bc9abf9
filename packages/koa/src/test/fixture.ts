// A site collected by the real `convoy collect` pipeline into a temporary folder, with secrets next to the root and a
// dotfile inside it, for the adapter to (not) serve.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { collect, createInlineRunner, NO_CACHE } from '@convoy/core/collect'
import { createFsStorage } from '@convoy/storage-fs'

export const SECRET = 'TOPSECRET-OUTSIDE-ROOT'

const rules = Array.from({ length: 120 }, (_, i) => `.rule-${i} {\n  color: #${(i * 4099).toString(16).padStart(6, '0').slice(0, 6)};\n  margin: ${i}px;\n}`)

/** Logical path → source text (or bytes). */
export const SOURCES: Readonly<Record<string, string | Buffer>> = {
  'css/base.css': `/* base */\n${rules.join('\n')}\n`,
  'css/print.css': `body { color: black }\n${rules.slice(0, 40).join('\n')}\n`,
  'js/app.js': `export function hello(name) {\n  return 'hello ' + name + '${'!'.repeat(200)}'\n}\n`.repeat(6),
  'img/logo.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]),
  'robots.txt': 'User-agent: *\n',
}

export interface Site {
  /** Temporary folder: `static/` (sources), `public/static/` (the collected root), `secret.txt`. */
  readonly base: string
  readonly sources: string
  readonly root: string
  readonly manifestFile: string
  /** Logical path → the served storage path, from the manifest. */
  readonly served: Readonly<Record<string, string>>
  /** Collects again (after a change to the sources). */
  recollect(): Promise<void>
  cleanup(): Promise<void>
}

export async function createSite(): Promise<Site> {
  const base = await mkdtemp(join(tmpdir(), 'convoy-koa-'))
  const sources = join(base, 'static')
  const root = join(base, 'public', 'static')
  for (const [path, content] of Object.entries(SOURCES)) {
    const file = join(sources, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  await mkdir(join(base, 'public'), { recursive: true })
  await writeFile(join(base, 'secret.txt'), SECRET)
  await writeFile(join(base, 'public', 'secret.txt'), SECRET)

  const run = async (): Promise<Record<string, string>> => {
    await collect({
      sources: [sources],
      storage: createFsStorage({ root }),
      baseUrl: '/static/',
      minify: true,
      // Siblings only: these tests assert the headers of negotiated siblings exactly, on every Node line; deltas and
      // their headers are the adapter test suite's delta group.
      compress: { deltas: false },
      runner: createInlineRunner(),
      cache: NO_CACHE,
    })
    const manifest = JSON.parse(await readFile(join(root, 'convoy-manifest.json'), 'utf8')) as { files: Record<string, { served: string }> }
    return Object.fromEntries(Object.entries(manifest.files).map(([logical, entry]) => [logical, entry.served]))
  }
  let served = await run()
  await writeFile(join(root, '.env'), SECRET)

  return {
    base,
    sources,
    root,
    manifestFile: join(root, 'convoy-manifest.json'),
    get served() {
      return served
    },
    async recollect() {
      served = await run()
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  }
}
