// zstd siblings (`.zst`) are negotiated like `.br` and `.gz`: by q-value, then by size.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { ENCODINGS } from '@convoy/gzip'
import { createManifest, serializeManifest, type ManifestEntry } from '@convoy/manifest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStaticFiles, type StaticAnswer, type StaticFiles } from './static-files.js'
import { createMemoryStorage } from './test-helpers.js'

const CSS_TYPE = 'text/css; charset=utf-8'
const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex').slice(0, 12)
const ZSTD_REAL = ENCODINGS.zstd.unavailable() === undefined

/** A zstd sibling of `bytes`: the real one where this Node.js has zstd, else `size` bytes standing for one. */
function zstdOf(bytes: Buffer, size: number): Buffer {
  return ZSTD_REAL ? Buffer.from(ENCODINGS.zstd.encodeSync(bytes, ENCODINGS.zstd.defaultLevel)) : Buffer.alloc(size, 0x28)
}

let root: string
let files: StaticFiles
const written = new Map<string, Buffer>()
/** `css/small.css`: its .zst is the smallest sibling. `css/large.css`: its .zst is the largest (bytes standing for one). */
let small: string
let large: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convoy-serve-zstd-'))
  const put = async (path: string, bytes: Buffer): Promise<void> => {
    const file = join(root, ...path.split('/'))
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, bytes)
    written.set(path, bytes)
  }
  const entry = (served: string, bytes: Buffer): ManifestEntry => {
    const variant = (extension: string): { path: string; size: number } => ({ path: `${served}${extension}`, size: written.get(`${served}${extension}`)!.length })
    return {
      served,
      size: bytes.length,
      integrity: `sha384-${createHash('sha384').update(bytes).digest('base64')}`,
      fingerprinted: served,
      sourceHash: md5(bytes),
      contentType: CSS_TYPE,
      encodings: { gzip: variant('.gz'), br: variant('.br'), zstd: variant('.zst') },
    }
  }
  const css = (seed: number): Buffer => Buffer.from(Array.from({ length: 200 }, (_, i) => `.c${seed}-${i}{margin:${(i * seed) % 97}px}`).join(''))
  const smallBytes = css(3)
  small = `css/small.${md5(smallBytes)}.css`
  await put(small, smallBytes)
  await put(`${small}.gz`, gzipSync(smallBytes, { level: 9 }))
  await put(`${small}.br`, brotliCompressSync(smallBytes))
  // Real zstd of this text is larger than brotli's: there, bytes of a size below brotli's stand for it.
  await put(`${small}.zst`, Buffer.alloc(Math.min(written.get(`${small}.br`)!.length - 10, 100), 0x28))
  const largeBytes = css(5)
  large = `css/large.${md5(largeBytes)}.css`
  await put(large, largeBytes)
  await put(`${large}.gz`, gzipSync(largeBytes, { level: 9 }))
  await put(`${large}.br`, brotliCompressSync(largeBytes))
  await put(`${large}.zst`, zstdOf(largeBytes, written.get(`${large}.gz`)!.length + 10))
  const manifest = createManifest({ baseUrl: '/', hash: { algorithm: 'md5', length: 12 }, files: { 'css/small.css': entry(small, smallBytes), 'css/large.css': entry(large, largeBytes) } })
  await put('convoy-manifest.json', Buffer.from(serializeManifest(manifest)))
  files = createStaticFiles({ root, watch: false })
  await files.ready
})

afterAll(async () => {
  files.close()
  await rm(root, { recursive: true, force: true })
})

const ask = (core: StaticFiles, path: string, acceptEncoding?: string): StaticAnswer | Promise<StaticAnswer> =>
  core.answer({ method: 'GET', url: `/${path}`, header: (name) => (name === 'accept-encoding' ? acceptEncoding : undefined) })

function header(answer: StaticAnswer, name: string): string | undefined {
  if (answer.kind !== 'file' && answer.kind !== 'reply') throw new Error(`expected a file or a reply, got ${answer.kind}`)
  const at = answer.headers.indexOf(name)
  return at === -1 ? undefined : answer.headers[at + 1]
}

