// A collected tree for the runtime tests: originals, served files, `.gz` siblings and the manifest, on disk.
// Also the error catchers those tests share. Not exported from the package.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import { contentHash, fingerprintedName, integrity } from '@convoy/hash'
import { createManifest, MANIFEST_FILE, writeManifestFile, type Manifest, type ManifestCarpool, type ManifestEntry } from '@convoy/manifest'
import { createFsStorage } from '@convoy/storage-fs'
import { afterEach } from 'vitest'
import type { Storage } from '@convoy/storage'

const padding = (selector: string): string => `${selector}{color:red;margin:0 auto;padding:1px 2px}`.repeat(20)

/** Logical path → [original, served] text. The served CSS points at the served image, relative to its own folder. */
export const FIXTURE_FILES: Readonly<Record<string, readonly [string, string]>> = {
  'css/x/a.css': ['a { background: url(../img/a.png) }\n', `a{background:url(../img/a.PNGHASH.png)}${padding('.a')}`],
  'css/b.css': ['b { color: blue }\n', `b{color:blue}${padding('.b')}`],
  'js/a.js': ['var a = 1\n', 'var a = 1'],
  'js/b.js': ['(function () {\n  a = a + 1\n})()\n', '(function(){a=a+1})()'],
  [`css/we"ird<>&'.css`]: ['c { color: red }\n', 'c{color:red}'],
}

export interface Fixture {
  readonly root: string
  readonly manifestFile: string
  readonly manifest: Manifest
  readonly storage: Storage
  /** Logical path → served storage path. */
  readonly served: Readonly<Record<string, string>>
}

/** Writes the tree to a new temporary folder. `carpools` become the manifest's collect-built bundles. */
export async function createFixture(carpools: Readonly<Record<string, ManifestCarpool>> = {}): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'convoy-runtime-'))
  const storage = createFsStorage({ root })
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])
  const pngHash = contentHash(png)
  const pngServed = fingerprintedName('css/img/a.png', pngHash)
  await storage.write('css/img/a.png', png)
  await storage.write(pngServed, png)
  const files: Record<string, ManifestEntry> = {
    'css/img/a.png': { served: pngServed, size: png.byteLength, integrity: integrity(png), fingerprinted: pngServed, sourceHash: contentHash(png, { length: 32 }), contentType: 'image/png' },
  }
  const served: Record<string, string> = { 'css/img/a.png': pngServed }
  for (const [logicalPath, [original, processed]] of Object.entries(FIXTURE_FILES)) {
    const text = processed.replace('PNGHASH', pngHash)
    const path = fingerprintedName(logicalPath, contentHash(text), { marker: 'cmin' })
    const gzip = gzipSync(text, { level: 9 })
    await storage.write(logicalPath, original)
    await storage.write(path, text)
    const keepGzip = gzip.byteLength <= 0.95 * Buffer.byteLength(text)
    if (keepGzip) await storage.write(`${path}.gz`, gzip)
    served[logicalPath] = path
    files[logicalPath] = {
      served: path,
      size: Buffer.byteLength(text),
      integrity: integrity(text),
      fingerprinted: path,
      sourceHash: contentHash(original, { length: 32 }),
      contentType: logicalPath.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      ...(keepGzip ? { encodings: { gzip: { path: `${path}.gz`, size: gzip.byteLength } } } : {}),
    }
  }
  const manifest = createManifest({ files, carpools, baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } })
  const manifestFile = join(root, MANIFEST_FILE)
  await writeManifestFile(manifestFile, manifest)
  return { root, manifestFile, manifest, storage, served }
}

/**
 * A `createFixture` for the calling test file: every fixture it makes is removed after the test that made it.
 * Call it once, at the top level of the file.
 */
export function cleanedFixtures(): () => Promise<Fixture> {
  const fixtures: Fixture[] = []
  afterEach(async () => {
    await Promise.all(fixtures.splice(0).map((created) => rm(created.root, { recursive: true, force: true })))
  })
  return async () => {
    const created = await createFixture()
    fixtures.push(created)
    return created
  }
}

/** A storage that counts the writes of each path. */
export function countingWrites(storage: Storage): { storage: Storage; writes: Map<string, number> } {
  const writes = new Map<string, number>()
  return {
    writes,
    storage: {
      name: storage.name,
      capabilities: storage.capabilities,
      read: (path) => storage.read(path),
      readStream: (path) => storage.readStream(path),
      exists: (path) => storage.exists(path),
      stat: (path) => storage.stat(path),
      delete: (path) => storage.delete(path),
      list: (prefix) => storage.list(prefix),
      url: (path) => storage.url(path),
      write(path, body, options) {
        writes.set(path, (writes.get(path) ?? 0) + 1)
        return storage.write(path, body, options)
      },
    },
  }
}

/** Polls `check` every few milliseconds until it is true, for at most `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The ConvoyError `run` throws; any other error is rethrown, and throwing nothing fails the test. */
export function thrown(run: () => unknown): ConvoyError {
  try {
    run()
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected a ConvoyError')
}

/** The ConvoyError `promise` rejects with; any other error is rethrown, and resolving fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ConvoyError> {
  try {
    await promise
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected a ConvoyError')
}
