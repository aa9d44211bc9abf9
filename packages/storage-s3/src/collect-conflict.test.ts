// Concurrent deploys onto one bucket and prefix, end to end: core's collect() publishes the manifest with a
// conditional write (readVersioned, then If-Match / If-None-Match: *), and on ERR_CONVOY_CONFLICT re-reads it,
// merges the other deploy into its history and tries again. Against radosgw, which honours the conditions.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type * as Core from '@convoy/core'
import type * as Pipeline from '@convoy/core/collect'
import { isConvoyError } from '@convoy/errors'
import { type Manifest, storagePathsOf } from '@convoy/manifest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Storage } from './index.js'
import { RADOSGW_CREDENTIALS, startRadosgw, type TestRadosgw } from './test/radosgw.js'
import { uniquePrefix } from './test/s3-server.js'

const MANIFEST = 'convoy-manifest.json'

let pipeline: typeof Pipeline
let gateway: TestRadosgw
let work: string

beforeAll(async () => {
  pipeline = await import('@convoy/core/collect')
  gateway = await startRadosgw()
  work = await mkdtemp(join(tmpdir(), 'convoy-s3-conflict-'))
}, 15 * 60_000)

afterAll(async () => {
  await gateway?.dispose()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
}, 60_000)

function storageAt(prefix: string): Core.Storage {
  return createS3Storage({ bucket: gateway.bucket, prefix, endpoint: gateway.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: RADOSGW_CREDENTIALS })
}

function processing(): Omit<Pipeline.CollectOptions, 'sources' | 'storage'> {
  return { minify: true, compress: true, useExistingMin: true, rewriteJsModules: false, baseUrl: '/static/', runner: pipeline.createInlineRunner(), cache: pipeline.NO_CACHE }
}

/** A source tree of its own: `count` files under `<name>/`, so two trees share no logical path. */
async function tree(name: string, count: number): Promise<{ directory: string; logical: string[] }> {
  const directory = join(work, uniquePrefix(name))
  const logical: string[] = []
  for (let index = 0; index < count; index++) {
    const css = `${name}/css/page-${index}.css`
    const js = `${name}/js/page-${index}.js`
    for (const [path, body] of [
      [css, `.${name}-${index} { color: #${(index * 4099).toString(16).padStart(6, '0').slice(0, 6)}; }\n`.repeat(20)],
      [js, `export const ${name}${index} = ${JSON.stringify(`${name} ${index}`)}\n`.repeat(10)],
    ] as const) {
      await mkdir(dirname(join(directory, path)), { recursive: true })
      await writeFile(join(directory, path), body)
      logical.push(path)
    }
  }
  return { directory, logical: logical.sort() }
}

function collectInto(storage: Core.Storage, source: string): Promise<Pipeline.CollectReport> {
  return pipeline.collect({ sources: [source], storage, ...processing() })
}

/** Every path the manifest names, now or in its history, is stored: no deploy's files were lost. */
async function expectNothingLost(storage: Core.Storage, manifest: Manifest): Promise<void> {
  const present = new Set<string>()
  for await (const entry of storage.list()) present.add(entry.path)
  const named = [...storagePathsOf(manifest), ...manifest.history.flatMap((entry) => entry.dropped)]
  expect(named.filter((path) => !present.has(path)), 'paths the manifest or its history names that are not stored').toEqual([])
}

/** Runs `before` once, right before the first manifest write of `storage` (the moment a race is lost). */
function beforeManifestWrite(storage: Core.Storage, before: () => Promise<void>): { storage: Core.Storage; manifestWrites: () => number } {
  let writes = 0
  return {
    storage: {
      ...storage,
      async write(path, body, options) {
        if (path === MANIFEST) {
          writes += 1
          if (writes === 1) await before()
        }
        return storage.write(path, body, options)
      },
    },
    manifestWrites: () => writes,
  }
}

