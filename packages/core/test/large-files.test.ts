import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import type { Manifest } from '@convoy/manifest'
import type { Storage } from '@convoy/storage'
import { createFsStorage } from '@convoy/storage-fs'
import { STREAM_THRESHOLD_BYTES } from '../src/collect/asset.js'
import { createCompressStage } from '../src/collect/stages/compress.js'
import { collect, createInlineRunner, type Stage, type TaskRunner } from '../src/pipeline.js'
import type { Task } from '../src/work/tasks.js'
import { CLI, removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

/** Generated log lines: text that compresses well, `bytes` long. */
function logText(bytes: number, seed = 0): Buffer {
  const lines: string[] = []
  let length = 0
  for (let i = seed; length < bytes; i++) {
    const line = `2024-05-01T12:${String(i % 60).padStart(2, '0')}:00Z INFO request id=${((i * 2654435761) >>> 0).toString(16)} path=/api/items/${i % 9973} status=${[200, 304, 404][i % 3]}\n`
    lines.push(line)
    length += line.length
  }
  return Buffer.from(lines.join('')).subarray(0, bytes)
}

/** The threshold the in-process runs stream above, so the tests need no 8 MiB files. */
const THRESHOLD = 64 * 1024

async function manifestOf(out: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(out, 'convoy-manifest.json'), 'utf8')) as Manifest
}

/** This process's scratch directories (`convoy-<pid>-…`) that exist now. */
async function scratchDirectoriesOf(pid: number): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith(`convoy-${pid}-`))
}

/** An inline runner that records the kind of every task it runs. */
function recordingRunner(): TaskRunner & { readonly kinds: Map<string, string[]> } {
  const inline = createInlineRunner()
  const kinds = new Map<string, string[]>()
  return {
    kinds,
    run(task: Task) {
      const file = 'file' in task ? task.file.split('/').pop()! : '(bytes)'
      kinds.set(file, [...(kinds.get(file) ?? []), task.kind])
      return inline.run(task)
    },
    close: () => inline.close(),
  }
}

/** Every sibling a manifest entry names: its size is the file's, and it decompresses to the original. */
async function assertSiblings(out: string, manifest: Manifest, logicalPath: string, original: Buffer): Promise<void> {
  const entry = manifest.files[logicalPath]!
  expect(Object.keys(entry.encodings ?? {}).sort(), logicalPath).toEqual(['br', 'gzip'])
  const gz = await readFile(join(out, entry.encodings!.gzip!.path))
  const br = await readFile(join(out, entry.encodings!.br!.path))
  expect(entry.encodings!.gzip!.size).toBe(gz.byteLength)
  expect(entry.encodings!.br!.size).toBe(br.byteLength)
  expect(gunzipSync(gz).equals(original), logicalPath).toBe(true)
  expect(brotliDecompressSync(br).equals(original), logicalPath).toBe(true)
  expect(entry.size).toBe(original.byteLength)
}

