import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { findSourceFiles } from './sources.js'

const roots: string[] = []
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })))
})

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'convoy-sources-'))
  roots.push(root)
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), contents)
  }
  return root
}

describe('findSourceFiles', () => {
  it('lists files by logical path, sorted, skipping dotfiles and editor leftovers', async () => {
    const root = await tree({
      'css/base.css': 'a',
      'js/app.js': 'b',
      'Makefile': 'c',
      'a b/ü.txt': 'd',
      '.env': 'secret',
      '.git/config': 'x',
      'css/.hidden/x.css': 'x',
      'css/base.css~': 'x',
      'js/.app.js.swp': 'x',
      'js/app.js.swp': 'x',
      '#notes#': 'x',
      'img/Thumbs.db': 'x',
    })
    const { files } = await findSourceFiles({ sources: [root] })
    expect(files.map((file) => file.logicalPath)).toEqual(['Makefile', 'a b/ü.txt', 'css/base.css', 'js/app.js'])
    expect(files[2]).toMatchObject({ absolutePath: join(root, 'css/base.css'), source: root, size: 1 })
  })

  it('applies extra ignore globs to logical paths', async () => {
    const root = await tree({ 'scss/a.scss': 'x', 'css/a.css': 'y', 'docs/readme.md': 'z' })
    const { files } = await findSourceFiles({ sources: [root], ignore: ['scss/**', '**/*.md'] })
    expect(files.map((file) => file.logicalPath)).toEqual(['css/a.css'])
  })

  it('lets the first source win and reports the shadowed file', async () => {
    const first = await tree({ 'css/a.css': 'first' })
    const second = await tree({ 'css/a.css': 'second', 'css/b.css': 'only here' })
    const { files, shadowed } = await findSourceFiles({ sources: [first, second] })
    expect(files.map((file) => [file.logicalPath, file.source])).toEqual([['css/a.css', first], ['css/b.css', second]])
    expect(shadowed).toEqual([{ logicalPath: 'css/a.css', used: join(first, 'css/a.css'), ignored: join(second, 'css/a.css') }])
  })

  it('follows links that stay inside a source; reports aliases, loops and dangling links', async () => {
    const root = await tree({ 'real/a.css': 'a', 'one.css': '1' })
    await symlink(join(root, 'real'), join(root, 'linked'))
    await symlink(root, join(root, 'real', 'loop'))
    await symlink(join(root, 'nowhere'), join(root, 'dangling.css'))
    await symlink(join(root, 'one.css'), join(root, 'same.css'))
    const { files, skipped } = await findSourceFiles({ sources: [root] })
    expect(files.map((file) => file.logicalPath)).toEqual(['one.css', 'real/a.css', 'same.css'])
    expect(skipped.map((entry) => [entry.reason, entry.path])).toEqual([
      ['symlink-dangling', join(root, 'dangling.css')],
      ['symlink-alias', join(root, 'linked')],
      ['symlink-loop', join(root, 'real', 'loop')],
    ])
    expect(skipped[1]!.detail).toContain(`already collected as ${join(root, 'real')}`)
  })

  it('never follows a link out of the sources unless followSymlinks is "outside"', async () => {
    const root = await tree({ 'css/a.css': 'a' })
    const outside = await tree({ 'shadow': 'root:*:19000:0:99999:7:::', 'passwd': 'x' })
    await symlink(outside, join(root, 'etc'))
    await symlink(join(outside, 'shadow'), join(root, 'shadow.txt'))
    const { files, skipped } = await findSourceFiles({ sources: [root] })
    expect(files.map((file) => file.logicalPath)).toEqual(['css/a.css'])
    expect(skipped.map((entry) => [entry.reason, entry.path, entry.detail])).toEqual([
      ['symlink-outside', join(root, 'etc'), expect.stringContaining(`-> ${await realpath(outside)} is outside every source directory`)],
      ['symlink-outside', join(root, 'shadow.txt'), expect.stringContaining(`-> ${await realpath(join(outside, 'shadow'))}`)],
    ])
    const opened = await findSourceFiles({ sources: [root], followSymlinks: 'outside' })
    expect(opened.files.map((file) => file.logicalPath)).toEqual(['css/a.css', 'etc/passwd', 'etc/shadow', 'shadow.txt'])
    expect(opened.skipped).toEqual([])
  })

  it('follows a link into another source, and never into an excluded directory', async () => {
    const first = await tree({ 'a.css': 'a' })
    const second = await tree({ 'vendor/lib.js': 'v' })
    const out = await tree({ 'x.css': 'x' })
    await symlink(join(second, 'vendor'), join(first, 'vendor'))
    await symlink(out, join(first, 'public'))
    const { files, skipped } = await findSourceFiles({ sources: [first, second], exclude: [await realpath(out)], followSymlinks: 'outside' })
    expect(files.map((file) => [file.logicalPath, file.source])).toEqual([['a.css', first], ['vendor/lib.js', first]])
    expect(skipped.map((entry) => entry.reason)).toEqual(['symlink-output'])
  })

  it('walks each real folder once: 27 links to ancestors and each other cost O(real files)', async () => {
    const files: Record<string, string> = {}
    for (const a of ['a', 'b', 'c']) for (const b of ['x', 'y', 'z']) files[`${a}/${b}/f.css`] = `${a}${b}`
    const root = await tree(files)
    const folders = Object.keys(files).map((path) => dirname(path))
    let made = 0
    for (const [index, folder] of folders.entries()) {
      await symlink(root, join(root, folder, 'up'))
      await symlink(join(root, folders[(index + 1) % folders.length]!), join(root, folder, 'next'))
      await symlink(join(root, dirname(folder)), join(root, folder, 'parent'))
      made += 3
    }
    expect(made).toBe(27)
    const { files: found, skipped } = await findSourceFiles({ sources: [root] })
    expect(found).toHaveLength(9)
    expect(skipped).toHaveLength(27)
    expect(new Set(skipped.map((entry) => entry.reason))).toEqual(new Set(['symlink-loop', 'symlink-alias']))
  })

  it('skips names with a backslash or control characters, and special files, with a reason', async () => {
    const root = await tree({ 'ok.css': 'a', 'back\\slash.css': 'b', 'bell\u0007.css': 'c', 'dir\\x/in.css': 'd' })
    const { files, skipped } = await findSourceFiles({ sources: [root] })
    expect(files.map((file) => file.logicalPath)).toEqual(['ok.css'])
    expect(skipped.map((entry) => entry.reason)).toEqual(['unsafe-name', 'unsafe-name', 'unsafe-name'])
  })

  it('rejects a missing source and a file given as a source', async () => {
    const root = await tree({ 'a.css': 'a' })
    const missing = join(root, 'missing')
    await expect(findSourceFiles({ sources: [missing] })).rejects.toSatisfy((error) => isConvoyError(error) && error.code === 'ERR_CONVOY_SOURCE' && error.message.includes(`${missing} does not exist`))
    await expect(findSourceFiles({ sources: [join(root, 'a.css')] })).rejects.toThrow(/is not a directory/)
  })
})
