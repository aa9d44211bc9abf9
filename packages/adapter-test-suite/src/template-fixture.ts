// What the template suite's runtimes read: a manifest as `convoy collect` writes it and the served files it names, each
// with a `.gz` sibling, in a temporary folder (which is also the storage request-time bundles are written to).
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { FixtureManifest, FixtureManifestEntry } from './fixture.js'

/** The logical paths the template fixture's manifest knows. */
export const TEMPLATE_ASSETS = ['css/a.css', 'css/b.css', 'js/vendor.js', 'js/app.js'] as const

/** One of {@link TEMPLATE_ASSETS}. */
export type TemplateAsset = (typeof TEMPLATE_ASSETS)[number]

/** What {@link createTemplateFixture} built. */
export interface TemplateFixture {
  /** The temporary folder: the manifest, the served files and their `.gz` siblings. */
  readonly directory: string
  /** `<directory>/convoy-manifest.json`. */
  readonly manifestFile: string
  readonly manifest: FixtureManifest
  /** The served storage path of each logical path (`css/a.<hash>.cmin.css`); its `.gz` sibling adds `.gz`. */
  readonly served: Readonly<Record<TemplateAsset, string>>
  /** Writes `manifest` as `<directory>/<folder>/convoy-manifest.json` and returns that path, for a runtime of its own. */
  writeManifest(folder: string, manifest: FixtureManifest): Promise<string>
  /** Removes `directory` and everything in it. */
  cleanup(): Promise<void>
}

const CONTENT: Readonly<Record<TemplateAsset, string>> = {
  'css/a.css': '.a{color:red;margin:0 auto}'.repeat(20),
  'css/b.css': '.b{color:blue;margin:0 auto}'.repeat(20),
  'js/vendor.js': 'var vendor=1;console.log("vendor");'.repeat(20),
  'js/app.js': 'console.log("app");'.repeat(20),
}

const hash = (text: string, algorithm: string, length?: number): string => createHash(algorithm).update(text).digest('hex').slice(0, length)

/**
 * Builds, in a new temporary folder `convoy-template-fixture-*`, the served files of {@link TEMPLATE_ASSETS} (with
 * `.gz` siblings) and a `convoy-manifest.json` naming them (version 1, base URL `/static/`, no bundles). Call
 * `cleanup()` when done.
 */
export async function createTemplateFixture(): Promise<TemplateFixture> {
  const directory = await mkdtemp(join(tmpdir(), 'convoy-template-fixture-'))
  try {
    const put = async (path: string, content: string | Uint8Array): Promise<void> => {
      const file = join(directory, ...path.split('/'))
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, content)
    }
    const served = {} as Record<TemplateAsset, string>
    const files: Record<string, FixtureManifestEntry> = {}
    for (const logicalPath of TEMPLATE_ASSETS) {
      const text = CONTENT[logicalPath]
      const dot = logicalPath.lastIndexOf('.')
      const path = `${logicalPath.slice(0, dot)}.${hash(text, 'md5', 12)}.cmin${logicalPath.slice(dot)}`
      const gzip = gzipSync(text, { level: 9 })
      await put(path, text)
      await put(`${path}.gz`, gzip)
      served[logicalPath] = path
      files[logicalPath] = {
        served: path,
        size: Buffer.byteLength(text),
        integrity: `sha384-${createHash('sha384').update(text).digest('base64')}`,
        fingerprinted: path,
        sourceHash: hash(text, 'md5', 12),
        contentType: logicalPath.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
        encodings: { gzip: { path: `${path}.gz`, size: gzip.byteLength } },
      }
    }
    const manifest: FixtureManifest = {
      version: 1,
      id: 'templatefixture01',
      baseUrl: '/static/',
      hash: { algorithm: 'md5', length: 12 },
      files,
      carpools: {},
      history: [],
    }
    const writeManifest = async (folder: string, content: FixtureManifest): Promise<string> => {
      const path = folder === '' ? 'convoy-manifest.json' : `${folder}/convoy-manifest.json`
      await put(path, `${JSON.stringify(content, null, 2)}\n`)
      return join(directory, ...path.split('/'))
    }
    const manifestFile = await writeManifest('', manifest)
    return { directory, manifestFile, manifest, served, writeManifest, cleanup: () => rm(directory, { recursive: true, force: true }) }
  } catch (error) {
    await rm(directory, { recursive: true, force: true })
    throw error
  }
}
