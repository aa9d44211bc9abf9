import { utimesSync, writeFileSync } from 'node:fs'
import { rm, utimes, writeFile } from 'node:fs/promises'
import { createManifest, serializeManifest, writeManifestFile, type Manifest } from '@convoy/manifest'
import { createFsStorage } from '@convoy/storage-fs'
import { describe, expect, it } from 'vitest'
import { createConvoy } from './create-convoy.js'
import { cleanedFixtures, waitFor } from './test-fixture.js'

// Debug mode must never answer from a stale snapshot: with duringDebug, the manifest on disk is the truth at every
// lookup; without it, URLs are `baseUrl + logicalPath` and need no manifest at all.

const fixture = cleanedFixtures()

/** `manifest` with `js/a.js` served under another name, as the next `collect` would write it. */
function withServed(manifest: Manifest, served: string): Manifest {
  const files = { ...manifest.files, 'js/a.js': { ...manifest.files['js/a.js']!, served } }
  return createManifest({ files, baseUrl: '/static/', hash: manifest.hash })
}

describe('createConvoy({ debug: true, duringDebug: true }) with the manifest on disk', () => {
  it('links what the manifest says now: a new collect shows at the next lookup, without watch or reload()', async () => {
    const { manifestFile, manifest, served } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, debug: true, duringDebug: true, onWarning: (message) => expect.fail(message) })
    expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
    // Replaced by rename, as collect writes it.
    await writeManifestFile(manifestFile, withServed(manifest, 'js/a.111111111111.cmin.js'))
    expect(convoy.url('js/a.js')).toBe('/static/js/a.111111111111.cmin.js')
    expect(convoy.manifest?.files['js/a.js']?.served).toBe('js/a.111111111111.cmin.js')
    expect(convoy.importMap().imports['/static/js/a.js']).toBe('/static/js/a.111111111111.cmin.js')
    expect(convoy.carpool('js', ['js/a.js', 'js/b.js'])).toContain('/static/js/a.111111111111.cmin.js')
    // Rewritten in place, by hand or by a tool.
    await writeFile(manifestFile, serializeManifest(withServed(manifest, 'js/a.222222222222.cmin.js')))
    // Same size, same inode: the time tells (a second write within one tick of the file clock would not).
    await utimes(manifestFile, new Date(Date.now() + 5000), new Date(Date.now() + 5000))
    expect(convoy.url('js/a.js')).toBe('/static/js/a.222222222222.cmin.js')
  })

  it('answers one render from one manifest: a change is seen from the next turn of the event loop on', async () => {
    const { manifestFile, manifest, served } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, debug: true, duringDebug: true })
    expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
    writeFileSync(manifestFile, serializeManifest(withServed(manifest, 'js/a.333333333333.cmin.js')))
    utimesSync(manifestFile, new Date(Date.now() + 5000), new Date(Date.now() + 5000))
    expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
    await Promise.resolve()
    expect(convoy.url('js/a.js')).toBe('/static/js/a.333333333333.cmin.js')
  })

  it('keeps the previous manifest when the file turns broken or goes away, says so once, and takes the next good one', async () => {
    const { manifestFile, manifest, served } = await fixture()
    const warnings: string[] = []
    const convoy = await createConvoy({ manifest: manifestFile, debug: true, duringDebug: true, onWarning: (message) => warnings.push(message) })
    await writeFile(manifestFile, '{"version": 1, "files": ')
    for (let i = 0; i < 3; i++) {
      expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
      await Promise.resolve()
    }
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(manifestFile)
    expect(warnings[0]).toContain('previous one stays in use')
    await rm(manifestFile)
    expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
    await Promise.resolve()
    expect(convoy.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
    expect(warnings).toHaveLength(2)
    expect(warnings[1]).toContain('ENOENT')
    await writeManifestFile(manifestFile, withServed(manifest, 'js/a.444444444444.cmin.js'))
    expect(convoy.url('js/a.js')).toBe('/static/js/a.444444444444.cmin.js')
    expect(warnings).toHaveLength(2)
  })

  it('does the same for a Storage on the local disk', async () => {
    const { root, manifestFile, manifest } = await fixture()
    const convoy = await createConvoy({ manifest: createFsStorage({ root }), debug: true, duringDebug: true })
    await writeManifestFile(manifestFile, withServed(manifest, 'js/a.555555555555.cmin.js'))
    expect(convoy.url('js/a.js')).toBe('/static/js/a.555555555555.cmin.js')
  })
})

describe('outside debug mode the manifest is a snapshot, as production wants', () => {
  it('answers from the manifest it loaded until reload(), or by itself with watch: true (also for a local Storage)', async () => {
    const { root, manifestFile, manifest, served } = await fixture()
    const snapshot = await createConvoy({ manifest: manifestFile })
    const watching = await createConvoy({ manifest: createFsStorage({ root }), watch: true })
    try {
      await writeManifestFile(manifestFile, withServed(manifest, 'js/a.666666666666.cmin.js'))
      await waitFor(() => watching.url('js/a.js') === '/static/js/a.666666666666.cmin.js')
      expect(snapshot.url('js/a.js')).toBe(`/static/${served['js/a.js']}`)
      await snapshot.reload()
      expect(snapshot.url('js/a.js')).toBe('/static/js/a.666666666666.cmin.js')
    } finally {
      watching.close()
    }
  })
})

describe('createConvoy({ debug: true }) without duringDebug', () => {
  it('links baseUrl + logicalPath whatever the manifest on disk says, before and after a collect', async () => {
    const { manifestFile, manifest } = await fixture()
    const convoy = await createConvoy({ manifest: manifestFile, debug: true, baseUrl: '/static/' })
    expect(convoy.url('js/a.js')).toBe('/static/js/a.js')
    await writeManifestFile(manifestFile, withServed(manifest, 'js/a.777777777777.cmin.js'))
    await Promise.resolve()
    expect(convoy.url('js/a.js')).toBe('/static/js/a.js')
    expect(convoy.url('js/new-file.js')).toBe('/static/js/new-file.js')
    expect(convoy.manifest).toBeUndefined()
  })
})