function body(answer: StaticAnswer): Buffer {
  if (answer.kind !== 'file' || !(answer.body instanceof Uint8Array)) throw new Error('expected a body held in memory')
  return Buffer.from(answer.body)
}

describe('zstd siblings', () => {
  it('the fixture has the sizes the cases rely on', () => {
    const size = (path: string): number => written.get(path)!.length
    expect(size(`${small}.zst`)).toBeLessThan(Math.min(size(`${small}.br`), size(`${small}.gz`)))
    expect(size(`${large}.zst`)).toBeGreaterThan(size(`${large}.br`))
  })

  it.each<[string | undefined, 'small' | 'large', string | undefined]>([
    ['zstd', 'small', 'zstd'],
    ['zstd', 'large', 'zstd'],
    ['ZSTD', 'large', 'zstd'],
    ['gzip, deflate, br, zstd', 'small', 'zstd'],
    ['gzip, deflate, br, zstd', 'large', 'br'],
    ['zstd;q=0.5, br', 'small', 'br'],
    ['zstd, br;q=0.5', 'large', 'zstd'],
    ['*', 'small', 'zstd'],
    ['*', 'large', 'br'],
    ['br;q=0, gzip;q=0, *', 'large', 'zstd'],
    ['zstd;q=0, *', 'small', 'br'],
    ['gzip, zstd;q=0', 'small', 'gzip'],
    [undefined, 'small', undefined],
  ])('Accept-Encoding %j on the file whose .zst is the %s → %s, with Vary', async (acceptEncoding, which, expected) => {
    const path = which === 'small' ? small : large
    const answer = await ask(files, path, acceptEncoding)
    expect([answer.kind === 'file' && answer.status, header(answer, 'Content-Encoding'), header(answer, 'Vary'), header(answer, 'Content-Type')]).toEqual([200, expected, 'Accept-Encoding', CSS_TYPE])
    const sent = expected === undefined ? path : `${path}${expected === 'zstd' ? '.zst' : expected === 'br' ? '.br' : '.gz'}`
    expect(body(answer).equals(written.get(sent)!)).toBe(true)
    expect(header(answer, 'Content-Length')).toBe(String(written.get(sent)!.length))
  })

  it('answers a direct request for x.css.zst with Content-Encoding: zstd and the inner type, without Vary', async () => {
    const answer = await ask(files, `${large}.zst`, 'identity')
    expect([header(answer, 'Content-Encoding'), header(answer, 'Content-Type'), header(answer, 'Vary')]).toEqual(['zstd', CSS_TYPE, undefined])
    expect(body(answer).equals(written.get(`${large}.zst`)!)).toBe(true)
  })

  it('gives the zstd representation its own ETag', async () => {
    const tags = await Promise.all(['identity', 'gzip', 'br', 'zstd'].map(async (coding) => header(await ask(files, small, coding), 'ETag')))
    expect(new Set(tags).size).toBe(4)
  })

  it('serves the .zst sibling of a carpool bundle built at request time', async () => {
    const bundleBytes = Buffer.from('.bundle{color:red}'.repeat(50))
    const bundle = `CARPOOL/css/${md5(bundleBytes)}.cmin.css`
    const storage = createMemoryStorage()
    const core = createStaticFiles({ storage, manifest: false })
    await core.ready
    const zst = zstdOf(bundleBytes, 40)
    await storage.write(`${bundle}.gz`, gzipSync(bundleBytes))
    await storage.write(`${bundle}.zst`, zst)
    await storage.write(bundle, bundleBytes)
    const answer = await ask(core, bundle, 'br, zstd')
    expect([header(answer, 'Content-Encoding'), header(answer, 'Vary')]).toEqual(['zstd', 'Accept-Encoding'])
    expect(body(answer).equals(zst)).toBe(true)
    core.close()
  })
})
