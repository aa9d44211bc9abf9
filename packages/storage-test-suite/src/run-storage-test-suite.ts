import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { IMMUTABLE_CACHE_CONTROL, type Storage, type StorageEntry } from '@convoy/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { chunkedStream, collect, expectBytes, failingStream, filled, patterned } from './bodies.js'
import { registerLockTests } from './locks.js'
import { drained, listAll, listPaths } from './steps.js'
import { registerConditionalWriteTests } from './conditional-writes.js'

/** What `setup` hands the suite for one test: a fresh, empty storage and how to throw it away. */
export interface StorageTestContext {
  readonly storage: Storage
  /** Called after the test, pass or fail: remove the temporary directory, bucket prefix… */
  readonly cleanup?: () => Promise<void>
}

/** The test groups an implementation may skip, always with a reason. */
export const STORAGE_TEST_GROUPS = ['lastModified', 'largeObjects', 'concurrency'] as const
export type StorageTestGroup = (typeof STORAGE_TEST_GROUPS)[number]

export interface StorageTestSuiteOptions {
  /**
   * Groups to skip, each with the reason it does not apply; the reason is printed in the skipped tests' names.
   * @example { lastModified: 'backend does not keep times' }
   */
  readonly skip?: { readonly [group in StorageTestGroup]?: string }
  /** Time limit of each test in milliseconds. Default `20000` (a remote backend may need more). */
  readonly timeout?: number
}

/** Paths the contract forbids, with the rule each one breaks. */
const UNSAFE_PATHS: readonly (readonly [path: string, rule: string])[] = [
  ['', 'empty'],
  ['.', '"." segment'],
  ['..', '".." segment'],
  ['../x', 'climbs out'],
  ['a/../../x', 'climbs out from a folder'],
  ['a/..', 'ends in ".."'],
  ['./a', 'starts with "."'],
  ['a/./b', '"." segment'],
  ['a//b', 'empty segment'],
  ['a/', 'trailing slash'],
  ['/abs', 'absolute'],
  ['/etc/passwd', 'absolute'],
  ['a\\b', 'backslash'],
  ['..\\x', 'backslash climbing out'],
  ['a\0b', 'NUL byte'],
]

/** Names a real site has: spaces, unicode, several dots, dotfiles, deep folders, URL-special characters. */
const SAMPLE_PATHS: readonly string[] = [
  'a.txt',
  'with space/file name.txt',
  'ünïcødé/日本語 ファイル.txt',
  'emoji-🚚.js',
  'a/b/c/d/e/f/deep.txt',
  'jquery.min.25b23dfca187.js',
  'css/main.css.25b23dfca187.map.gz',
  'Makefile',
  'dir/.hidden',
  'odd/100% #1 (copy) & more+plus=;,@$~.txt',
]

type Operation = (storage: Storage, path: string) => Promise<unknown>

const PATH_OPERATIONS: readonly (readonly [name: string, call: Operation])[] = [
  ['read', (storage, path) => storage.read(path)],
  ['readStream', (storage, path) => storage.readStream(path)],
  ['write', (storage, path) => storage.write(path, 'x')],
  ['write (stream)', (storage, path) => storage.write(path, Readable.from([Buffer.from('x')]))],
  ['delete', (storage, path) => storage.delete(path)],
  ['exists', (storage, path) => storage.exists(path)],
  ['stat', (storage, path) => storage.stat(path)],
]

// RFC 3986 `pchar`: what may stand unescaped in one segment of a URL path.
const URL_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/

/**
 * Registers the Convoy storage conformance suite with vitest. Call it once, at the top level of a test file;
 * `setup` runs before every test and must return a fresh, empty storage.
 *
 * @example
 * import { mkdtemp, rm } from 'node:fs/promises'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { runStorageTestSuite } from '@convoy/storage-test-suite'
 * import { createFsStorage } from '@convoy/storage-fs'
 *
 * runStorageTestSuite('storage-fs', async () => {
 *   const root = await mkdtemp(join(tmpdir(), 'convoy-fs-'))
 *   return { storage: createFsStorage({ root }), cleanup: () => rm(root, { recursive: true, force: true }) }
 * })
 */