describe('large files are compressed as streams', () => {
  it('streams a file above the threshold into siblings equal to the in-memory ones, with the manifest sizes, leaving no temporary file', async () => {
    const dir = await temporaryDirectory()
    const files = { 'logs/big.txt': logText(300 * 1024), 'small.txt': logText(20 * 1024, 7), 'noise.txt': randomBytes(100 * 1024) }
    await writeTree(join(dir, 'static'), files)
    const runner = recordingRunner()
    await collect({ sources: [join(dir, 'static')], storage: createFsStorage({ root: join(dir, 'out') }), runner, stages: [createCompressStage({ compress: {}, runner, streamThresholdBytes: THRESHOLD })] })

    // Above the threshold, streamed; below it, read whole by the worker (never by the main thread).
    expect(runner.kinds.get('big.txt')).toEqual(['compress-to-files'])
    expect(runner.kinds.get('noise.txt')).toEqual(['compress-to-files'])
    expect(runner.kinds.get('small.txt')).toEqual(['compress-file'])
    const manifest = await manifestOf(join(dir, 'out'))
    await assertSiblings(join(dir, 'out'), manifest, 'logs/big.txt', files['logs/big.txt'])
    await assertSiblings(join(dir, 'out'), manifest, 'small.txt', files['small.txt'])
    // Random bytes do not shrink to 95%: no variant kept, no file made.
    expect(manifest.files['noise.txt']!.encodings).toBeUndefined()
    const stored = await readdir(join(dir, 'out'), { recursive: true })
    expect(stored.filter((name) => name.startsWith('noise.') && /\.(?:gz|br)$/.test(name))).toEqual([])
    expect(stored.filter((name) => name.includes('.convoy-tmp-'))).toEqual([])
    expect(await scratchDirectoriesOf(process.pid)).toEqual([])

    // The same tree compressed in memory (the default threshold) names and stores the very same siblings.
    await collect({ sources: [join(dir, 'static')], storage: createFsStorage({ root: join(dir, 'memory') }), runner: createInlineRunner() })
    const inMemory = await manifestOf(join(dir, 'memory'))
    expect(inMemory.files['logs/big.txt']!.encodings).toEqual(manifest.files['logs/big.txt']!.encodings)
    for (const variant of Object.values(manifest.files['logs/big.txt']!.encodings!)) {
      expect((await readFile(join(dir, 'memory', variant.path))).equals(await readFile(join(dir, 'out', variant.path))), variant.path).toBe(true)
    }
  })

  it('fails a file changed after it was hashed rather than publish variants of other bytes, streamed or not', async () => {
    for (const size of [300 * 1024, 20 * 1024]) {
      const dir = await temporaryDirectory()
      const original = logText(size)
      await writeTree(join(dir, 'static'), { 'app.log.txt': original })
      const runner = createInlineRunner()
      // Runs between the read stage's hash and the compressor: the same size, other bytes.
      const rewrite: Stage = { name: 'rewrite', phase: 'output', applies: () => true, run: (asset) => writeFile(asset.sourceFile, Buffer.from(original).fill(0x61, 0, 100)) }
      const storage = createFsStorage({ root: join(dir, 'out') })
      const error: unknown = await collect({ sources: [join(dir, 'static')], storage, runner, stages: [rewrite, createCompressStage({ compress: {}, runner, streamThresholdBytes: THRESHOLD })] }).catch((failure: unknown) => failure)
      expect(isConvoyError(error), String(error)).toBe(true)
      const failures = (error as { failures?: { step: string; error: { code: string; message: string } }[] }).failures ?? []
      expect(failures.map((failure) => [failure.step, failure.error.code]), String(size)).toEqual([['compress', 'ERR_CONVOY_READ']])
      expect(failures[0]!.error.message).toMatch(/changed while collect was running/)
      expect(await readdir(join(dir, 'out')).catch(() => [])).not.toContain('convoy-manifest.json')
      expect(await scratchDirectoriesOf(process.pid)).toEqual([])
    }
  })

  it('removes its temporary files when storing them fails', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'big.txt': logText(300 * 1024) })
    const fs = createFsStorage({ root: join(dir, 'out') })
    const scratchWhileWriting: string[][] = []
    const storage: Storage = {
      ...fs,
      name: 'failing',
      write: async (path, body, options) => {
        if (!path.endsWith('.br')) return fs.write(path, body, options)
        scratchWhileWriting.push(await scratchDirectoriesOf(process.pid))
        throw new Error('disk full')
      },
    }
    const runner = createInlineRunner()
    await expect(collect({ sources: [join(dir, 'static')], storage, runner, stages: [createCompressStage({ compress: {}, runner, streamThresholdBytes: THRESHOLD })] })).rejects.toMatchObject({ code: 'ERR_CONVOY_STORAGE' })
    // The variant was a temporary file while it was being stored; it is gone with the failure.
    expect(scratchWhileWriting.map((names) => names.length)).toEqual([1])
    expect(await scratchDirectoriesOf(process.pid)).toEqual([])
  })

  it('removes the scratch directories of dead processes of this host, and leaves live and recent ones alone', async () => {
    const dead = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
      child.on('error', reject)
      child.on('exit', () => resolve(child.pid!))
    })
    const host = createHash('sha256').update(hostname(), 'utf8').digest('hex').slice(0, 8)
    const otherHost = host === '00000000' ? '11111111' : '00000000'
    const names = { dead: `convoy-${dead}-${host}-${'a'.repeat(16)}`, live: `convoy-1-${host}-${'b'.repeat(16)}`, recent: `convoy-${dead}-${otherHost}-${'c'.repeat(16)}` }
    try {
      for (const name of Object.values(names)) {
        await mkdir(join(tmpdir(), name))
        await writeFile(join(tmpdir(), name, 'part.gz'), 'left over')
      }
      const dir = await temporaryDirectory()
      await writeTree(join(dir, 'static'), { 'big.txt': logText(100 * 1024) })
      const runner = createInlineRunner()
      await collect({ sources: [join(dir, 'static')], storage: createFsStorage({ root: join(dir, 'out') }), runner, stages: [createCompressStage({ compress: {}, runner, streamThresholdBytes: THRESHOLD })] })
      const left = await readdir(tmpdir())
      expect(left).not.toContain(names.dead)
      // pid 1 runs; another host's directory is judged by age (an hour), not by a pid of ours.
      expect(left).toContain(names.live)
      expect(left).toContain(names.recent)
    } finally {
      for (const name of Object.values(names)) await rm(join(tmpdir(), name), { recursive: true, force: true })
    }
  })
})

