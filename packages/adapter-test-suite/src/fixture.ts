// A collected-looking tree on disk, as `convoy collect` leaves it, with secrets next to it and traps inside it: what
// every static adapter serves in the conformance suite (and what @convoy/serve's own tests serve).
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { SECRETS } from './hostile-paths.js'

/** A precompressed sibling as the manifest names it. */
export interface FixtureVariant {
  readonly path: string
  readonly size: number
}

/** One manifest entry of the fixture (the shape of `@convoy/manifest`'s `ManifestEntry`). */
export interface FixtureManifestEntry {
  readonly served: string
  readonly size: number
  readonly integrity: string
  readonly fingerprinted: string
  readonly sourceHash: string
  readonly contentType: string
  readonly encodings?: { readonly gzip?: FixtureVariant; readonly br?: FixtureVariant }
  readonly map?: string
  /** This file as a dictionary for its later versions (RFC 9842): its SHA-256 (base64) and their storage-path pattern. */
  readonly dictionary?: { readonly hash: string; readonly match: string }
  /** Its deltas against earlier versions, by the SHA-256 (base64) of the version each was made against. */
  readonly deltas?: Readonly<Record<string, { readonly dcb?: FixtureVariant; readonly dcz?: FixtureVariant }>>
}

/**
 * The fixture's `convoy-manifest.json`, typed here so the suite needs no Convoy package at run time; it is a valid
 * `Manifest` of `@convoy/manifest` (version 1), and assignable to that type.
 */
export interface FixtureManifest {
  readonly version: 1
  readonly id: string
  readonly baseUrl: string
  readonly hash: { readonly algorithm: string; readonly length: number }
  readonly files: Readonly<Record<string, FixtureManifestEntry>>
  readonly carpools: Readonly<
    Record<
      string,
      {
        readonly kind: 'css' | 'js'
        readonly members: readonly string[]
        readonly served: string
        readonly size: number
        readonly integrity: string
        readonly contentType: string
        readonly encodings?: { readonly gzip?: FixtureVariant; readonly br?: FixtureVariant }
      }
    >
  >
  readonly history: readonly { readonly supersededAt: string; readonly id: string; readonly dropped: readonly string[] }[]
}

const md5 = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('hex').slice(0, 12)
const sha256 = (bytes: Uint8Array | string): Buffer => createHash('sha256').update(bytes).digest()
const sri = (bytes: Uint8Array | string): string => `sha384-${createHash('sha384').update(bytes).digest('base64')}`

/** What {@link createFixture} built. Paths in `paths` are storage paths (relative to `root`, `/`-separated). */
export interface Fixture {
  /** Temporary folder holding `public/` (the root), `public-old/` and `secret.txt`. */
  readonly base: string
  /** The folder to serve: `<base>/public`, with `convoy-manifest.json` at its top. */
  readonly root: string
  readonly manifest: FixtureManifest
  /** Every file written under the root (storage path → bytes), symlinks and dotfiles excluded. */
  readonly files: ReadonlyMap<string, Buffer>
  readonly paths: {
    /** `css/base.css`: the original, served with a short max-age. */
    readonly original: string
    /** `css/base.<hash>.css`: fingerprinted, unminified. */
    readonly fingerprinted: string
    /** `css/base.<hash>.cmin.css`: the served file, with `.gz` and `.br` siblings. */
    readonly served: string
    readonly gzip: string
    readonly br: string
    /** `js/app.<hash>.cmin.js`: a served file with only a `.gz` sibling, and a source map. */
    readonly jsServed: string
    readonly jsGzip: string
    readonly jsMap: string
    /**
     * `js/delta.<hash>.cmin.js`: a served script the manifest offers as a dictionary (`match: 'js/delta.*.cmin.js'`),
     * with a `.br` sibling and a `dcb` and a `dcz` delta against its earlier version (`deltaEarlier`). The deltas
     * are bytes shaped like deltas (their header: the magic bytes and the earlier version's SHA-256), smaller than
     * the `.br` (the `dcz` the smallest); a server never decodes them.
     */
    readonly deltaServed: string
    readonly deltaBr: string
    /** `<deltaServed>.<16 hex>.dcb` and `.dcz`: named as `deltaPath()` of `@convoy/storage` names them. */
    readonly deltaDcb: string
    readonly deltaDcz: string
    /** The earlier version of `deltaServed` (named by the manifest's history): the dictionary a returning browser holds. */
    readonly deltaEarlier: string
    /** `img/logo.<hash>.png`: 1208 bytes, no siblings (ranges are checked on it). */
    readonly image: string
    readonly imageOriginal: string
    /** `CARPOOL/css/<hash>.cmin.css`: a carpool bundle the manifest names, with siblings. */
    readonly carpool: string
    readonly carpoolBr: string
    /** Served by an earlier deploy (named by the manifest's history only): still served, with a short max-age. */
    readonly old: string
    /** `data/big.<hash>.bin`: 300 KiB, too big for a memory cache, so streamed. */
    readonly big: string
    /** `stray.txt`: in the root but named by no manifest, so not served when there is a manifest. */
    readonly stray: string
  }
  /** Removes `base` and everything in it. */
  cleanup(): Promise<void>
}

