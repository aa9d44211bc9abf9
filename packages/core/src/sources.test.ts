import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { findSourceFiles } from './sources.js'

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'convoy-sources-'))
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

  it('follows symlinks but ends symlink loops', async () => {
    const root = await tree({ 'real/a.css': 'a' })
    await symlink(join(root, 'real'), join(root, 'linked'))
    await symlink(root, join(root, 'real', 'loop'))
    await symlink(join(root, 'nowhere'), join(root, 'dangling.css'))
    const { files } = await findSourceFiles({ sources: [root] })
    expect(files.map((file) => file.logicalPath)).toEqual(['linked/a.css', 'real/a.css'])
  })

  it('rejects a missing source and a file given as a source', async () => {
    const root = await tree({ 'a.css': 'a' })
    const missing = join(root, 'missing')
    await expect(findSourceFiles({ sources: [missing] })).rejects.toSatisfy((error) => isConvoyError(error) && error.code === 'ERR_CONVOY_SOURCE' && error.message.includes(`${missing} does not exist`))
    await expect(findSourceFiles({ sources: [join(root, 'a.css')] })).rejects.toThrow(/is not a directory/)
  })
})
