import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import { loadConfig } from './load-config.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'convoy-config-'))
  dirs.push(dir)
  return dir
}

async function dirWith(name: string, contents: string): Promise<string> {
  const dir = await emptyDir()
  await mkdir(join(dir, name, '..'), { recursive: true })
  await writeFile(join(dir, name), contents)
  return dir
}

async function loadError(options: Parameters<typeof loadConfig>[0]): Promise<ConvoyError> {
  const error: unknown = await loadConfig(options).catch((e: unknown) => e)
  if (!isConvoyError(error)) throw new Error(`expected a ConvoyError, got ${String(error)}`)
  return error
}

describe('loadConfig', () => {
  it('returns an empty config when there is no file', async () => {
    const dir = await emptyDir()
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
    ['convoy.config.json', '{ "sources": [', /config convoy\.config\.json:1:15: Unexpected end of JSON input$/],
    ['convoy.config.mjs', 'export default {', /could not be loaded/],
    ['convoy.config.json', '[1, 2]', /must export an object/],
    ['convoy.config.json', '{ "sourcez": ["x"] }', /unknown option "sourcez"/],
    ['convoy.config.json', '{ "sources": "static" }', /"sources" must be an array of directory paths/],
    ['convoy.config.json', '{ "minify": { "js": "uglify" } }', /"minify" must be/],
    ['convoy.config.json', '{ "compress": { "gzip": 12 } }', /"compress" must be/],
    ['convoy.config.json', '{ "hash": { "length": 0 } }', /"hash" must be/],
    ['convoy.config.json', '{ "storage": {} }', /"storage" must be a Storage/],
    ['convoy.config.json', '{ "baseUrl": "static/" }', /"baseUrl" must be a URL path from the site's root such as "\/static\/", or an absolute URL .*got "static\/"/],
    ['convoy.config.json', '{ "templates": "templates/**/*.njk" }', /"templates" must be an array of glob patterns \(Nunjucks templates\) or \{ files: \[globs\], scanner \} entries/],
    ['convoy.config.mjs', 'export default { templates: [{ files: ["t/*.liquid"], scanner: { name: "liquid" } }] }', /"templates" must be/],
  ])('rejects a bad %s (%s) naming the file', async (name, contents, message) => {
    const dir = await dirWith(name, contents)
    const error = await loadError({ cwd: dir })
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error.message).toMatch(message)
    expect(error.message).toMatch(new RegExp(`^@convoy/core: config ${name.replace('.', '\\.')}[:\\s]`))
    expect(error.file).toBe(join(dir, name))
  })

  it.each([
    // A missing comma: V8 reports only an offset (Node 20) or an offset and a position (Node 22).
    ['{\n  "sources": ["static"],\n  "out": "public"\n  "baseUrl": "/s/"\n}\n', 4, 3, /^Expected ',' or '}' after property value/],
    ['{ "sources": [01] }', 1, 16, /\S/],
    ['{ "out": "a\\qb" }', 1, 13, /\S/],
    ['{\n  "sources": ["static"],\n  "out": "public",\n}\n', 4, 1, /^Expected double-quoted property name|^Unexpected token/],
    ['{\n  "sources": ["static"],\n  "out": "pub', 3, 14, /^Unterminated string|^Unexpected end/],
    ["{\n  'sources': ['static']\n}", 2, 3, /^Expected (?:double-quoted )?property name|^Unexpected token/],
    ['{ "sources": ["static"] }\n}', 2, 1, /^Unexpected non-whitespace character after JSON/],
    ['{ "sources": ["static"],', 1, 25, /^Expected double-quoted property name|^Unexpected end of JSON input/],
    ['\uFEFF{\n  "out": "é🙂",\n  "x": ]\n}', 3, 8, /^Unexpected token/],
  ])('reports a JSON syntax error at its line and column (%#)', async (contents, line, column, cause) => {
    const dir = await dirWith('convoy.config.json', contents)
    const error = await loadError({ cwd: dir })
    expect(error.code).toBe('ERR_CONVOY_CONFIG')
    expect(error).toMatchObject({ file: join(dir, 'convoy.config.json'), line, column })
    expect(error.message).toMatch(new RegExp(`^@convoy/core: config convoy\\.config\\.json:${line}:${column}: `))
    expect(error.message.replace(/^.*?:\d+:\d+: /, '')).toMatch(cause)
    expect(error.message).not.toMatch(/position|in JSON at/)
  })

  // Under vitest, import() of an ES module goes through vite's parser instead of Node's; test/cli.test.ts checks .mjs and .js with the built CLI.
  it('reports a syntax error in a TypeScript config at its line and column', async () => {
    const broken = 'export default {\n  sources: ["static"],\n  out: "public"\n  baseUrl: "/s/",\n}\n'
    for (const name of ['convoy.config.ts', 'convoy.config.mts']) {
      const dir = await dirWith(name, broken)
      const error = await loadError({ cwd: dir })
      expect(error.code, name).toBe('ERR_CONVOY_CONFIG')
      expect(error, name).toMatchObject({ line: 4, column: 3 })
      expect(error.message, name).toMatch(new RegExp(`^@convoy/core: config ${name.replace(/\./g, '\\.')}:4:3: \\S`))
    }
  })

  it('names a config outside the working directory by its absolute path', async () => {
    const dir = await dirWith('elsewhere/convoy.config.json', '{ "colour": "red" }')
    const error = await loadError({ cwd: join(dir, 'app'), file: join(dir, 'elsewhere/convoy.config.json') })
    expect(error.message).toContain(`config ${join(dir, 'elsewhere/convoy.config.json')}: unknown option "colour"`)
  })

  it('accepts templates given as globs and as { files, scanner } entries', async () => {
    const dir = await dirWith('convoy.config.mjs', 'const scanner = { name: "mine", scan: () => [] }\nexport default { templates: ["t/*.njk", { files: ["t/*.mine"], scanner }] }')
    const { config } = await loadConfig({ cwd: dir })
    expect(config.templates).toEqual(['t/*.njk', { files: ['t/*.mine'], scanner: { name: 'mine', scan: expect.any(Function) } }])
  })

  it('rejects a --config file that does not exist', async () => {
    const dir = await emptyDir()
    await expect(loadConfig({ cwd: dir, file: 'nope.ts' })).rejects.toThrow(/config nope\.ts: file not found/)
  })
})