export function runStorageTestSuite(
  name: string,
  setup: () => Promise<StorageTestContext> | StorageTestContext,
  options: StorageTestSuiteOptions = {},
): void {
  const skip = checkSkips(options.skip ?? {})
  const timeout = options.timeout ?? 20_000

  let context: StorageTestContext | undefined
  const current = (): Storage => {
    if (context === undefined) throw new Error('@convoy/storage-test-suite: setup() did not run')
    return context.storage
  }

  /** A `describe` for a skippable group: skipped, with the reason in its name, when the implementation asks. */
  const group = (title: string, id: StorageTestGroup, body: () => void): void => {
    const reason = skip[id]
    describe.skipIf(reason !== undefined)(reason === undefined ? title : `${title} (skipped by ${name}: ${reason})`, body)
  }

  describe(`Storage conformance: ${name}`, () => {
    beforeEach(async () => {
      const made = await setup()
      if (typeof made !== 'object' || made === null || typeof made.storage !== 'object') {
        throw new TypeError('@convoy/storage-test-suite: setup() must return { storage, cleanup? }')
      }
      context = made
    })

    afterEach(async () => {
      const done = context
      context = undefined
      await done?.cleanup?.()
    })

    describe('shape', () => {
      it('has a name and declares its capabilities', () => {
        const storage = current()
        expect(typeof storage.name).toBe('string')
        expect(storage.name.length).toBeGreaterThan(0)
        expect(typeof storage.capabilities.atomicWrites).toBe('boolean')
        const { localDirectory } = storage.capabilities
        if (localDirectory !== undefined) {
          expect(typeof localDirectory).toBe('string')
          expect(isAbsolute(localDirectory), `localDirectory ${localDirectory} is absolute`).toBe(true)
        }
      }, timeout)

      it('keeps each object as the file localDirectory/path when it declares a localDirectory', async (context) => {
        const storage = current()
        const directory = storage.capabilities.localDirectory
        if (directory === undefined) return context.skip('the storage declares no localDirectory')
        await storage.write('css/site.css', 'body{color:red}')
        expect(await readFile(join(directory, 'css', 'site.css'), 'utf8')).toBe('body{color:red}')
      }, timeout)
    })

    describe('missing objects', () => {
      it('read, readStream and stat give null; exists gives false', async () => {
        const storage = current()
        for (const path of ['missing.txt', 'no/such/folder/missing.txt']) {
          expect(await storage.read(path), `read(${path})`).toBeNull()
          expect(await storage.readStream(path), `readStream(${path})`).toBeNull()
          expect(await storage.stat(path), `stat(${path})`).toBeNull()
          expect(await storage.exists(path), `exists(${path})`).toBe(false)
        }
      }, timeout)

      it('a folder that holds objects is not itself an object', async () => {
        const storage = current()
        await storage.write('a/b/c.txt', 'c')
        for (const path of ['a', 'a/b']) {
          expect(await storage.read(path), `read(${path})`).toBeNull()
          expect(await storage.readStream(path), `readStream(${path})`).toBeNull()
          expect(await storage.stat(path), `stat(${path})`).toBeNull()
          expect(await storage.exists(path), `exists(${path})`).toBe(false)
        }
        await storage.delete('a/b')
        expectBytes(await storage.read('a/b/c.txt'), 'c', 'deleting the folder a/b leaves a/b/c.txt')
      }, timeout)

      it('an object inside a path that is an object is missing', async () => {
        const storage = current()
        await storage.write('file.txt', 'f')
        expect(await storage.read('file.txt/inner.txt')).toBeNull()
        expect(await storage.stat('file.txt/inner.txt')).toBeNull()
        expect(await storage.exists('file.txt/inner.txt')).toBe(false)
      }, timeout)
    })

    describe('write and read', () => {
      it('writes and reads bytes', async () => {
        const storage = current()
        const every = Uint8Array.from({ length: 256 }, (_, index) => index)
        await storage.write('bytes.bin', every)
        expectBytes(await storage.read('bytes.bin'), every, 'read')
      }, timeout)

      it('writes only the bytes of a Uint8Array view, not its whole buffer', async () => {
        const storage = current()
        const whole = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
        await storage.write('view.bin', new Uint8Array(whole.buffer, 2, 3))
        expectBytes(await storage.read('view.bin'), Uint8Array.from([3, 4, 5]), 'read')
      }, timeout)

      it('writes a Buffer', async () => {
        const storage = current()
        await storage.write('buffer.txt', Buffer.from('from a Buffer'))
        expectBytes(await storage.read('buffer.txt'), 'from a Buffer', 'read')
      }, timeout)

      it('writes a string as UTF-8', async () => {
        const storage = current()
        const text = 'héllo wörld ✓ 日本 🚚\n'
        await storage.write('text.txt', text)
        expectBytes(await storage.read('text.txt'), Buffer.from(text, 'utf8'), 'read')
        expect((await storage.stat('text.txt'))?.size).toBe(Buffer.byteLength(text, 'utf8'))
      }, timeout)

      it('writes a Readable stream', async () => {
        const storage = current()
        const body = patterned(200_000, 7)
        await storage.write('stream.bin', chunkedStream(body, 10_000))
        expectBytes(await storage.read('stream.bin'), body, 'read')
      }, timeout)

      it('readStream streams the object', async () => {
        const storage = current()
        const body = patterned(150_000, 3)
        await storage.write('out.bin', body)
        const stream = await storage.readStream('out.bin')
        expect(stream).toBeInstanceOf(Readable)
        expectBytes(await collect(stream!), body, 'readStream')
      }, timeout)

      it('an overwrite replaces the whole object', async () => {
        const storage = current()
        await storage.write('page.html', 'a much longer first version of the page')
        await storage.write('page.html', 'short')
        expectBytes(await storage.read('page.html'), 'short', 'read after overwrite')
        expect((await storage.stat('page.html'))?.size).toBe(5)
        await storage.write('page.html', chunkedStream(Buffer.from('streamed over it'), 4))
        expectBytes(await storage.read('page.html'), 'streamed over it', 'read after a stream overwrite')
      }, timeout)

      it('keeps an empty object', async () => {
        const storage = current()
        await storage.write('empty.txt', '')
        await storage.write('empty.bin', new Uint8Array(0))
        await storage.write('empty-stream.bin', Readable.from([]))
        for (const path of ['empty.txt', 'empty.bin', 'empty-stream.bin']) {
          expectBytes(await storage.read(path), '', `read(${path})`)
          expect(await storage.exists(path), `exists(${path})`).toBe(true)
          expect((await storage.stat(path))?.size, `stat(${path}).size`).toBe(0)
          expectBytes(await collect((await storage.readStream(path))!), '', `readStream(${path})`)
        }
        expect(await listPaths(storage)).toEqual(['empty-stream.bin', 'empty.bin', 'empty.txt'])
      }, timeout)

      it('keeps its own copy: changing the written or the read bytes does not change the object', async () => {
        const storage = current()
        const body = Uint8Array.from([1, 2, 3])
        await storage.write('copy.bin', body)
        body[0] = 9
        const read = await storage.read('copy.bin')
        expectBytes(read, Uint8Array.from([1, 2, 3]), 'after changing the written array')
        read![1] = 9
        expectBytes(await storage.read('copy.bin'), Uint8Array.from([1, 2, 3]), 'after changing a read array')
      }, timeout)

      it('accepts write options', async () => {
        const storage = current()
        await storage.write('css/base.css', 'body{}', {
          contentType: 'text/css; charset=utf-8',
          cacheControl: IMMUTABLE_CACHE_CONTROL,
        })
        await storage.write('css/base.css.gz', Uint8Array.from([0x1f, 0x8b, 0x08, 0x00]), {
          contentType: 'text/css; charset=utf-8',
          contentEncoding: 'gzip',
          cacheControl: IMMUTABLE_CACHE_CONTROL,
        })
        await storage.write('css/base.css.br', chunkedStream(Uint8Array.from([0x0b, 0x02, 0x80])), {
          contentType: 'text/css; charset=utf-8',
          contentEncoding: 'br',
        })
        await storage.write('manifest.json', '{}', {})
        expectBytes(await storage.read('css/base.css'), 'body{}', 'css/base.css')
        expectBytes(await storage.read('css/base.css.gz'), Uint8Array.from([0x1f, 0x8b, 0x08, 0x00]), 'css/base.css.gz')
        expectBytes(await storage.read('css/base.css.br'), Uint8Array.from([0x0b, 0x02, 0x80]), 'css/base.css.br')
        expectBytes(await storage.read('manifest.json'), '{}', 'manifest.json')
      }, timeout)

      it('rejects a write whose body stream fails', async () => {
        const storage = current()
        const failure = new Error('the body broke midway')
        await expect(storage.write('broken.bin', failingStream(filled(64 * 1024, 1), failure))).rejects.toThrow()
      }, timeout)
    })

    describe('paths', () => {
      for (const path of SAMPLE_PATHS) {
        it(`keeps ${JSON.stringify(path)}`, async () => {
          const storage = current()
          const body = `content of ${path}`
          await storage.write(path, body)
          expectBytes(await storage.read(path), body, 'read')
          expectBytes(await collect((await storage.readStream(path))!), body, 'readStream')
          expect(await storage.exists(path)).toBe(true)
          expect(await storage.stat(path)).toMatchObject({ path, size: Buffer.byteLength(body) })
          expect(await listPaths(storage)).toEqual([path])
          await storage.delete(path)
          expect(await storage.exists(path)).toBe(false)
        }, timeout)
      }

      it('keeps all of them side by side', async () => {
        const storage = current()
        await Promise.all(SAMPLE_PATHS.map((path) => storage.write(path, path)))
        expect(await listPaths(storage)).toEqual([...SAMPLE_PATHS].sort())
        for (const path of SAMPLE_PATHS) expectBytes(await storage.read(path), path, path)
      }, timeout)
    })

    describe('stat and exists', () => {
      it('exists is true once written, false once deleted', async () => {
        const storage = current()
        expect(await storage.exists('x.txt')).toBe(false)
        await storage.write('x.txt', 'x')
        expect(await storage.exists('x.txt')).toBe(true)
        await storage.delete('x.txt')
        expect(await storage.exists('x.txt')).toBe(false)
      }, timeout)

      it('stat gives the path and the size in bytes, and lastModified as a valid Date when present', async () => {
        const storage = current()
        await storage.write('css/ünï.css', 'é'.repeat(10))
        const entry = await storage.stat('css/ünï.css')
        expect(entry).toMatchObject({ path: 'css/ünï.css', size: 20 })
        expectValidTime(entry!)
      }, timeout)
    })

    group('lastModified', 'lastModified', () => {
      it('stat and list give the time of the last write', async () => {
        const storage = current()
        const before = Date.now()
        await storage.write('t.txt', 't')
        const after = Date.now()
        const stat = await storage.stat('t.txt')
        const [listed] = await listAll(storage)
        for (const [label, entry] of [['stat', stat], ['list', listed]] as const) {
          expect(entry?.lastModified, `${label}: lastModified`).toBeInstanceOf(Date)
          const time = entry!.lastModified!.getTime()
          // Backends may keep whole seconds, and a remote clock may drift a little.
          expect(time, `${label}: lastModified not before the write`).toBeGreaterThanOrEqual(before - 2000)
          expect(time, `${label}: lastModified not after the write`).toBeLessThanOrEqual(after + 2000)
        }
      }, timeout)
    })

    describe('delete', () => {
      it('removes the object', async () => {
        const storage = current()
        await storage.write('gone/away.txt', 'bye')
        await storage.delete('gone/away.txt')
        expect(await storage.read('gone/away.txt')).toBeNull()
        expect(await storage.readStream('gone/away.txt')).toBeNull()
        expect(await storage.stat('gone/away.txt')).toBeNull()
        expect(await storage.exists('gone/away.txt')).toBe(false)
        expect(await listPaths(storage)).toEqual([])
      }, timeout)

      it('deleting a missing object is not an error', async () => {
        const storage = current()
        await expect(storage.delete('never-written.txt')).resolves.toBeUndefined()
        await expect(storage.delete('no/such/folder/never-written.txt')).resolves.toBeUndefined()
        await storage.write('twice.txt', 'x')
        await storage.delete('twice.txt')
        await expect(storage.delete('twice.txt')).resolves.toBeUndefined()
      }, timeout)

      it('leaves other objects alone, and the folder can be written again', async () => {
        const storage = current()
        await storage.write('a/x.txt', 'x')
        await storage.write('a/y.txt', 'y')
        await storage.write('a.txt', 'a')
        await storage.delete('a/x.txt')
        expect(await listPaths(storage)).toEqual(['a.txt', 'a/y.txt'])
        await storage.delete('a/y.txt')
        expect(await listPaths(storage)).toEqual(['a.txt'])
        await storage.write('a/z.txt', 'z')
        expectBytes(await storage.read('a/z.txt'), 'z', 'a/z.txt')
      }, timeout)
    })

    describe('list', () => {
      it('lists nothing in a fresh storage', async () => {
        expect(await listAll(current())).toEqual([])
        expect(await listAll(current(), 'css/')).toEqual([])
      }, timeout)

      it('lists every object once, with its path and size', async () => {
        const storage = current()
        const objects: Record<string, string> = {
          'a.txt': 'a',
          'css/base.css': 'body{}',
          'css/vendor/x.css': 'x{}',
          'css-other/y.css': 'y{}y{}',
          'js/app.js': 'console.log(1)',
          'a/b/c/d/e/f/deep.txt': 'deep',
        }
        for (const [path, body] of Object.entries(objects)) await storage.write(path, body)
        await storage.write('css/base.css', 'body{color:red}') // an overwrite is still one object
        objects['css/base.css'] = 'body{color:red}'
        const entries = await listAll(storage)
        const paths = entries.map((entry) => entry.path)
        expect(paths.length, 'no object listed twice').toBe(new Set(paths).size)
        expect([...paths].sort()).toEqual(Object.keys(objects).sort())
        for (const entry of entries) {
          expect(entry.size, `size of ${entry.path}`).toBe(Buffer.byteLength(objects[entry.path]!))
          expectValidTime(entry)
        }
      }, timeout)

      it('lists by prefix, as a plain string prefix', async () => {
        const storage = current()
        for (const path of ['a.txt', 'css/base.css', 'css/vendor/x.css', 'css-other/y.css', 'cssx.txt', 'js/app.js']) {
          await storage.write(path, path)
        }
        expect(await listPaths(storage, 'css/')).toEqual(['css/base.css', 'css/vendor/x.css'])
        expect(await listPaths(storage, 'css')).toEqual(['css-other/y.css', 'css/base.css', 'css/vendor/x.css', 'cssx.txt'])
        expect(await listPaths(storage, 'css/ba')).toEqual(['css/base.css'])
        expect(await listPaths(storage, 'css/vendor/')).toEqual(['css/vendor/x.css'])
        expect(await listPaths(storage, 'css/base.css')).toEqual(['css/base.css'])
        expect(await listPaths(storage, 'nope/')).toEqual([])
        expect(await listPaths(storage, 'z')).toEqual([])
        expect(await listPaths(storage, '')).toHaveLength(6)
        expect(await listPaths(storage)).toHaveLength(6)
      }, timeout)

      it('lists only finished objects and the one being written, never internal files', async () => {
        const storage = current()
        await storage.write('done.txt', 'done')
        const body = new PassThrough()
        try {
          body.write(filled(64 * 1024, 0x6e))
          const writing = storage.write('pending.bin', body)
          writing.catch(() => undefined) // awaited below; this only keeps a failed assertion from leaving it unhandled
          await drained(body)
          const during = await listPaths(storage)
          expect(during.filter((path) => path !== 'pending.bin')).toEqual(['done.txt'])
          body.end(filled(1024, 0x6e))
          await writing
        } finally {
          body.end()
        }
        expect(await listPaths(storage)).toEqual(['done.txt', 'pending.bin'])
      }, timeout)

      it('a prefix that climbs out of the storage finds nothing', async () => {
        const storage = current()
        await storage.write('inside.txt', 'x')
        for (const prefix of ['../', '..', '/', '/etc/']) {
          const outcome = await listOutcome(storage, prefix)
          expect(
            outcome === 'ERR_CONVOY_STORAGE_PATH' || (Array.isArray(outcome) && outcome.length === 0),
            `list(${JSON.stringify(prefix)}) gave ${JSON.stringify(outcome)}; expected nothing or ERR_CONVOY_STORAGE_PATH`,
          ).toBe(true)
        }
      }, timeout)
    })

    describe('url', () => {
      it('gives a URL ending in the path, each segment percent-encoded', () => {
        const storage = current()
        for (const path of SAMPLE_PATHS) {
          const url = storage.url(path)
          expect(typeof url).toBe('string')
          const segments = path.split('/')
          const tail = url.split('/').slice(-segments.length)
          for (const segment of tail) {
            expect(segment, `${url}: segment ${segment} is percent-encoded`).toMatch(URL_SEGMENT)
          }
          expect(tail.map((segment) => decodeURIComponent(segment)), `url(${JSON.stringify(path)}) = ${url}`).toEqual(segments)
        }
      }, timeout)

      it('gives different paths different URLs under one base', () => {
        const storage = current()
        const urls = SAMPLE_PATHS.map((path) => storage.url(path))
        expect(new Set(urls).size).toBe(urls.length)
        const base = storage.url('a.txt').slice(0, -'a.txt'.length)
        for (const url of urls) expect(url.startsWith(base), `${url} starts with ${base}`).toBe(true)
      }, timeout)
    })

    describe('unsafe paths', () => {
      for (const [path, rule] of UNSAFE_PATHS) {
        it(`rejects ${JSON.stringify(path)} (${rule}) with ERR_CONVOY_STORAGE_PATH`, async () => {
          const storage = current()
          for (const [operation, call] of PATH_OPERATIONS) {
            const outcome = describeOutcome(await settle(() => call(storage, path)))
            expect(outcome, `${operation}(${JSON.stringify(path)})`).toBe('ERR_CONVOY_STORAGE_PATH')
          }
        }, timeout)
      }

      it('writes nothing for a rejected path', async () => {
        const storage = current()
        for (const [path] of UNSAFE_PATHS) await settle(() => storage.write(path, 'x'))
        expect(await listPaths(storage)).toEqual([])
      }, timeout)
    })

    group('concurrency', 'concurrency', () => {
      it('concurrent writes of different contents to one path end with exactly one of them, whole', async () => {
        const storage = current()
        const size = 256 * 1024
        const values = [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48]
        await Promise.all(values.map((value) => storage.write('race.bin', chunkedStream(filled(size, value), 16 * 1024))))
        const result = await storage.read('race.bin')
        expect(result).toBeInstanceOf(Uint8Array)
        const winner = result![0]!
        expect(values).toContain(winner)
        expectBytes(result, filled(size, winner), `one whole content (0x${winner.toString(16)})`)
        expect(await listAll(storage)).toMatchObject([{ path: 'race.bin', size }])
      }, timeout)

      it('50 concurrent writes to different paths all land', async () => {
        const storage = current()
        const paths = Array.from({ length: 50 }, (_, index) => `many/${index % 5}/file-${index}.txt`)
        await Promise.all(
          paths.map((path, index) => storage.write(path, index % 2 === 0 ? `body ${path}` : chunkedStream(Buffer.from(`body ${path}`), 3))),
        )
        expect(await listPaths(storage)).toEqual([...paths].sort())
        for (const path of paths) expectBytes(await storage.read(path), `body ${path}`, path)
      }, timeout)
    })

    group('large objects', 'largeObjects', () => {
      it('streams a 6 MB object in and out', async () => {
        const storage = current()
        const body = patterned(6 * 1024 * 1024, 42)
        await storage.write('big/video.bin', chunkedStream(body))
        expect((await storage.stat('big/video.bin'))?.size).toBe(body.byteLength)
        expectBytes(await collect((await storage.readStream('big/video.bin'))!), body, 'readStream')
        expectBytes(await storage.read('big/video.bin'), body, 'read')
      }, timeout)
    })

    describe('atomic writes (when capabilities.atomicWrites)', () => {
      it('a reader polling during repeated overwrites never sees a partial object', async (context) => {
        const storage = current()
        if (!storage.capabilities.atomicWrites) return context.skip('the storage does not declare atomicWrites')
        const size = 256 * 1024
        const versions = [filled(size, 0x61), filled(size, 0x62)] as const
        await storage.write('hot.bin', versions[0])
        let writing = true
        const writer = (async () => {
          try {
            for (let round = 1; round <= 16; round++) {
              await storage.write('hot.bin', chunkedStream(versions[round % 2]!, 16 * 1024))
            }
          } finally {
            writing = false
          }
        })()
        const wrong: string[] = []
        let reads = 0
        // Bounded: the writer ends after 16 rounds; the cap only guards against a writer that hangs.
        while (writing && reads < 5000) {
          const read = await storage.read('hot.bin')
          reads++
          if (read === null) wrong.push('null')
          else if (!versions.some((version) => Buffer.from(read).equals(version))) {
            wrong.push(`${read.byteLength} bytes starting ${Buffer.from(read.subarray(0, 4)).toString('hex')}`)
          }
          await nextTurn()
        }
        await writer
        expect(reads).toBeGreaterThan(0)
        expect(wrong, 'reads that saw a partial or missing object').toEqual([])
      }, timeout)

      it('a write in progress is invisible: readers see the old object (or none) until it ends', async (context) => {
        const storage = current()
        if (!storage.capabilities.atomicWrites) return context.skip('the storage does not declare atomicWrites')
        await storage.write('page.txt', 'old content')
        const replacing = new PassThrough()
        const creating = new PassThrough()
        try {
          replacing.write(filled(64 * 1024, 0x6e))
          creating.write(filled(64 * 1024, 0x6e))
          const writes = Promise.all([storage.write('page.txt', replacing), storage.write('new.txt', creating)])
          writes.catch(() => undefined) // awaited below; this only keeps a failed assertion from leaving it unhandled
          await drained(replacing)
          await drained(creating)
          expectBytes(await storage.read('page.txt'), 'old content', 'page.txt during its overwrite')
          expect(await storage.stat('page.txt')).toMatchObject({ size: 11 })
          expect(await storage.read('new.txt'), 'new.txt while being written').toBeNull()
          expect(await storage.exists('new.txt')).toBe(false)
          expect(await listPaths(storage)).toEqual(['page.txt'])
          replacing.end(filled(1024, 0x6e))
          creating.end(filled(1024, 0x6e))
          await writes
        } finally {
          replacing.end()
          creating.end()
        }
        expectBytes(await storage.read('page.txt'), filled(65 * 1024, 0x6e), 'page.txt after')
        expectBytes(await storage.read('new.txt'), filled(65 * 1024, 0x6e), 'new.txt after')
      }, timeout)

      it('a write whose body stream fails keeps the old object', async (context) => {
        const storage = current()
        if (!storage.capabilities.atomicWrites) return context.skip('the storage does not declare atomicWrites')
        await storage.write('keep.txt', 'old content')
        const failure = new Error('the body broke midway')
        await expect(storage.write('keep.txt', failingStream(filled(64 * 1024, 1), failure))).rejects.toThrow()
        await expect(storage.write('never.txt', failingStream(filled(64 * 1024, 1), failure))).rejects.toThrow()
        expectBytes(await storage.read('keep.txt'), 'old content', 'keep.txt')
        expect(await listAll(storage)).toMatchObject([{ path: 'keep.txt', size: 11 }])
      }, timeout)
    })
    registerLockTests(current, timeout)
    registerConditionalWriteTests(current, timeout)
  })
}

