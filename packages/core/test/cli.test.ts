import { createHash } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Manifest } from '@convoy/manifest'
import { readTree, removeTemporaryDirectories, runConvoy, sha256, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

const HIDE_PACKAGES = fileURLToPath(new URL('./fixtures/hide-packages.mjs', import.meta.url))

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex')

/** The hash inside a fingerprinted name: `a/b.<hash>.ext`, `a/b.<hash>.cmin.ext`, `Makefile.<hash>`. */
function hashInName(name: string): string {
  const match = /\.([0-9a-f]{12})(?:\.cmin)?(?:\.[^./]+)?$/.exec(name)
  if (match === null) throw new Error(`no fingerprint in ${name}`)
  return match[1]!
}

describe('convoy collect on a large, awkward tree', () => {
  let workdir: string
  const expected = new Map<string, Buffer>()

  beforeAll(async () => {
    workdir = await temporaryDirectory()
    const a: Record<string, string | Uint8Array> = {}
    const b: Record<string, string | Uint8Array> = {}
    for (let i = 0; i < 900; i++) {
      const folder = ['', 'nested/', 'nested/deeper/', 'nested/deeper/still deeper/', 'ünïcödé/'][i % 5]!
      const name = ['file', 'with space', 'naïve-名前', 'dots.in.name'][i % 4]!
      a[`${folder}${name}-${i}.txt`] = `text file number ${i}\n`.repeat(1 + (i % 7))
    }
    for (let i = 0; i < 60; i++) a[`img/pic-${i}.png`] = Buffer.from(Array.from({ length: 200 + i }, (_, j) => (i * 31 + j * 7) % 256))
    for (let i = 0; i < 20; i++) a[`empty/empty-${i}.txt`] = ''
    a['Makefile'] = 'all:\n\techo hi\n'
    a['LICENSE'] = 'MIT\n'
    a['nested/no-extension'] = 'plain'
    a['shadowed.txt'] = 'from a'
    b['shadowed.txt'] = 'from b'
    for (let i = 0; i < 30; i++) b[`only-b/file-${i}.txt`] = `b${i}`
    // 50 MB, streamed rather than read whole: deterministic pseudo-random bytes.
    const big = Buffer.alloc(50 * 1024 * 1024)
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i)
    a['media/big.bin'] = big
    await writeTree(join(workdir, 'a'), a)
    await writeTree(join(workdir, 'b'), b)
    for (const [path, contents] of Object.entries(b)) expected.set(path, Buffer.from(contents))
    for (const [path, contents] of Object.entries(a)) expected.set(path, Buffer.from(contents))
  }, 60_000)

  it('writes originals, fingerprinted copies and the manifest; a second run changes no byte', async () => {
    const first = await runConvoy(['collect', '--source', 'a', '--source', 'b', '--out', 'out', '--json'], { cwd: workdir })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout) as { files: number; warnings: { message: string }[] }
    expect(report.files).toBe(expected.size)
    expect(report.warnings.map((w) => w.message)).toEqual([`shadowed.txt is in 2 sources and the first one listed wins: ${join(workdir, 'a/shadowed.txt')} is collected, ${join(workdir, 'b/shadowed.txt')} is ignored`])

    const out = join(workdir, 'out')
    const manifest = JSON.parse(await readFile(join(out, 'convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.files).sort()).toEqual([...expected.keys()].sort())
    for (const [logicalPath, contents] of expected) {
      const entry = manifest.files[logicalPath]!
      expect(sha256(await readFile(join(out, logicalPath))), logicalPath).toBe(sha256(contents))
      const fingerprinted = await readFile(join(out, entry.fingerprinted))
      expect(hashInName(entry.fingerprinted)).toBe(md5(fingerprinted).slice(0, 12))
      const served = await readFile(join(out, entry.served))
      expect(hashInName(entry.served)).toBe(md5(served).slice(0, 12))
      expect(entry.integrity).toBe(`sha384-${createHash('sha384').update(served).digest('base64')}`)
    }
    expect(manifest.files['Makefile']!.fingerprinted).toMatch(/^Makefile\.[0-9a-f]{12}$/)
    expect(manifest.files['shadowed.txt']!.sourceHash).toBe(md5(Buffer.from('from a')))

    const snapshot = await readTree(out)
    const second = await runConvoy(['collect', '--source', 'a', '--source', 'b', '--out', 'out', '--json'], { cwd: workdir })
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({ written: 0, manifest: { written: false } })
    expect(await readTree(out)).toEqual(snapshot)

    const fresh = await runConvoy(['collect', '--source', 'a', '--source', 'b', '--out', 'out2', '--quiet'], { cwd: workdir })
    expect(fresh.code).toBe(0)
    expect(await readTree(join(workdir, 'out2'))).toEqual(snapshot)
  }, 120_000)
})

describe('convoy collect output modes', () => {
  it('prints a summary table, nothing with --quiet, and writes nothing with --dry-run', async () => {
    const dir = await temporaryDirectory()
    await writeTree(join(dir, 'static'), { 'css/a.css': 'body{color:red}', 'img/x.png': 'png', 'notes.txt': 'hello' })
    const dry = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--dry-run'], { cwd: dir })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/dry run: nothing written/)
    expect(dry.stdout).toMatch(/total\s+3\b/)
    await expect(readFile(join(dir, 'out', 'convoy-manifest.json'))).rejects.toThrow(/ENOENT/)

    const run = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^convoy collect → fs:/)
    expect(run.stdout).toMatch(/kind\s+files\s+original\s+served\s+gzip\s+brotli/)
    expect(run.stdout).toMatch(/manifest convoy-manifest\.json/)

    const quiet = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--quiet'], { cwd: dir })
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' })
  })

  it('takes sources, out and baseUrl from the config file, relative to it', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      'site/convoy.config.mjs': "export default { sources: ['assets'], out: 'public', baseUrl: '/assets/' }",
      'site/assets/a.txt': 'a',
    })
    const run = await runConvoy(['collect', '--config', 'site/convoy.config.mjs', '--json'], { cwd: dir })
    expect(run.code).toBe(0)
    const manifest = JSON.parse(await readFile(join(dir, 'site/public/convoy-manifest.json'), 'utf8')) as Manifest
    expect(manifest.baseUrl).toBe('/assets/')
    expect(Object.keys(manifest.files)).toEqual(['a.txt'])
  })
})

