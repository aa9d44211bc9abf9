import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseManifest, storagePathsOf, type Manifest } from '@convoy/manifest'
import { createConvoy } from '../src/index.js'
import { CLI, readTree, removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

async function manifestOf(dir: string): Promise<Manifest> {
  return parseManifest(await readFile(join(dir, 'out', 'convoy-manifest.json'), 'utf8'), 'test')
}

/** Five deploys: each changes the stylesheet and the image it uses, one adds a file, one removes one. */
async function fiveDeploys(dir: string): Promise<Manifest[]> {
  const manifests: Manifest[] = []
  for (let version = 1; version <= 5; version++) {
    await writeTree(join(dir, 'static'), {
      'css/site.css': `.v${version} { background: url(../img/bg.png) }\n`,
      'img/bg.png': `image version ${version}`,
      'js/app.js': `console.log(${version % 2})\n`,
      'stable.txt': 'never changes',
    })
    if (version === 3) await writeFile(join(dir, 'static/added-in-3.txt'), 'new')
    if (version === 4) await rm(join(dir, 'static/added-in-3.txt'))
    const run = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--quiet'], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    manifests.push(await manifestOf(dir))
  }
  return manifests
}

describe('convoy clean', () => {
  it('keeps everything superseded less than --age ago, then only the files of the newest --keep versions', async () => {
    const dir = await temporaryDirectory()
    const manifests = await fiveDeploys(dir)
    const everything = new Set((await readTree(join(dir, 'out'))).keys())

    const dry = await runConvoy(['clean', '--out', 'out', '--keep', '2', '--age', '0', '--dry-run'], { cwd: dir })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/would delete \d+ objects \(.*\), kept \d+/)
    expect(new Set((await readTree(join(dir, 'out'))).keys())).toEqual(everything)

    // Right after a deploy, the previous version is younger than an hour: nothing of it may go.
    const young = await runConvoy(['clean', '--out', 'out', '--keep', '2', '--age', '3600', '--json'], { cwd: dir })
    expect(young.code).toBe(0)
    expect((JSON.parse(young.stdout) as { deleted: unknown[] }).deleted).toEqual([])
    expect(new Set((await readTree(join(dir, 'out'))).keys())).toEqual(everything)

    const old = await runConvoy(['clean', '--out', 'out', '--keep', '2', '--age', '0', '--json'], { cwd: dir })
    expect(old.code).toBe(0)
    const expected = new Set([...storagePathsOf(manifests[4]!), ...storagePathsOf(manifests[3]!), 'convoy-manifest.json'])
    expect(new Set((await readTree(join(dir, 'out'))).keys())).toEqual(expected)
    // The files of version 3 (and its added file) are gone; the served manifest still works.
    expect(expected.has(manifests[2]!.files['css/site.css']!.served)).toBe(false)
    expect(await manifestOf(dir)).toEqual(manifests[4])
  }, 120_000)

  it('refuses bad numbers and a storage without manifest', async () => {
    const dir = await temporaryDirectory()
    const bad = await runConvoy(['clean', '--out', 'out', '--keep', 'two'], { cwd: dir })
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/--keep takes a whole number of manifest versions, at least 1; got "two"/) as string })
    const none = await runConvoy(['clean', '--out', 'out'], { cwd: dir })
    expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/no convoy-manifest\.json in fs:.*: run convoy collect first/) as string })
  })
})

describe('convoy ls', () => {
  it('lists the manifest as a table with totals, filtered by a glob or substring, or as JSON', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'css/a.css': '.a { color: red }\n'.repeat(50), 'js/b.js': 'console.log("b")\n', 'img/c.png': 'png' })
    expect((await runConvoy(['collect', '--source', 'static', '--out', 'out', '--quiet'], { cwd: dir })).code).toBe(0)
    const table = await runConvoy(['ls', '--out', 'out'], { cwd: dir })
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^path\s+served\s+size\s+gzip\s+brotli\s+integrity/)
    expect(table.stdout).toMatch(/css\/a\.css\s+css\/a\.[0-9a-f]{12}\.cmin\.css\s+\d+ B\s+\d+ B\s+\d+ B\s+sha384-/)
    expect(table.stdout).toMatch(/total\s+3 files/)
    const css = await runConvoy(['ls', 'css/**', '--out', 'out', '--json'], { cwd: dir })
    expect((JSON.parse(css.stdout) as { path: string }[]).map((row) => row.path)).toEqual(['css/a.css'])
    const substring = await runConvoy(['ls', 'b.js', '--out', 'out', '--json'], { cwd: dir })
    expect((JSON.parse(substring.stdout) as { path: string }[]).map((row) => row.path)).toEqual(['js/b.js'])
  })
})

describe('convoy collect --watch', () => {
  it('gives an edited image and the stylesheet using it new fingerprints within two seconds, served by a watching runtime without a restart', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'css/site.css': '.logo { background: url(../img/logo.png) }\n', 'img/logo.png': 'v1', 'other.txt': 'x' })
    const child = spawn(process.execPath, [CLI, 'collect', '--source', 'static', '--out', 'out', '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    try {
      const until = async (condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> => {
        for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
          if (await condition()) return true
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        return false
      }
      expect(await until(() => output.includes('watching static'), 20_000), output).toBe(true)
      const before = await manifestOf(dir)
      const edited = Date.now()
      await writeFile(join(dir, 'static/img/logo.png'), 'v2')
      const changed = await until(async () => {
        const now = await manifestOf(dir).catch(() => before)
        return now.files['img/logo.png']!.served !== before.files['img/logo.png']!.served && now.files['css/site.css']!.served !== before.files['css/site.css']!.served
      }, 2_000)
      expect(changed, output).toBe(true)
      expect(Date.now() - edited).toBeLessThan(2_000)
      const after = await manifestOf(dir)
      expect(after.files['other.txt']!.served).toBe(before.files['other.txt']!.served)
      // The run prints its summary after it has written the manifest: under load the line can come a moment later.
      await until(() => /convoy: rebuilt in /.test(output), 5_000)
      expect(output).toMatch(/convoy: rebuilt in \d+\.\d+ s: \d+ objects written/)

      // A server using the runtime with watch: true links the new files after the next edit, without a restart.
      const convoy = await createConvoy({ manifest: join(dir, 'out/convoy-manifest.json'), watch: true })
      const server = createServer((req, res) => {
        if (req.url === '/') return res.end(`<link rel="stylesheet" href="${convoy.url('css/site.css')}">`)
        readFile(join(dir, 'out', decodeURIComponent(req.url!.replace(/^\/static\//, '')))).then((bytes) => res.end(bytes), () => res.writeHead(404).end())
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        const page = async (): Promise<string> => (await fetch(`${origin}/`)).text()
        const first = await page()
        await writeFile(join(dir, 'static/css/site.css'), '.logo { background: url(../img/logo.png); color: red }\n')
        expect(await until(async () => (await page()) !== first, 2_000), output).toBe(true)
        const href = /href="([^"]+)"/.exec(await page())![1]!
        expect(href).toBe(`/static/${(await manifestOf(dir)).files['css/site.css']!.served}`)
        const stylesheet = await fetch(`${origin}${href}`)
        expect(stylesheet.status).toBe(200)
        expect(await stylesheet.text()).toContain('color:red')
      } finally {
        convoy.close()
        server.close()
      }
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('close', resolve))
    }
  }, 60_000)
})