/** Starts the built CLI on `dir` and resolves once its scratch directory holds a file (it is compressing). */
function startCollect(dir: string): { child: ReturnType<typeof spawn>; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; compressing: Promise<string> } {
  const child = spawn(process.execPath, [CLI, 'collect', '--source', 'static', '--out', 'out', '--quiet'], { cwd: dir, stdio: 'ignore' })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  let done = false
  void exited.then(() => (done = true))
  const compressing = (async () => {
    while (!done) {
      for (const name of await scratchDirectoriesOf(child.pid!)) {
        if ((await readdir(join(tmpdir(), name)).catch(() => [])).length > 0) return name
      }
      await sleep(10)
    }
    throw new Error('collect ended before it compressed anything')
  })()
  return { child, exited, compressing }
}

describe('the built CLI on a file above STREAM_THRESHOLD_BYTES', () => {
  it('collects it with correct siblings and manifest sizes, leaving no temporary directory', async () => {
    const dir = await temporaryDirectory()
    const original = logText(STREAM_THRESHOLD_BYTES + 1024 * 1024)
    await writeTree(join(dir, 'static'), { 'big.txt': original })
    const run = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    await assertSiblings(join(dir, 'out'), await manifestOf(join(dir, 'out')), 'big.txt', original)
    expect((await readdir(tmpdir())).filter((name) => /^convoy-\d+-[0-9a-f]{8}-[0-9a-f]{16}$/.test(name) && !name.startsWith(`convoy-${process.pid}-`))).toEqual([])
  }, 60_000)

  it('copies a JS file above the threshold as it is, with one warning saying so, and still minifies the small ones', async () => {
    const dir = await temporaryDirectory()
    const big = Buffer.concat([Buffer.from('/*\n'), logText(STREAM_THRESHOLD_BYTES + 1024), Buffer.from('*/\nexport const big = 1\n')])
    await writeTree(join(dir, 'static'), { 'big.js': big, 'small.js': 'export const small   =   1 // minified away\n' })
    const run = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout) as { warnings: { kind?: string; message: string; file?: string }[] }
    expect(report.warnings.filter((warning) => warning.kind === 'large-text')).toEqual([
      expect.objectContaining({ file: join(dir, 'static', 'big.js'), message: expect.stringContaining('above the 8 MiB streaming threshold: copied as it is (references not rewritten, not minified)') }),
    ])
    const manifest = await manifestOf(join(dir, 'out'))
    expect(manifest.files['big.js']!.served).toBe(manifest.files['big.js']!.fingerprinted)
    expect((await readFile(join(dir, 'out', manifest.files['big.js']!.served))).equals(big)).toBe(true)
    await assertSiblings(join(dir, 'out'), manifest, 'big.js', big)
    expect(await readFile(join(dir, 'out', manifest.files['small.js']!.served), 'utf8')).not.toContain('minified away')
  }, 60_000)

  it.each(['SIGINT', 'SIGTERM'] as const)('removes its temporary directory when stopped by %s, and dies of the signal', async (signal) => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'big.txt': logText(40 * 1024 * 1024) })
    const run = startCollect(dir)
    const scratch = await run.compressing
    run.child.kill(signal)
    expect(await run.exited).toEqual({ code: null, signal })
    expect(await readdir(tmpdir())).not.toContain(scratch)
  }, 60_000)

  it('has the next run remove what a killed (SIGKILL) run left', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'big.txt': logText(40 * 1024 * 1024) })
    const run = startCollect(dir)
    const scratch = await run.compressing
    run.child.kill('SIGKILL')
    await run.exited
    expect(await readdir(tmpdir())).toContain(scratch)
    // A smaller file, still above the threshold: this run starts a scratch directory, and clears the dead one's first.
    await writeTree(join(dir, 'static'), { 'big.txt': logText(STREAM_THRESHOLD_BYTES + 1) })
    const next = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--quiet'], { cwd: dir })
    expect(next.code, next.stderr).toBe(0)
    expect(await readdir(tmpdir())).not.toContain(scratch)
  }, 60_000)
})