/**
 * Builds, in a new temporary folder, a root as `convoy collect` leaves it — fingerprinted, minified and precompressed
 * files, a carpool bundle, a source map, a big file, `convoy-manifest.json` naming them — plus secrets next to it
 * (`../secret.txt`, a sibling folder `public-old/`) and traps inside it (dotfiles, symlinks out of the root, a
 * manifest entry whose original is such a symlink). Call `cleanup()` when done.
 *
 * @example
 * const fixture = await createFixture()
 * try {
 *   // serve fixture.root, request `/${fixture.paths.served}`…
 * } finally {
 *   await fixture.cleanup()
 * }
 */
export async function createFixture(): Promise<Fixture> {
  const base = await mkdtemp(join(tmpdir(), 'convoy-adapter-fixture-'))
  try {
    return await buildFixture(base)
  } catch (error) {
    await rm(base, { recursive: true, force: true })
    throw error
  }
}

async function buildFixture(base: string): Promise<Fixture> {
  const root = join(base, 'public')
  const files = new Map<string, Buffer>()
  const put = async (path: string, content: Uint8Array | string, keep = true): Promise<Buffer> => {
    const bytes = Buffer.from(content)
    const file = join(root, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, bytes)
    if (keep) files.set(path, bytes)
    return bytes
  }

  const rules = Array.from({ length: 80 }, (_, i) => `.rule-${i} { color: #${(i * 4099).toString(16).padStart(6, '0').slice(0, 6)}; margin: ${i}px; }`)
  const originalCss = `/* base */\n${rules.join('\n')}\n`
  const minCss = rules.join('')
  const original = 'css/base.css'
  const fingerprinted = `css/base.${md5(originalCss)}.css`
  const served = `css/base.${md5(minCss)}.cmin.css`
  await put(original, originalCss)
  await put(fingerprinted, originalCss)
  const servedBytes = await put(served, minCss)
  const gzipBytes = await put(`${served}.gz`, gzipSync(servedBytes, { level: 9 }))
  const brBytes = await put(`${served}.br`, brotliCompressSync(servedBytes))

  const js = `export function hello(name) {\n  return 'hello ' + name + '${'!'.repeat(400)}'\n}\n`.repeat(4)
  const jsMin = js.replace(/\s+/g, ' ')
  const jsServed = `js/app.${md5(jsMin)}.cmin.js`
  await put('js/app.js', js)
  await put(`js/app.${md5(js)}.js`, js)
  const jsBytes = await put(jsServed, jsMin)
  await put(`${jsServed}.gz`, gzipSync(jsBytes))
  const jsMap = `${jsServed}.map`
  await put(jsMap, JSON.stringify({ version: 3, sources: ['app.js'], mappings: '' }))

  // Two versions of a script: the earlier one is what a returning browser holds, and the deltas are made against it.
  const deltaScript = (version: number): string =>
    `${Array.from({ length: 60 }, (_, i) => `function step${i}(x){return x*${(i * 7919) % 1000}+${i === 30 ? version : i}}`).join(';')};\n`
  const deltaEarlierBytes = await put(`js/delta.${md5(deltaScript(1))}.cmin.js`, deltaScript(1))
  const deltaEarlier = `js/delta.${md5(deltaScript(1))}.cmin.js`
  const deltaServed = `js/delta.${md5(deltaScript(2))}.cmin.js`
  const deltaBytes = await put(deltaServed, deltaScript(2))
  await put('js/delta.js', deltaScript(2))
  const deltaBrBytes = await put(`${deltaServed}.br`, brotliCompressSync(deltaBytes))
  const earlierHash = sha256(deltaEarlierBytes)
  const deltaOf = (magic: readonly number[], length: number, fill: number): Buffer =>
    Buffer.concat([Buffer.from(magic), earlierHash, Buffer.alloc(length - magic.length - earlierHash.length, fill)])
  const deltaDcb = `${deltaServed}.${earlierHash.toString('hex', 0, 8)}.dcb`
  const deltaDcz = `${deltaServed}.${earlierHash.toString('hex', 0, 8)}.dcz`
  const dcbBytes = await put(deltaDcb, deltaOf([0xff, 0x44, 0x43, 0x42], 120, 0x62))
  const dczBytes = await put(deltaDcz, deltaOf([0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00], 90, 0x7a))

  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1200, 7)])
  const image = `img/logo.${md5(png)}.png`
  await put('img/logo.png', png)
  await put(image, png)

  const carpoolCss = `${minCss}${minCss}`
  const carpool = `CARPOOL/css/${md5(carpoolCss)}.cmin.css`
  const carpoolBytes = await put(carpool, carpoolCss)
  await put(`${carpool}.gz`, gzipSync(carpoolBytes))
  await put(`${carpool}.br`, brotliCompressSync(carpoolBytes))

  // Served by an earlier deploy, still on disk: pages rendered before the deploy ask for it.
  const old = 'css/base.0123456789ab.cmin.css'
  await put(old, '.old{color:red}')
  // Too big for the memory cache: always streamed from disk.
  const bigContent = Buffer.alloc(300 * 1024)
  for (let i = 0; i < bigContent.length; i++) bigContent[i] = (i * 31 + 7) % 251
  const big = `data/big.${md5(bigContent)}.bin`
  await put('data/big.bin', bigContent)
  await put(big, bigContent)
  // In the root but named by no manifest.
  const stray = 'stray.txt'
  await put(stray, 'stray file')

  // Traps: none of these may ever be served.
  await writeFile(join(base, 'secret.txt'), SECRETS[0])
  await mkdir(join(base, 'public-old', 'css'), { recursive: true })
  await writeFile(join(base, 'public-old', 'secret.txt'), SECRETS[1])
  await writeFile(join(base, 'public-old', 'css', 'base.css'), SECRETS[1])
  await put('.env', SECRETS[2], false)
  await put('.git/config', SECRETS[3], false)
  await put('css/.hidden.css', SECRETS[2], false)
  await symlink(join('..', '..', 'secret.txt'), join(root, 'css', 'escape.css'))
  await symlink(join('..', 'public-old'), join(root, 'linked'))
  await symlink(join('..', 'secret.txt'), join(root, 'secret-link.txt'))
  // A symlink that stays inside the root is fine.
  await symlink(`base.${md5(minCss)}.cmin.css`, join(root, 'css', 'alias.css'))

  const entry = (servedPath: string, bytes: Buffer, fp: string, contentType: string) => ({
    served: servedPath,
    size: bytes.length,
    integrity: sri(bytes),
    fingerprinted: fp,
    sourceHash: md5(bytes),
    contentType,
  })
  const manifest: FixtureManifest = {
    version: 1,
    id: 'fixture0000000001',
    baseUrl: '/static/',
    hash: { algorithm: 'md5', length: 12 },
    files: {
      [original]: {
        ...entry(served, servedBytes, fingerprinted, 'text/css; charset=utf-8'),
        encodings: { gzip: { path: `${served}.gz`, size: gzipBytes.length }, br: { path: `${served}.br`, size: brBytes.length } },
      },
      // A manifest entry whose original is a symlink out of the root: named, and still never served.
      'css/escape.css': entry(served, servedBytes, fingerprinted, 'text/css; charset=utf-8'),
      'data/big.bin': entry(big, bigContent, big, 'application/octet-stream'),
      'img/logo.png': entry(image, png, image, 'image/png'),
      'js/app.js': {
        ...entry(jsServed, jsBytes, `js/app.${md5(js)}.js`, 'text/javascript; charset=utf-8'),
        encodings: { gzip: { path: `${jsServed}.gz`, size: gzipSync(jsBytes).length } },
        map: jsMap,
      },
      'js/delta.js': {
        ...entry(deltaServed, deltaBytes, deltaServed, 'text/javascript; charset=utf-8'),
        encodings: { br: { path: `${deltaServed}.br`, size: deltaBrBytes.length } },
        dictionary: { hash: sha256(deltaBytes).toString('base64'), match: 'js/delta.*.cmin.js' },
        deltas: { [earlierHash.toString('base64')]: { dcb: { path: deltaDcb, size: dcbBytes.length }, dcz: { path: deltaDcz, size: dczBytes.length } } },
      },
    },
    carpools: {
      'css/site': {
        kind: 'css',
        members: [original],
        served: carpool,
        size: carpoolBytes.length,
        integrity: sri(carpoolBytes),
        contentType: 'text/css; charset=utf-8',
        encodings: { gzip: { path: `${carpool}.gz`, size: 1 }, br: { path: `${carpool}.br`, size: 1 } },
      },
    },
    history: [{ supersededAt: '2026-01-01T00:00:00Z', id: 'fixture0000000000', dropped: [old, 'css/gone.111111111111.css', deltaEarlier] }],
  }
  await put('convoy-manifest.json', `${JSON.stringify(manifest, null, 2)}\n`)

  return {
    base,
    root,
    manifest,
    files,
    paths: {
      original,
      fingerprinted,
      served,
      gzip: `${served}.gz`,
      br: `${served}.br`,
      jsServed,
      jsGzip: `${jsServed}.gz`,
      jsMap,
      deltaServed,
      deltaBr: `${deltaServed}.br`,
      deltaDcb,
      deltaDcz,
      deltaEarlier,
      image,
      imageOriginal: 'img/logo.png',
      carpool,
      carpoolBr: `${carpool}.br`,
      old,
      big,
      stray,
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  }
}

