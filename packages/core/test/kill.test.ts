import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseManifest, type Manifest } from '@convoy/manifest'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

const KILL_POINTS = 24

function sources(version: number): Record<string, string> {
  const files: Record<string, string> = {}
  for (let i = 0; i < 300; i++) {
    files[`dir-${i % 10}/file-${i}.txt`] = `version ${version} of file ${i}\n`.repeat(400)
  }
  files['css/site.css'] = `body { color: #${String(version).padStart(6, '0')} }\n`
  files['js/app.js'] = `console.log(${version})\n`
  return files
}

/** The previous manifest parses, and every file it names is there with exactly the bytes it promises. */
async function assertPublishedStateIntact(out: string): Promise<Manifest> {
  const manifest = parseManifest(await readFile(join(out, 'convoy-manifest.json'), 'utf8'), 'convoy-manifest.json')
  for (const [logicalPath, entry] of Object.entries(manifest.files)) {
    await expect(readFile(join(out, logicalPath)), logicalPath).resolves.toBeInstanceOf(Buffer)
    const fingerprinted = await readFile(join(out, entry.fingerprinted))
    expect(entry.fingerprinted).toContain(`.${createHash('md5').update(fingerprinted).digest('hex').slice(0, 12)}`)
    const served = await readFile(join(out, entry.served))
    expect(`sha384-${createHash('sha384').update(served).digest('base64')}`, entry.served).toBe(entry.integrity)
    for (const variant of Object.values(entry.encodings ?? {})) {
      expect((await readFile(join(out, variant.path))).byteLength, variant.path).toBe(variant.size)
    }
  }
  return manifest
}

describe('a collect killed at any moment', () => {
  it(`leaves the previous manifest and every file it names intact (${KILL_POINTS} kill points)`, async () => {
    const dir = await temporaryDirectory()
    const args = ['collect', '--source', 'static', '--out', 'out', '--quiet']
    await writeTree(join(dir, 'static'), sources(0))
    expect((await runConvoy(args, { cwd: dir })).code).toBe(0)

    // How long a full run of a changed tree takes here, so the kill points spread over all of it.
    await writeTree(join(dir, 'static'), sources(1))
    const started = performance.now()
    expect((await runConvoy(args, { cwd: dir })).code).toBe(0)
    const fullRunMs = performance.now() - started

    let killed = 0
    let completed = 0
    let version = 2
    const attempt = async (delay: number): Promise<void> => {
      await writeTree(join(dir, 'static'), sources(version))
      version += 1
      const run = await runConvoy(args, { cwd: dir, killAfterMs: delay })
      if (run.signal === 'SIGKILL') killed += 1
      else {
        expect(run.code).toBe(0)
        completed += 1
      }
      await assertPublishedStateIntact(join(dir, 'out'))
    }
    for (let point = 0; point < KILL_POINTS; point++) await attempt(Math.round(((point + 0.5) / KILL_POINTS) * fullRunMs * 1.2))
    // Timing varies with load: make sure some runs got past the manifest swap too (bounded).
    for (let extra = 1; completed === 0 && extra <= 8; extra++) await attempt(Math.round(fullRunMs * (1 + extra / 2)))
    // The kills really interrupted runs, on both sides of the moment the manifest is replaced.
    expect(killed).toBeGreaterThan(KILL_POINTS / 3)
    expect(completed).toBeGreaterThan(0)

    const final = await runConvoy(args, { cwd: dir })
    expect(final.code).toBe(0)
    const manifest = await assertPublishedStateIntact(join(dir, 'out'))
    expect(manifest.files['css/site.css']!.sourceHash).toBe(createHash('md5').update(sources(version - 1)['css/site.css']!).digest('hex'))
  }, 300_000)
})