function checkSkips(skip: Readonly<Record<string, string | undefined>>): Partial<Record<StorageTestGroup, string>> {
  const known: readonly string[] = STORAGE_TEST_GROUPS
  for (const [group, reason] of Object.entries(skip)) {
    if (!known.includes(group)) {
      throw new ConvoyError(
        'ERR_CONVOY_CONFIG',
        `@convoy/storage-test-suite: cannot skip unknown test group "${group}" (groups: ${STORAGE_TEST_GROUPS.join(', ')})`,
      )
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-test-suite: skipping "${group}" needs a reason, e.g. { ${group}: 'backend does not support it' }`)
    }
  }
  return skip
}

async function listOutcome(storage: Storage, prefix: string): Promise<string[] | string> {
  try {
    return await listPaths(storage, prefix)
  } catch (error) {
    return describeOutcome({ error })
  }
}

type Settled = { readonly value: unknown } | { readonly error: unknown }

/** Runs `call`, catching a rejection or a synchronous throw alike. */
async function settle(call: () => Promise<unknown>): Promise<Settled> {
  try {
    return { value: await call() }
  } catch (error) {
    return { error }
  }
}

/** The error code, or a short account of what happened instead, for a readable failure message. */
function describeOutcome(settled: Settled): string {
  if (!('error' in settled)) return `resolved with ${String(settled.value)} instead of rejecting`
  const { error } = settled
  if (isConvoyError(error)) return error.code
  return `rejected with a non-Convoy error: ${error instanceof Error ? error.message : String(error)}`
}

function expectValidTime(entry: StorageEntry): void {
  if (entry.lastModified === undefined) return
  expect(entry.lastModified, `lastModified of ${entry.path}`).toBeInstanceOf(Date)
  expect(Number.isNaN(entry.lastModified.getTime()), `lastModified of ${entry.path} is a valid time`).toBe(false)
}