describe('convoy collect on bad input', () => {
  it.each([
    [['collect', '--source', 'missing', '--out', 'out'], 2, /source directory .*missing does not exist/],
    [['collect', '--out', 'out'], 2, /no source directory: pass --source DIR/],
    [['collect', '--source', 'static'], 2, /no output: pass --out DIR/],
    [['collect', '--source', 'static', '--out', 'static/out'], 2, /output directory .*static\/out is inside the source directory/],
    [['collect', '--source', 'static', '--out', 'out', '--bogus'], 2, /unknown option --bogus for convoy collect \(see convoy collect --help\)/],
    [['collect', '--config', 'broken.mjs', '--out', 'out'], 2, /^convoy: config broken\.mjs:1:17: Unexpected end of input\n$/],
    [['collect', '--config', 'throws.mjs', '--out', 'out'], 2, /^convoy: config throws\.mjs: could not be loaded: no config today\n$/],
    [['collect', '--config', 'unknown.json'], 2, /config .*unknown\.json: unknown option "colour"/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
  ])('convoy %j exits %i with a clear message', async (args, code, message) => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'static/a.txt': 'a', 'broken.mjs': 'export default {', 'throws.mjs': "throw new Error('no config today')", 'unknown.json': '{"colour": "red"}' })
    const run = await runConvoy(args, { cwd: dir })
    expect(run.stderr).toMatch(message)
    expect(run.code).toBe(code)
  })

  it.each([
    ['convoy.config.mjs', 'export default {\n  sources: ["static"],\n  out: "out"\n  baseUrl: "/s/",\n}\n', 4, 3, "Unexpected identifier 'baseUrl'"],
    // Outside a "type": "module" package, a .js config is read by jiti (it may be written either way): babel's words.
    ['convoy.config.js', 'export default {\n  sources: ["static"],\n  out: "out"\n  baseUrl: "/s/",\n}\n', 4, 3, 'Unexpected token, expected ","'],
    ['convoy.config.ts', 'export default {\n  sources: ["static"] as string[],\n  out: "out"\n  baseUrl: "/s/",\n}\n', 4, 3, 'Unexpected token, expected ","'],
    ['convoy.config.json', '{\n  "sources": ["static"],\n  "out": "out"\n  "baseUrl": "/s/"\n}\n', 4, 3, "Expected ',' or '}' after property value"],
  ])('names a syntax error in %s by file, line and column (exit 2)', async (name, contents, line, column, cause) => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { [name]: contents, 'static/a.txt': 'a' })
    const run = await runConvoy(['collect'], { cwd: dir })
    expect(run.stderr).toBe(`convoy: config ${name}:${line}:${column}: ${cause}\n`)
    expect(run.code).toBe(2)
  })

  it.each([
    ['an ES module in a CommonJS package', '{ "type": "commonjs" }', "export default { sources: ['static'], out: 'out' }\n"],
    ['CommonJS in a CommonJS package', '{}', "module.exports = { sources: ['static'], out: 'out' }\n"],
    ['an ES module in an ES module package', '{ "type": "module" }', "export default { sources: ['static'], out: 'out' }\n"],
  ])('loads a .js config written as %s, without a warning', async (_, pkg, config) => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'package.json': pkg, 'convoy.config.js': config, 'static/a.txt': 'a' })
    const run = await runConvoy(['collect', '--quiet'], { cwd: dir })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(await readFile(join(dir, 'out/convoy-manifest.json'), 'utf8'))).toMatchObject({ files: { 'a.txt': {} } })
  })

  it.each([
    ['swc', '@swc/core', 'js', 'JS'],
    ['lightningcss', 'lightningcss', 'css', 'CSS'],
  ])('fails with ERR_CONVOY_CONFIG (exit 2) before any work when minify engine %s is chosen and %s is not installed', async (engine, packageName, kind, label) => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      'convoy.config.json': JSON.stringify({ sources: ['static'], out: 'out', minify: { [kind]: engine } }),
      'static/app.js': 'export const answer = 40 + 2\n',
      'static/app.css': 'a { color: red }\n',
    })
    // The package is there on this machine: the hook makes it impossible to resolve, as on a machine without it.
    const hidden = { NODE_OPTIONS: `--import=${HIDE_PACKAGES}`, CONVOY_HIDE_PACKAGES: packageName }
    const run = await runConvoy(['collect'], { cwd: dir, env: hidden })
    expect(run.stderr).toBe(`convoy: @convoy/minify: the '${engine}' ${label} engine needs ${packageName}: npm install -D ${packageName}\n`)
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    // Nothing was written: not even the output directory.
    await expect(readdir(join(dir, 'out'))).rejects.toThrow(/ENOENT/)
    // The same tree and config collect fine where the engine is installed.
    expect((await runConvoy(['collect', '--quiet'], { cwd: dir })).code).toBe(0)
  })

  it('exits 1 naming an unreadable file, and publishes nothing', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'static/ok.txt': 'ok', 'static/secret.txt': 'no' })
    await chmod(join(dir, 'static/secret.txt'), 0o000)
    // Root reads anything: run the CLI as an unprivileged user so the permission bits apply.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    await chmod(dir, 0o777)
    await mkdir(join(dir, 'out'), { mode: 0o777 })
    await chmod(join(dir, 'out'), 0o777)
    const run = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir, ...asUser })
    expect(run.stderr).toMatch(/cannot read .*static\/secret\.txt: EACCES/)
    expect(run.stderr).toMatch(/nothing was published/)
    expect(run.code).toBe(1)
    await expect(readFile(join(dir, 'out', 'convoy-manifest.json'))).rejects.toThrow(/ENOENT/)
  })

  it('keeps the previous manifest when a later run fails', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, { 'static/a.txt': 'v1' })
    expect((await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })).code).toBe(0)
    const before = await readFile(join(dir, 'out', 'convoy-manifest.json'))
    await writeFile(join(dir, 'static/a.txt'), 'v2')
    await rm(join(dir, 'static'), { recursive: true })
    expect((await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd: dir })).code).toBe(2)
    expect(await readFile(join(dir, 'out', 'convoy-manifest.json'))).toEqual(before)
  })
})

