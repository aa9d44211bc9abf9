import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { loadConfig } from './load-config.js'

async function dirWith(name: string, contents: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'convoy-config-'))
  await writeFile(join(dir, name), contents)
  return dir
}

describe('loadConfig', () => {
  it('returns an empty config when there is no file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'convoy-config-'))
    expect(await loadConfig({ cwd: dir })).toEqual({ config: {}, file: undefined, directory: dir })
  })

  it.each([
    ['convoy.config.json', '{ "sources": ["static"], "out": "public" }'],
    ['convoy.config.mjs', 'export default { sources: ["static"], out: "public" }'],
    ['convoy.config.js', 'export default { sources: ["static"], out: "public" }'],
    ['convoy.config.ts', 'const out: string = "public"\nexport default { sources: ["static"], out }'],
    ['convoy.config.mts', 'export default { sources: ["static"] as string[], out: "public" }'],
  ])('finds and loads %s', async (name, contents) => {
    const dir = await dirWith(name, contents)
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded).toEqual({ config: { sources: ['static'], out: 'public' }, file: join(dir, name), directory: dir })
  })

  it('loads an explicit --config path relative to the working directory', async () => {
    const dir = await dirWith('custom.json', '{ "baseUrl": "/assets/" }')
    expect((await loadConfig({ cwd: dir, file: 'custom.json' })).config).toEqual({ baseUrl: '/assets/' })
  })

  it.each([
    ['convoy.config.json', '{ "sources": [', /could not be loaded/],
    ['convoy.config.mjs', 'export default {', /could not be loaded/],
    ['convoy.config.json', '[1, 2]', /must export an object/],
    ['convoy.config.json', '{ "sourcez": ["x"] }', /unknown option "sourcez"/],
    ['convoy.config.json', '{ "sources": "static" }', /"sources" must be an array of directory paths/],
    ['convoy.config.json', '{ "minify": { "js": "uglify" } }', /"minify" must be/],
    ['convoy.config.json', '{ "compress": { "gzip": 12 } }', /"compress" must be/],
    ['convoy.config.json', '{ "hash": { "length": 0 } }', /"hash" must be/],
    ['convoy.config.json', '{ "storage": {} }', /"storage" must be a Storage/],
    ['convoy.config.json', '{ "templates": "templates/**/*.njk" }', /"templates" must be an array of glob patterns \(Nunjucks templates\) or \{ files: \[globs\], scanner \} entries/],
    ['convoy.config.mjs', 'export default { templates: [{ files: ["t/*.liquid"], scanner: { name: "liquid" } }] }', /"templates" must be/],
  ])('rejects a bad %s (%s) naming the file', async (name, contents, message) => {
    const dir = await dirWith(name, contents)
    const error: unknown = await loadConfig({ cwd: dir }).catch((e: unknown) => e)
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).toContain(join(dir, name))
  })

  it('accepts templates given as globs and as { files, scanner } entries', async () => {
    const dir = await dirWith('convoy.config.mjs', 'const scanner = { name: "mine", scan: () => [] }\nexport default { templates: ["t/*.njk", { files: ["t/*.mine"], scanner }] }')
    const { config } = await loadConfig({ cwd: dir })
    expect(config.templates).toEqual(['t/*.njk', { files: ['t/*.mine'], scanner: { name: 'mine', scan: expect.any(Function) } }])
  })

  it('rejects a --config file that does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'convoy-config-'))
    await expect(loadConfig({ cwd: dir, file: 'nope.ts' })).rejects.toThrow(/nope\.ts: file not found/)
  })
})
