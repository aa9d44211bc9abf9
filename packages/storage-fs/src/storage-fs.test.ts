import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { setTimeout } from 'node:timers/promises'
import type { Storage } from '@convoy/storage'
import { rejection } from './test/rejection.js'
import { runStorageTestSuite } from '@convoy/storage-test-suite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFsStorage } from './index.js'
import { thisHostId } from './owners.js'

// The root does not exist yet: the suite also proves it is created on the first write.
runStorageTestSuite('storage-fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'convoy-fs-'))
  return { storage: createFsStorage({ root: join(dir, 'root') }), cleanup: () => rm(dir, { recursive: true, force: true }) }
})

let dir: string
let root: string

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'convoy-fs-only-')))
  root = join(dir, 'root')
  await mkdir(root)
})

afterEach(async () => {
  await chmod(root, 0o755).catch(() => undefined)
  await rm(dir, { recursive: true, force: true })
})


async function tempFiles(folder: string): Promise<string[]> {
  return (await readdir(folder, { recursive: true })).filter((name) => basename(name).startsWith('.convoy-tmp-'))
}

/** The paths `list()` gives, checked against `listPaths()` (which skips the stats). */
async function paths(storage: Storage, prefix?: string): Promise<string[]> {
  const found: string[] = []
  for await (const entry of storage.list(prefix)) found.push(entry.path)
  const names: string[] = []
  for await (const path of storage.listPaths!(prefix)) names.push(path)
  expect(names.sort(), 'listPaths() and list() name the same objects').toEqual(found.sort())
  return found
}

describe('createFsStorage', () => {
  it('resolves a relative root against the working directory and names itself after it', () => {
    const storage = createFsStorage({ root: 'public/static' })
    expect(storage.name).toBe(`fs:${resolve('public/static')}`)
    expect(storage.capabilities).toEqual({ atomicWrites: true, localDirectory: resolve('public/static') })
  })

  it('creates the root on the first write, not before', async () => {
    const later = join(dir, 'not', 'yet')
    const storage = createFsStorage({ root: later })
    expect(await storage.read('a.txt')).toBeNull()
    expect(await storage.exists('a.txt')).toBe(false)
    expect(await paths(storage)).toEqual([])
    await storage.delete('a.txt')
    await expect(stat(later)).rejects.toMatchObject({ code: 'ENOENT' })
    await storage.write('css/a.css', 'a{}')
    expect(await readFile(join(later, 'css', 'a.css'), 'utf8')).toBe('a{}')
  })

  it('refuses a missing root', () => {
    expect(() => createFsStorage({ root: '' })).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_CONFIG' }))
  })

  it('url() puts the base URL before the path, each segment percent-encoded', () => {
    const storage = createFsStorage({ root })
    expect(storage.url('css/base.25b23dfca187.css')).toBe('/static/css/base.25b23dfca187.css')
    expect(storage.url('css/a b#c?.css')).toBe('/static/css/a%20b%23c%3F.css')
    expect(storage.url('ünï/100%.js')).toBe('/static/%C3%BCn%C3%AF/100%25.js')
    expect(createFsStorage({ root, baseUrl: 'https://cdn.example.com/assets' }).url('a.css')).toBe('https://cdn.example.com/assets/a.css')
    expect(createFsStorage({ root, baseUrl: '/' }).url('a.css')).toBe('/a.css')
    expect(() => storage.url('../a.css')).toThrow(expect.objectContaining({ code: 'ERR_CONVOY_STORAGE_PATH' }))
  })
})

describe('unsafe paths', () => {
  it('names the path and the rule it breaks', async () => {
    const storage = createFsStorage({ root })
    const cases: [string, string][] = [
      ['a/../x', 'it has a ".." segment'],
      ['/etc/passwd', 'it is absolute (starts with "/")'],
      ['a\\b', 'it contains a backslash (folders are separated by "/")'],
      ['C:/x', 'it starts with a Windows drive letter'],
      ['c:\\x', 'it contains a backslash (folders are separated by "/")'],
      ['d:x', 'it starts with a Windows drive letter'],
      ['a//b', 'it has an empty segment ("//" or a trailing "/")'],
      ['a\0b', 'it contains a NUL byte'],
      ['', 'it is empty'],
      ['css/.convoy-tmp-x', 'names starting with ".convoy-tmp-" are reserved for temporary files'],
      ['.convoy-lock', 'the name ".convoy-lock" is reserved for the storage lock'],
      ['css/.convoy-lock', 'the name ".convoy-lock" is reserved for the storage lock'],
      ['.convoy-lock/x.css', 'the name ".convoy-lock" is reserved for the storage lock'],
    ]
    for (const [path, rule] of cases) {
      const error = await rejection(storage.write(path, 'x'))
      expect(error.code).toBe('ERR_CONVOY_STORAGE_PATH')
      expect(error.message).toBe(`@convoy/storage-fs: unsafe path ${JSON.stringify(path)}: ${rule}`)
    }
    expect(await readdir(root)).toEqual([])
  })

  it('list() refuses a prefix that climbs out, and takes one that ends mid-name', async () => {
    const storage = createFsStorage({ root })
    await storage.write('css/base.css', 'x')
    for (const prefix of ['../', 'css/../../', '/etc/', 'C:/', 'a\\']) {
      await expect(paths(storage, prefix)).rejects.toMatchObject({ code: 'ERR_CONVOY_STORAGE_PATH' })
    }
    expect(await paths(storage, 'css/ba')).toEqual(['css/base.css'])
    expect(await paths(storage, '..')).toEqual([])
  })
})