describe('the quick start, as a newcomer types it', () => {
  it('npx convoy init, npx convoy collect, npx convoy ls', async () => {
    const dir = await temporaryDirectory()
    await writeTree(dir, {
      'package.json': '{ "name": "my-app", "type": "module", "devDependencies": { "typescript": "^5.9.0" } }',
      'static/css/site.css': 'body { background: url(../img/logo.svg) }\n',
      'static/img/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
      'static/js/app.js': 'console.log("hello")\n',
    })
    // As `npm install -D @convoy/core` leaves it: the written convoy.config.ts imports defineConfig from it.
    await mkdir(join(dir, 'node_modules/@convoy'), { recursive: true })
    await symlink(fileURLToPath(new URL('..', import.meta.url)), join(dir, 'node_modules/@convoy/core'), 'dir')

    const init = await runConvoy(['init'], { cwd: dir })
    expect(init).toMatchObject({ code: 0, stderr: '' })
    expect(init.stdout).toMatch(/^convoy init: wrote convoy\.config\.ts\n/)
    const collect = await runConvoy(['collect'], { cwd: dir })
    expect(collect).toMatchObject({ code: 0, stderr: '' })
    expect(collect.stdout).toMatch(/^convoy collect → fs:.*\/public\n/)
    const ls = await runConvoy(['ls'], { cwd: dir })
    expect(ls).toMatchObject({ code: 0, stderr: '' })
    expect(ls.stdout).toMatch(/^css\/site\.css +css\/site\.[0-9a-f]{12}\.cmin\.css /m)
    expect(ls.stdout).toMatch(/^total +3 files /m)
  })
})
