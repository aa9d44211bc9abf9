import type * as Fs from 'node:fs'
import type * as FsPromises from 'node:fs/promises'
import { readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import type { Manifest } from '@convoy/manifest'
import type { Storage } from '@convoy/storage'
import { createFsStorage } from '@convoy/storage-fs'
import { collect, createDefaultStages, createDiskCache, createInlineRunner, type CollectOptions, type CollectReport, type Stage } from '../src/pipeline.js'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

// Every read of a source file is recorded, to prove what the stat index lets a run skip.
const sourceReads: string[] = []
const recordRead = (path: unknown): void => {
  if (typeof path === 'string' && path.includes(`${'/'}static${'/'}`)) sourceReads.push(path)
}
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>()
  const readFile = ((path: unknown, ...rest: unknown[]) => {
    recordRead(path)
    return (actual.readFile as (...args: unknown[]) => Promise<unknown>)(path, ...rest)
  }) as typeof actual.readFile
  return { ...actual, readFile, default: { ...actual, readFile } }
})
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof Fs>()
  const createReadStream = ((path: unknown, ...rest: unknown[]) => {
    recordRead(path)
    return (actual.createReadStream as (...args: unknown[]) => unknown)(path, ...rest)
  }) as typeof actual.createReadStream
  return { ...actual, createReadStream, default: { ...actual, createReadStream } }
})

const runner = createInlineRunner()

const TREE = {
  'css/a.css': '.a { background: url(../img/x.png) }\n.gone { background: url(../img/missing.png) }\n',
  'css/b.css': '@import "a.css";\n.b { color: red }\n',
  'css/lib.css': '.lib {\n  color : blue ;\n}\n',
  'css/lib.min.css': '.lib{color:#00f}',
  'img/x.png': 'png bytes',
  'js/app.js': 'window.app = function () { return 1 + 1 }\n',
}
const FILES = Object.keys(TREE).length

interface Project {
  readonly dir: string
  readonly static: string
  readonly index: string
  options(extra?: Partial<CollectOptions>): CollectOptions
}

/** A project whose files are older than the run that follows (so the stat index may trust them). */
async function project(files: Record<string, string> = TREE): Promise<Project> {
  const dir = await temporaryDirectory()
  await writeTree(join(dir, 'static'), files)
  await settle()
  const index = join(dir, 'cache', 'stat-index.json')
  return {
    dir,
    static: join(dir, 'static'),
    index,
    options: (extra = {}) => ({
      sources: [join(dir, 'static')],
      storage: createFsStorage({ root: join(dir, 'out') }),
      cache: createDiskCache(join(dir, 'cache')),
      statIndex: { file: index, racyWindowMs: 0 },
      runner,
      carpools: [{ name: 'site', kind: 'css', members: ['css/lib.css', 'css/a.css'] }],
      ...extra,
    }),
  }
}

/** Lets the clock move past the files' change times. */
function settle(): Promise<void> {
  return sleep(30)
}

async function manifestOf(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'out', 'convoy-manifest.json'), 'utf8')) as Manifest
}

/** What a run publishes, without the history: files and carpools. */
function published(manifest: Manifest): unknown {
  return { files: manifest.files, carpools: manifest.carpools }
}

/** What a run with no index and no cache publishes from the same sources: the oracle every indexed run must match. */
async function fromScratch(p: Project, extra: Partial<CollectOptions> = {}): Promise<unknown> {
  const dir = await temporaryDirectory()
  const { cache: _cache, ...options } = p.options(extra)
  await collect({ ...options, storage: createFsStorage({ root: join(dir, 'out') }), statIndex: false })
  return published(await manifestOf(dir))
}

async function run(p: Project, extra: Partial<CollectOptions> = {}): Promise<CollectReport> {
  sourceReads.length = 0
  return collect(p.options(extra))
}