describe('symbolic links', () => {
  it('refuses every operation through a symlinked folder that leads out of the root', async () => {
    const outside = join(dir, 'outside')
    await mkdir(outside)
    await writeFile(join(outside, 'secret.txt'), 'secret')
    await symlink(outside, join(root, 'link'))
    const storage = createFsStorage({ root })
    const attempts: [string, () => Promise<unknown>][] = [
      ['read', () => storage.read('link/secret.txt')],
      ['readStream', () => storage.readStream('link/secret.txt')],
      ['stat', () => storage.stat('link/secret.txt')],
      ['exists', () => storage.exists('link/secret.txt')],
      ['exists (missing)', () => storage.exists('link/nothing.txt')],
      ['delete', () => storage.delete('link/secret.txt')],
      ['write', () => storage.write('link/secret.txt', 'overwritten')],
      ['write (new folder)', () => storage.write('link/deeper/new.txt', 'new')],
    ]
    for (const [operation, attempt] of attempts) {
      const error = await rejection(attempt())
      expect(error.code, operation).toBe('ERR_CONVOY_STORAGE_PATH')
      expect(error.message, operation).toMatch(/leads out of the storage root through a symbolic link/)
    }
    expect(await readdir(outside)).toEqual(['secret.txt'])
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret')
    expect(await paths(storage)).toEqual([])
  })

  it('does not read a symlinked file outside the root, and a write replaces the link, not the file', async () => {
    await writeFile(join(dir, 'secret.txt'), 'secret')
    await symlink(join(dir, 'secret.txt'), join(root, 'passwd'))
    const storage = createFsStorage({ root })
    expect((await rejection(storage.read('passwd'))).code).toBe('ERR_CONVOY_STORAGE_PATH')
    expect((await rejection(storage.stat('passwd'))).code).toBe('ERR_CONVOY_STORAGE_PATH')
    expect(await paths(storage)).toEqual([])
    await storage.write('passwd', 'mine')
    expect(await readFile(join(dir, 'secret.txt'), 'utf8')).toBe('secret')
    expect((await lstat(join(root, 'passwd'))).isSymbolicLink()).toBe(false)
    expect(Buffer.from((await storage.read('passwd'))!).toString()).toBe('mine')
  })

  it('keeps a sibling folder that shares the root name as a prefix (root-old) out of reach', async () => {
    const sibling = join(dir, 'root-old')
    await mkdir(sibling)
    await writeFile(join(sibling, 'old.txt'), 'old')
    await symlink('../root-old', join(root, 'old'))
    const storage = createFsStorage({ root })
    expect((await rejection(storage.read('old/old.txt'))).code).toBe('ERR_CONVOY_STORAGE_PATH')
    expect((await rejection(storage.write('old/new.txt', 'x'))).code).toBe('ERR_CONVOY_STORAGE_PATH')
    expect((await rejection(storage.delete('old/old.txt'))).code).toBe('ERR_CONVOY_STORAGE_PATH')
    expect(await readdir(sibling)).toEqual(['old.txt'])
  })

  it('follows links that stay inside the root, but list() does not walk symlinked folders', async () => {
    const storage = createFsStorage({ root })
    await storage.write('real/a.txt', 'a')
    await symlink(join(root, 'real'), join(root, 'alias'))
    await symlink('real/a.txt', join(root, 'b.txt'))
    expect(Buffer.from((await storage.read('alias/a.txt'))!).toString()).toBe('a')
    expect(Buffer.from((await storage.read('b.txt'))!).toString()).toBe('a')
    expect(await paths(storage)).toEqual(['b.txt', 'real/a.txt'])
  })

  it('works with a root that is itself a symlink', async () => {
    await mkdir(join(dir, 'actual'))
    await symlink(join(dir, 'actual'), join(dir, 'linked-root'))
    const storage = createFsStorage({ root: join(dir, 'linked-root') })
    await storage.write('css/a.css', 'a{}')
    expect(await readFile(join(dir, 'actual', 'css', 'a.css'), 'utf8')).toBe('a{}')
    expect(await paths(storage)).toEqual(['css/a.css'])
    await storage.delete('css/a.css')
    expect(await storage.exists('css/a.css')).toBe(false)
  })
})