describe('two deploys at once onto one bucket and prefix', () => {
  it('run concurrently: both succeed with one run current and the other in its history, or one fails with ERR_CONVOY_CONFLICT; never a silent loss', async () => {
    const prefix = uniquePrefix('concurrent')
    const base = await tree('base', 2)
    await collectInto(storageAt(prefix), base.directory)
    const baseline = await pipeline.readManifest(storageAt(prefix))
    const [a, b] = [await tree('alpha', 6), await tree('beta', 6)]

    const outcomes = await Promise.allSettled([collectInto(storageAt(prefix), a.directory), collectInto(storageAt(prefix), b.directory)])
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        const error: unknown = outcome.reason
        expect(isConvoyError(error) && error.code === 'ERR_CONVOY_CONFLICT', `a failed run fails with ERR_CONVOY_CONFLICT, not: ${String(error)}`).toBe(true)
      }
    }
    const succeeded = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [{ report: outcome.value, run: [a, b][index]! }] : []))
    expect(succeeded.length, 'at least one run succeeds').toBeGreaterThan(0)

    const storage = storageAt(prefix)
    const final = await pipeline.readManifest(storage)
    const current = Object.keys(final.files).sort()
    const winner = succeeded.find(({ run }) => JSON.stringify(run.logical) === JSON.stringify(current))
    expect(winner, `the current files are one run's: ${current.join(', ')}`).toBeDefined()
    const historyIds = final.history.map((entry) => entry.id)
    expect(historyIds, 'the manifest in force before both runs is in the history').toContain(baseline.id)
    const conflicts = succeeded.flatMap(({ report }) => report.warnings.filter((warning) => warning.kind === 'conflict'))
    if (succeeded.length === 2) {
      // The other run published first and was merged: its manifest is in the history, its files are named there.
      const other = succeeded.find((run) => run !== winner)!
      expect(historyIds, "the other run's manifest is in the history").toContain(other.report.manifest.id)
      const dropped = new Set(final.history.flatMap((entry) => entry.dropped))
      expect(other.run.logical.filter((path) => !dropped.has(path)), "the other run's files, named by the history").toEqual([])
      expect(historyIds.indexOf(other.report.manifest.id), 'newest first').toBeLessThan(historyIds.indexOf(baseline.id))
    }
    console.log(`[conflict] concurrent collects: ${succeeded.length} succeeded, ${outcomes.length - succeeded.length} failed with ERR_CONVOY_CONFLICT, ${conflicts.length} conflicts merged`)
    await expectNothingLost(storage, final)
  }, 180_000)

  for (const first of [true, false]) {
    it(`deterministically: another deploy publishes right before this one's manifest write (${first ? 'onto an empty prefix, If-None-Match: *' : 'over a published manifest, If-Match'}); it is merged into the history`, async () => {
      const prefix = uniquePrefix(first ? 'race-create' : 'race-replace')
      let baseline: Manifest | undefined
      if (!first) {
        await collectInto(storageAt(prefix), (await tree('base', 2)).directory)
        baseline = await pipeline.readManifest(storageAt(prefix))
      }
      const [a, b] = [await tree('alpha', 4), await tree('beta', 4)]
      let other: Pipeline.CollectReport | undefined
      const wrapped = beforeManifestWrite(storageAt(prefix), async () => {
        other = await collectInto(storageAt(prefix), b.directory)
      })
      const report = await collectInto(wrapped.storage, a.directory)
      expect(other?.manifest.written, 'the other deploy published').toBe(true)
      expect(wrapped.manifestWrites(), 'the first manifest write was refused and made again').toBe(2)
      expect(report.warnings.filter((warning) => warning.kind === 'conflict')).toHaveLength(1)

      const storage = storageAt(prefix)
      const final = await pipeline.readManifest(storage)
      expect(final.id).toBe(report.manifest.id)
      expect(Object.keys(final.files).sort(), "this run's files are current").toEqual(a.logical)
      expect(final.history.map((entry) => entry.id), 'the other deploy, then what was there before').toEqual([other!.manifest.id, ...(baseline === undefined ? [] : [baseline.id])])
      // Everything the other deploy stored is under its own folder: the history names all of it.
      const theirs = new Set<string>()
      for await (const entry of storage.list('beta/')) theirs.add(entry.path)
      expect(theirs.size).toBeGreaterThan(b.logical.length)
      expect(new Set(final.history[0]!.dropped), "the history names every file of the other deploy's manifest").toEqual(theirs)
      await expectNothingLost(storage, final)
    }, 180_000)
  }

  it('when the manifest keeps changing under every attempt, collect fails with ERR_CONVOY_CONFLICT and the other deploy stays current', async () => {
    const prefix = uniquePrefix('race-forever')
    await collectInto(storageAt(prefix), (await tree('base', 1)).directory)
    const storage = storageAt(prefix)
    let writes = 0
    const meddling: Core.Storage = {
      ...storage,
      async write(path, body, options) {
        if (path === MANIFEST) {
          writes += 1
          // Another deploy's manifest lands first each time: the same files, other bytes (so another ETag).
          const current = Buffer.from((await storage.read(MANIFEST))!).toString('utf8')
          await storage.write(MANIFEST, `${current.trimEnd()}\n${' '.repeat(writes)}\n`, { contentType: 'application/json; charset=utf-8' })
        }
        return storage.write(path, body, options)
      },
    }
    const error: unknown = await collectInto(meddling, (await tree('alpha', 2)).directory).then(
      () => new Error('expected ERR_CONVOY_CONFLICT'),
      (reason: unknown) => reason,
    )
    expect(isConvoyError(error) && error.code, String(error)).toBe('ERR_CONVOY_CONFLICT')
    expect((error as Core.ConvoyError).message).toMatch(/another deploy published convoy-manifest\.json/)
    expect(writes, 'a bounded number of attempts').toBeGreaterThan(1)
    expect(writes).toBeLessThanOrEqual(10)
    const final = await pipeline.readManifest(storage)
    expect(Object.keys(final.files).every((path) => path.startsWith('base/')), "the other deploy's manifest is the current one").toBe(true)
  }, 180_000)
})