describe('the stat index', () => {
  it('reuses every unchanged file without reading it, publishing exactly what a full run publishes', async () => {
    const p = await project()
    const first = await run(p)
    expect(first.reused).toBe(0)
    const second = await run(p)
    expect(second.reused).toBe(FILES)
    expect(sourceReads).toEqual([])
    expect(second.written).toBe(0)
    expect(second.manifest.written).toBe(false)
    expect(second.unchanged).toBeGreaterThan(FILES)
    // The warnings of a reused file are reported again.
    expect(second.warnings.map((warning) => warning.message)).toEqual(first.warnings.map((warning) => warning.message))
    expect(second.warnings.some((warning) => warning.kind === 'missing-reference')).toBe(true)
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p))
  })

  it('still fails a run under --strict for the warnings of a reused file', async () => {
    const p = await project()
    await run(p)
    const error: unknown = await run(p, { strict: true }).catch((caught: unknown) => caught)
    expect(isConvoyError(error) && error.message).toMatch(/missing\.png/)
  })

  it('reads a file rewritten with the same size and its modification time put back', async () => {
    const p = await project()
    await run(p)
    const file = join(p.static, 'css/lib.css')
    const before = await stat(file)
    await writeFile(file, (TREE['css/lib.css']).replace('blue', 'pink'))
    await utimes(file, before.atime, before.mtime)
    expect((await stat(file)).size).toBe(before.size)
    await settle()
    const report = await run(p)
    expect(sourceReads).toContain(file)
    expect(report.reused).toBe(FILES - 1)
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p))
  })

  it('reads a file replaced by rename, with the same size and times', async () => {
    const p = await project()
    await run(p)
    const file = join(p.static, 'js/app.js')
    const before = await stat(file)
    const replacement = join(p.dir, 'app.js.new')
    await writeFile(replacement, TREE['js/app.js'].replace('1 + 1', '2 + 2'))
    await utimes(replacement, before.atime, before.mtime)
    await rename(replacement, file)
    await settle()
    const report = await run(p)
    expect(sourceReads).toContain(file)
    expect(report.changes.changed).toEqual(['js/app.js'])
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p))
  })

  it('reads a touched but unchanged file, writes nothing, and trusts it again afterwards', async () => {
    const p = await project()
    await run(p)
    const file = join(p.static, 'img/x.png')
    const now = new Date()
    await utimes(file, now, now)
    await settle()
    const touched = await run(p)
    expect(sourceReads).toEqual([file])
    expect(touched.reused).toBe(FILES - 1)
    expect(touched.written).toBe(0)
    expect(touched.manifest.written).toBe(false)
    const next = await run(p)
    expect(next.reused).toBe(FILES)
  })

  it('rebuilds what depends on a changed file and reuses the rest', async () => {
    const p = await project()
    await run(p)
    await writeFile(join(p.static, 'img/x.png'), 'other png bytes')
    await settle()
    const report = await run(p)
    // The image, the stylesheet naming it, the one importing that, and the bundle of it: the script and the lib stay.
    expect(report.changes.changed).toEqual(['css/a.css', 'css/b.css', 'img/x.png'])
    expect(report.reused).toBe(FILES - 3)
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p))
  })

  it('rewrites a reference whose missing target appears later', async () => {
    const p = await project()
    await run(p)
    await writeFile(join(p.static, 'img/missing.png'), 'now here')
    await settle()
    const report = await run(p)
    expect(report.warnings.some((warning) => warning.kind === 'missing-reference')).toBe(false)
    expect(report.changes.added).toEqual(['img/missing.png'])
    expect(report.changes.changed).toContain('css/a.css')
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p))
  })

  it('feeds an unread shipped .min sibling to its changed source', async () => {
    const p = await project()
    await run(p)
    await writeFile(join(p.static, 'css/lib.css'), '.lib {\n  color : blue ;\n  margin: 0;\n}\n')
    await settle()
    const report = await run(p)
    expect(report.changes.changed).toEqual(['css/lib.css'])
    const manifest = await manifestOf(p.dir)
    const served = await readFile(join(p.dir, 'out', manifest.files['css/lib.css']!.served), 'utf8')
    expect(served).toBe(TREE['css/lib.min.css'])
    expect(published(manifest)).toEqual(await fromScratch(p))
  })

  it('fails a run when a file changes while collect reads it, keeping the previous manifest', async () => {
    // The stylesheet is read because it changed, or because the image it names changed; it changes again mid-run.
    for (const changedBeforehand of ['css/a.css', 'img/x.png']) {
      const p = await project()
      await run(p)
      const before = await readFile(join(p.dir, 'out', 'convoy-manifest.json'), 'utf8')
      await writeFile(join(p.static, changedBeforehand), changedBeforehand === 'img/x.png' ? 'changed png' : '.a { color: red }\n')
      await settle()
      const storage = createFsStorage({ root: join(p.dir, 'out') })
      const edit = (): Promise<void> => writeFile(join(p.static, 'css/a.css'), '.a { background: url(../img/x.png) }\n/* edited mid-run */\n')
      // The storage is listed after the walk and before any file is read: the moment to change a file under the run.
      const racing: Storage = {
        ...storage,
        name: storage.name,
        capabilities: storage.capabilities,
        async *list(prefix) {
          await edit()
          yield* storage.list(prefix)
        },
        async *listPaths(prefix) {
          await edit()
          yield* storage.listPaths!(prefix)
        },
      }
      const error: unknown = await run(p, { storage: racing }).catch((caught: unknown) => caught)
      expect(isConvoyError(error) && error.message).toMatch(/a\.css changed while collect was (reading it|running)/)
      expect(await readFile(join(p.dir, 'out', 'convoy-manifest.json'), 'utf8')).toBe(before)
    }
  })

  it('fails a run when a file changes between its read and its turn, rather than publish bytes other than those it hashed', async () => {
    // css/b.css imports css/a.css, so a's turn comes first: b was read (and let go) long before its turn.
    const p = await project()
    await run(p)
    const before = await readFile(join(p.dir, 'out', 'convoy-manifest.json'), 'utf8')
    await writeFile(join(p.static, 'css/a.css'), '.a { color: green }\n')
    await writeFile(join(p.static, 'css/b.css'), '@import "a.css";\n.b { color: blue }\n')
    await settle()
    const editor: Stage = {
      name: 'editor',
      phase: 'content',
      applies: (asset) => asset.logicalPath === 'css/a.css',
      async run() {
        await writeFile(join(p.static, 'css/b.css'), '@import "a.css";\n.b { color: pink }\n')
      },
    }
    const error: unknown = await run(p, { stages: [editor, ...createDefaultStages({ runner })] }).catch((caught: unknown) => caught)
    expect(isConvoyError(error) && error.message).toMatch(/b\.css changed while collect was (reading it|running)/)
    expect(await readFile(join(p.dir, 'out', 'convoy-manifest.json'), 'utf8')).toBe(before)
  })

  it('publishes a file changed after it was read as it was read, and the new bytes on the next run', async () => {
    const p = await project()
    const file = join(p.static, 'js/app.js')
    let edited = false
    const editor: Stage = {
      name: 'editor',
      phase: 'output',
      applies: (asset) => asset.logicalPath === 'js/app.js',
      async run() {
        if (edited) return
        edited = true
        await writeFile(file, 'window.app = "edited while collect ran"\n')
      },
    }
    const stages = [...createDefaultStages({ runner }), editor]
    await run(p, { stages })
    expect((await manifestOf(p.dir)).files['js/app.js']!.sourceHash).not.toBe('')
    const firstHash = (await manifestOf(p.dir)).files['js/app.js']!.sourceHash
    await settle()
    const next = await run(p, { stages })
    expect(sourceReads).toContain(file)
    const secondHash = (await manifestOf(p.dir)).files['js/app.js']!.sourceHash
    expect(secondHash).not.toBe(firstHash)
    expect(next.changes.changed).toEqual(['js/app.js'])
  })

  it('reads everything again after an option or a stage version changes', async () => {
    const p = await project()
    await run(p)
    const unminified = await run(p, { minify: false })
    expect(unminified.reused).toBe(0)
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p, { minify: false }))
    const stage = (version: string): Stage => ({ name: 'noop', phase: 'output', signature: version, applies: () => false, run: () => undefined })
    await run(p, { stages: [...createDefaultStages({ runner }), stage('1.0.0')] })
    expect((await run(p, { stages: [...createDefaultStages({ runner }), stage('1.0.0')] })).reused).toBe(FILES)
    expect((await run(p, { stages: [...createDefaultStages({ runner }), stage('1.0.1')] })).reused).toBe(0)
  })

  it('does not trust files changed just before a run', async () => {
    const p = await project()
    await collect(p.options({ statIndex: { file: p.index } }))
    // Written moments ago: within the default two-second window, so they are read again.
    expect((await run(p, { statIndex: { file: p.index } })).reused).toBe(0)
  })

  it('--verify reads every file and reports where the index was wrong', async () => {
    const p = await project()
    await run(p)
    const file = join(p.static, 'css/lib.css')
    await writeFile(file, '.lib { color: green }\n')
    // An index that vouches for the new stat with the old hash: what a change within the timestamp granularity leaves.
    const index = JSON.parse(await readFile(p.index, 'utf8')) as { files: Record<string, { stamp: string }> }
    const info = await stat(file, { bigint: true })
    index.files[file]!.stamp = `${info.size}:${info.mtimeNs}:${info.ctimeNs}:${info.ino}:${info.dev}`
    await writeFile(p.index, JSON.stringify(index))
    await settle()
    const report = await run(p, { verify: true })
    expect(report.reused).toBe(0)
    expect(report.warnings.filter((warning) => warning.kind === 'stat-index-stale').map((warning) => warning.file)).toEqual([file])
    expect(published(await manifestOf(p.dir))).toEqual(await fromScratch(p))
    expect((await run(p)).reused).toBe(FILES)
  })

  it('ignores a damaged index with one warning, and an index of another manifest silently', async () => {
    const p = await project()
    await run(p)
    await writeFile(p.index, '{"version":1,"files":')
    const damaged = await run(p)
    expect(damaged.reused).toBe(0)
    expect(damaged.warnings.filter((warning) => warning.kind === 'stat-index')).toHaveLength(1)
    // Another deploy (no index of its own) publishes a new manifest: this index no longer describes the storage.
    await writeFile(join(p.static, 'js/app.js'), 'window.app = 3\n')
    await collect(p.options({ statIndex: false }))
    await settle()
    const after = await run(p)
    expect(after.reused).toBe(0)
    expect(after.warnings.filter((warning) => warning.kind === 'stat-index')).toEqual([])
  })

  it('rebuilds outputs deleted from the storage', async () => {
    const p = await project()
    await run(p)
    const manifest = await manifestOf(p.dir)
    const { rm } = await import('node:fs/promises')
    await rm(join(p.dir, 'out', manifest.files['js/app.js']!.served))
    const report = await run(p)
    expect(report.reused).toBe(FILES - 1)
    expect(report.written).toBe(1)
    await stat(join(p.dir, 'out', manifest.files['js/app.js']!.served))
  })
})

describe('convoy collect and the stat index', () => {
  it('keeps the index in the cache directory, says how many files it did not read, and --verify reads them all', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), TREE)
    // Files changed within the last two seconds are not trusted: let them age.
    await sleep(2100)
    const collectJson = async (...flags: string[]): Promise<CollectReport> => {
      const result = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json', ...flags], { cwd: dir })
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout) as CollectReport
    }
    expect((await collectJson()).reused).toBe(0)
    expect((await readdir(join(dir, 'node_modules/.cache/convoy/stat-index'))).filter((name) => name.endsWith('.json'))).toHaveLength(1)
    expect((await collectJson()).reused).toBe(FILES)
    expect((await collectJson('--verify')).reused).toBe(0)
    const summary = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })
    expect(summary.stderr + summary.stdout).toContain(`${FILES} files unchanged (not read)`)
  })
})