describe('atomic writes', () => {
  it('a body stream that fails midway leaves no temp file and keeps the old content', async () => {
    const storage = createFsStorage({ root })
    await storage.write('css/a.css', 'old content')
    const boom = new Error('boom')
    const failing = () =>
      Readable.from(
        (async function* () {
          yield Buffer.alloc(256 * 1024, 1)
          await setTimeout(5)
          throw boom
        })(),
      )
    for (const path of ['css/a.css', 'css/new.css']) {
      const error = await rejection(storage.write(path, failing()))
      expect(error.code).toBe('ERR_CONVOY_STORAGE')
      expect(error.message).toBe(`@convoy/storage-fs: cannot write ${path} in ${root}: the body stream failed: boom`)
      expect(error.cause).toBe(boom)
    }
    expect(await readdir(join(root, 'css'))).toEqual(['a.css'])
    expect(await readFile(join(root, 'css', 'a.css'), 'utf8')).toBe('old content')
  })

  it('streams the body into the temp file as it arrives, then renames it', async () => {
    const storage = createFsStorage({ root })
    const body = new PassThrough()
    body.write(Buffer.alloc(1024 * 1024, 7))
    const writing = storage.write('big.bin', body)
    let temp: string | undefined
    for (let tries = 0; tries < 200 && temp === undefined; tries++) {
      const [name] = await tempFiles(root)
      if (name !== undefined && (await stat(join(root, name))).size === 1024 * 1024) temp = name
      else await setTimeout(10)
    }
    // Named after the writer (pid and host id), so that removeLeftovers() can tell whether it still runs.
    expect(temp, 'the first megabyte is on disk before the stream ends').toMatch(new RegExp(`^\\.convoy-tmp-${process.pid}-${thisHostId()}-[0-9a-f]{16}$`))
    expect(await storage.exists('big.bin')).toBe(false)
    body.end(Buffer.alloc(1024, 7))
    await writing
    expect(await tempFiles(root)).toEqual([])
    expect((await stat(join(root, 'big.bin'))).size).toBe(1024 * 1024 + 1024)
  })

  it('never lists temp files, not even stale ones a crash left behind', async () => {
    const storage = createFsStorage({ root })
    await storage.write('css/a.css', 'a')
    await writeFile(join(root, 'css', '.convoy-tmp-0123456789abcdef'), 'half')
    await writeFile(join(root, '.convoy-tmp-fedcba9876543210'), 'half')
    expect(await paths(storage)).toEqual(['css/a.css'])
    expect(await paths(storage, 'css/.convoy')).toEqual([])
  })
})

describe('disk errors', () => {
  it('a file where a folder should be: ERR_CONVOY_STORAGE naming the path, the root and the cause', async () => {
    const storage = createFsStorage({ root })
    await storage.write('a.txt', 'a')
    const error = await rejection(storage.write('a.txt/b.txt', 'b'))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toMatch(new RegExp(`^@convoy/storage-fs: cannot write a\\.txt/b\\.txt in ${escape(root)}: (ENOTDIR|EEXIST)`))
    expect(error.cause).toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) })
    expect(error.file).toBe('a.txt/b.txt')
    expect(await readdir(root)).toEqual(['a.txt'])
  })

  it('writing over a folder fails with ERR_CONVOY_STORAGE and leaves no temp file', async () => {
    const storage = createFsStorage({ root })
    await storage.write('dir/x.txt', 'x')
    const error = await rejection(storage.write('dir', 'not a folder'))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toMatch(/^@convoy\/storage-fs: cannot write dir in .*: (EISDIR|ENOTEMPTY|EEXIST)/)
    expect(await tempFiles(root)).toEqual([])
    expect(await readFile(join(root, 'dir', 'x.txt'), 'utf8')).toBe('x')
  })

  it('a symlink loop is a read error, not a missing object', async () => {
    await symlink('loop', join(root, 'loop'))
    const storage = createFsStorage({ root })
    const error = await rejection(storage.read('loop'))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toMatch(/^@convoy\/storage-fs: cannot read loop in .*: ELOOP/)
  })

  it('a permission error becomes ERR_CONVOY_STORAGE', async (context) => {
    await chmod(root, 0o555)
    const probe = await writeFile(join(root, 'probe'), 'x').then(
      () => true,
      () => false,
    )
    if (probe) return context.skip('chmod does not stop this user (root) from writing')
    const error = await rejection(createFsStorage({ root }).write('css/a.css', 'a'))
    expect(error.code).toBe('ERR_CONVOY_STORAGE')
    expect(error.message).toMatch(/^@convoy\/storage-fs: cannot write css\/a\.css in .*: EACCES/)
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
