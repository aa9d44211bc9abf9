// The CLI in-process through runCli(argv, io): help, flag checking, where the output is, dry runs, init.
// test/cli.test.ts runs the built `convoy` binary for what needs a real process.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { Manifest } from '@convoy/manifest'
import { loadConfig } from '../load-config.js'
import { runCli } from './main.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'convoy-cli-'))
  dirs.push(dir)
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), contents)
  }
  return dir
}

/** `convoy ...args` in `cwd`, in this process, with its output captured. */
async function convoy(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const sink = (append: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString())
        done()
      },
    })
  const code = await runCli(args, { cwd, stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)) })
  return { code, stdout, stderr }
}

/** `@convoy/core` installed in the project, as `npm install @convoy/core` would: the written .ts config imports it. */
async function installCore(dir: string): Promise<void> {
  await mkdir(join(dir, 'node_modules/@convoy'), { recursive: true })
  await symlink(fileURLToPath(new URL('../..', import.meta.url)), join(dir, 'node_modules/@convoy/core'), 'dir')
}

describe('convoy --help and convoy <command> --help', () => {
  it('lists the commands', async () => {
    const dir = await project()
    const run = await convoy(['--help'], dir)
    expect(run).toMatchObject({ code: 0, stderr: '' })
    for (const command of ['init', 'collect', 'ls', 'clean']) expect(run.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'))
    expect(run.stdout).toMatch(/convoy <command> --help/)
  })

  it.each([
    ['collect', ['--source DIR', '--out DIR', '--base-url URL', '--no-minify', '--dry-run', '--watch', '--lock-timeout S', '--json', '--quiet']],
    ['ls', ['PATTERN', '--config FILE', '--out DIR', '--json']],
    ['clean', ['--keep N', '--age SECONDS', '--dry-run', '--lock-timeout S', '--out DIR']],
    ['init', ['--source DIR', '--out DIR', '--base-url URL', '--format ts|mjs', '--force']],
  ])('convoy %s --help prints that command’s usage and options, exit 0', async (command, options) => {
    const dir = await project()
    for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const run = await convoy(args, dir)
      expect(run, args.join(' ')).toMatchObject({ code: 0, stderr: '' })
      expect(run.stdout).toMatch(new RegExp(`^Usage: convoy ${command}\\b`))
      for (const option of options) expect(run.stdout, option).toContain(option)
      // Only its own options: clean's --keep is not in collect's help.
      if (command !== 'clean') expect(run.stdout).not.toContain('--keep')
    }
  })

  it('shows help even when other flags are missing or wrong, and no command at all is a usage error on stderr', async () => {
    const dir = await project()
    expect(await convoy(['collect', '--help'], dir)).toMatchObject({ code: 0, stderr: '' })
    const wrong = await convoy(['clean', '--age', '-5', '--bogus', '--help'], dir)
    expect(wrong).toMatchObject({ code: 0, stderr: '' })
    expect(wrong.stdout).toMatch(/^Usage: convoy clean/)
    const bare = await convoy([], dir)
    expect(bare.code).toBe(2)
    expect(bare.stderr).toMatch(/^Usage: convoy <command>/)
  })
})

describe('bad flag values', () => {
  it.each([
    [['clean', '--age', '-5'], '--age takes a number of seconds, at least 0 (e.g. --age 3600); got "-5"'],
    [['clean', '--age=-5'], '--age takes a number of seconds, at least 0 (e.g. --age 3600); got "-5"'],
    [['clean', '--age', 'soon'], '--age takes a number of seconds, at least 0 (e.g. --age 3600); got "soon"'],
    [['clean', '--keep', '0'], '--keep takes a whole number of manifest versions, at least 1; got "0"'],
    [['clean', '--keep', '-1'], '--keep takes a whole number of manifest versions, at least 1; got "-1"'],
    [['clean', '--keep', '2.5'], '--keep takes a whole number of manifest versions, at least 1; got "2.5"'],
    [['clean', '--lock-timeout', '-3'], '--lock-timeout takes a number of seconds, at least 0 (e.g. --lock-timeout 60); got "-3"'],
    [['collect', '--lock-timeout', 'forever'], '--lock-timeout takes a number of seconds, at least 0 (e.g. --lock-timeout 60); got "forever"'],
    [['collect', '--base-url', 'static/'], '--base-url takes a URL path from the site\'s root, such as /static/, or an absolute URL, such as https://cdn.example.com/static/; got "static/"'],
    [['init', '--format', 'yaml'], '--format takes ts or mjs; got "yaml"'],
    [['init', '--base-url', 'cdn.example.com'], '--base-url takes a URL path'],
    [['collect', '--out'], '--out needs a directory (the output of convoy collect)'],
    [['collect', '--out', '--json'], '--out needs a directory (the output of convoy collect), got the flag "--json" (to pass a value starting with "-", write --out=--json)'],
    [['collect', '--source', ''], '--source needs a directory of static files, got an empty value'],
    [['collect', '--json=yes'], '--json takes no value, got "--json=yes"'],
    [['collect', '--outdir', 'public'], 'unknown option --outdir for convoy collect: did you mean --out?'],
    [['collect', '--dryrun'], 'unknown option --dryrun for convoy collect: did you mean --dry-run?'],
    [['collect', '-x'], 'unknown option -x for convoy collect'],
    [['ls', '--keep', '3'], 'unknown option --keep for convoy ls (it is an option of convoy clean)'],
    [['collect', 'static'], 'unexpected argument "static": convoy collect takes none (a source directory is given as --source static)'],
    [['ls', 'css/**', 'js/**'], 'unexpected arguments "css/**", "js/**": convoy ls takes at most one PATTERN'],
    [['frobnicate'], 'unknown command "frobnicate": the commands are init, collect, ls, clean'],
  ])('convoy %j: a message naming the flag, the value and what is expected, exit 2', async (args, message) => {
    const dir = await project({ 'static/a.txt': 'a' })
    const run = await convoy(args, dir)
    expect(run.stderr).toContain(`convoy: ${message}`)
    expect(run.stderr).not.toMatch(/ambiguous|ERR_PARSE_ARGS|Option '/)
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
  })

  it('checks flag values before loading the config or touching the output', async () => {
    const dir = await project({ 'convoy.config.json': '{ "broken": ' })
    const run = await convoy(['clean', '--age', '-5'], dir)
    expect(run.stderr).toMatch(/--age takes a number of seconds/)
    expect(run.code).toBe(2)
  })
})

describe('where the output is', () => {
  it('ls and clean after `collect --source static --out public` say exactly what to pass', async () => {
    const dir = await project({ 'static/css/a.css': 'a { color: red }' })
    expect((await convoy(['collect', '--source', 'static', '--out', 'public', '--quiet'], dir)).code).toBe(0)
    for (const command of ['ls', 'clean']) {
      const run = await convoy([command], dir)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`convoy ${command} --out public (public/convoy-manifest.json is there)`)
      expect(run.stderr).toMatch(/convoy init writes one/)
    }
    const listed = await convoy(['ls', '--out', 'public'], dir)
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/^css\/a\.css +css\/a\.[0-9a-f]{12}\.cmin\.css/m)
  })

  it('without any output to find, names the flag with an example', async () => {
    const dir = await project()
    const run = await convoy(['ls'], dir)
    expect(run.stderr).toBe('convoy: no output: pass --out DIR, the directory convoy collect wrote to (e.g. convoy ls --out public), or set "out" in a convoy.config (convoy init writes one)\n')
    expect(run.code).toBe(2)
    const collect = await convoy(['collect', '--source', 'static'], dir)
    expect(collect.stderr).toMatch(/^convoy: no output: pass --out DIR \(e\.g\. convoy collect --source static --out public\)/)
    expect(collect.code).toBe(2)
  })

  it('names the config file when it has neither "out" nor "storage"', async () => {
    const dir = await project({ 'convoy.config.json': '{ "sources": ["static"] }' })
    const run = await convoy(['ls'], dir)
    expect(run.stderr).toContain('or set "out" (or "storage") in convoy.config.json')
    expect(run.code).toBe(2)
  })

  it('ls and clean take the output from the config, like collect', async () => {
    const dir = await project({ 'convoy.config.json': '{ "sources": ["static"], "out": "public" }', 'static/a.txt': 'a' })
    expect((await convoy(['collect', '--quiet'], dir)).code).toBe(0)
    const listed = await convoy(['ls', '--json'], dir)
    expect(listed.code).toBe(0)
    expect((JSON.parse(listed.stdout) as { path: string }[]).map((asset) => asset.path)).toEqual(['a.txt'])
    expect((await convoy(['clean', '--dry-run'], dir)).stdout).toMatch(/would delete 0 objects/)
  })
})

describe('convoy collect --dry-run', () => {
  it('reports what it would write: the new and changed files and the manifest, and writes nothing', async () => {
    const dir = await project({ 'static/css/a.css': 'a { color: red }', 'static/keep.txt': 'same', 'static/gone.txt': 'bye' })
    const first = await convoy(['collect', '--source', 'static', '--out', 'public', '--dry-run'], dir)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/dry run: nothing written/)
    expect(first.stdout).toMatch(/manifest convoy-manifest\.json would be written \([0-9a-f]+\): 3 new, 0 changed, 0 removed/)
    expect(first.stdout).not.toMatch(/unchanged \(/)
    expect(first.stdout).toMatch(/^ {4}new {6}css\/a\.css$/m)
    await expect(readFile(join(dir, 'public/convoy-manifest.json'))).rejects.toThrow(/ENOENT/)

    expect((await convoy(['collect', '--source', 'static', '--out', 'public', '--quiet'], dir)).code).toBe(0)
    const published = await readFile(join(dir, 'public/convoy-manifest.json'))
    await writeFile(join(dir, 'static/css/a.css'), 'a { color: blue }')
    await writeFile(join(dir, 'static/new.txt'), 'new')
    await rm(join(dir, 'static/gone.txt'))
    const dry = await convoy(['collect', '--source', 'static', '--out', 'public', '--dry-run', '--json'], dir)
    const report = JSON.parse(dry.stdout) as { dryRun: boolean; written: number; manifest: { written: boolean }; changes: Record<string, string[]> }
    expect(report).toMatchObject({ dryRun: true, manifest: { written: true }, changes: { added: ['new.txt'], changed: ['css/a.css'], removed: ['gone.txt'] } })
    expect(report.written).toBeGreaterThan(1)
    const table = await convoy(['collect', '--source', 'static', '--out', 'public', '--dry-run'], dir)
    expect(table.stdout).toMatch(/would be written .*: 1 new, 1 changed, 1 removed/)
    expect(table.stdout).toMatch(/^ {4}new {6}new\.txt\n {4}changed {2}css\/a\.css\n {4}removed {2}gone\.txt$/m)
    expect(await readFile(join(dir, 'public/convoy-manifest.json'))).toEqual(published)

    // Nothing changed since the last real run: then, and only then, it says unchanged.
    await writeFile(join(dir, 'static/css/a.css'), 'a { color: red }')
    await writeFile(join(dir, 'static/gone.txt'), 'bye')
    await rm(join(dir, 'static/new.txt'))
    const same = await convoy(['collect', '--source', 'static', '--out', 'public', '--dry-run'], dir)
    expect(same.stdout).toMatch(/would write 0 objects/)
    expect(same.stdout).toMatch(/manifest convoy-manifest\.json unchanged/)
  })
})

describe('a logical path in two sources', () => {
  it('gives one warning naming both files and the one that wins (the first source)', async () => {
    const dir = await project({ 'static/app.css': 'a{}', 'vendor/app.css': 'b{}', 'extra/app.css': 'c{}', 'vendor/only.css': 'd{}' })
    const run = await convoy(['collect', '--source', 'static', '--source', 'vendor', '--source', 'extra', '--out', 'public'], dir)
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('convoy: warning: vendor/app.css: app.css is in 3 sources and the first one listed wins: static/app.css is collected, vendor/app.css and extra/app.css are ignored [sources]\n')
    const manifest = JSON.parse(await readFile(join(dir, 'public/convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.files).sort()).toEqual(['app.css', 'only.css'])
    expect(await readFile(join(dir, 'public/app.css'), 'utf8')).toBe('a{}')
  })

  it('a source listed twice is collected once, with one warning instead of one per file', async () => {
    const dir = await project({ 'static/a.css': 'a{}', 'static/b.css': 'b{}' })
    const run = await convoy(['collect', '--source', 'static', '--source', './static/', '--out', 'public'], dir)
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('convoy: warning: the source directory static is listed twice; it is collected once, in its first place [sources]\n')
  })
})

describe('convoy init', () => {
  it('writes a commented convoy.config.ts with the static folder it finds, which loads and collects', async () => {
    const dir = await project({ 'tsconfig.json': '{}', 'assets/css/site.css': 'body { color: red }', 'static/.gitkeep': '' })
    await installCore(dir)
    const run = await convoy(['init'], dir)
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(/^convoy init: wrote convoy\.config\.ts\n {2}sources {2}assets \(found\)\n {2}out {6}public\n {2}baseUrl {2}\/static\/\n/)
    // The lines to add to an Express app, as the READMEs write them.
    expect(run.stdout).toContain("import { createConvoy } from '@convoy/core'")
    expect(run.stdout).toContain("import { serveStatic } from '@convoy/serve'")
    expect(run.stdout).toContain("const convoy = await createConvoy({ manifest: 'public/convoy-manifest.json' })")
    expect(run.stdout).toContain("app.use('/static', serveStatic({ root: 'public' }))")
    expect(run.stdout).toContain('npx convoy collect')
    const text = await readFile(join(dir, 'convoy.config.ts'), 'utf8')
    expect(text).toContain("import { defineConfig } from '@convoy/core'")
    expect(text).toMatch(/^ {2}\/\/ .+\n {2}sources: \['assets'\],$/m)
    expect(text).toMatch(/\/\/ minify: true, .*swc/)

    const loaded = await loadConfig({ cwd: dir })
    expect(loaded.file).toBe(join(dir, 'convoy.config.ts'))
    expect(loaded.config).toEqual({ sources: ['assets'], out: 'public', baseUrl: '/static/' })

    const collected = await convoy(['collect', '--quiet'], dir)
    expect(collected).toMatchObject({ code: 0, stderr: '' })
    const manifest = JSON.parse(await readFile(join(dir, 'public/convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.files)).toEqual(['css/site.css'])
    expect((await convoy(['ls'], dir)).stdout).toMatch(/^css\/site\.css /m)
  })

  it('writes convoy.config.mjs in a project without TypeScript, and picks an output that holds nothing else', async () => {
    const dir = await project({ 'package.json': '{ "name": "app", "dependencies": { "express": "^5.0.0" } }', 'public/css/site.css': 'body{}', 'public/robots.txt': 'x' })
    const run = await convoy(['init'], dir)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/wrote convoy\.config\.mjs\n {2}sources {2}public \(found\)\n {2}out {6}dist\/static\n/)
    const text = await readFile(join(dir, 'convoy.config.mjs'), 'utf8')
    expect(text).toContain("/** @type {import('@convoy/core').ConvoyConfig} */\nexport default {")
    expect(text).not.toMatch(/^import /m)
    expect((await loadConfig({ cwd: dir })).config).toEqual({ sources: ['public'], out: 'dist/static', baseUrl: '/static/' })
    expect((await convoy(['collect', '--quiet'], dir)).code).toBe(0)
    const manifest = JSON.parse(await readFile(join(dir, 'dist/static/convoy-manifest.json'), 'utf8')) as Manifest
    expect(Object.keys(manifest.files).sort()).toEqual(['css/site.css', 'robots.txt'])
  })

  it('detects TypeScript from a typescript dependency, and takes --source, --out, --base-url and --format', async () => {
    const dir = await project({ 'package.json': '{ "devDependencies": { "typescript": "^5.9.0" } }', 'web/a.css': 'a{}' })
    expect((await convoy(['init', '--out', 'build/assets'], dir)).stdout).toMatch(/wrote convoy\.config\.ts/)
    await rm(join(dir, 'convoy.config.ts'))
    const run = await convoy(['init', '--source', 'web', '--source', 'vendor', '--out', 'build/assets', '--base-url', '/assets/', '--format', 'mjs'], dir)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/sources {2}web, vendor\n/)
    expect(run.stdout).toMatch(/vendor does not exist yet/)
    expect(run.stdout).toContain("app.use('/assets', serveStatic({ root: 'build/assets' }))")
    expect((await loadConfig({ cwd: dir })).config).toEqual({ sources: ['web', 'vendor'], out: 'build/assets', baseUrl: '/assets/' })
  })

  it('says so when it finds no static folder, and the config still loads', async () => {
    const dir = await project({ 'public/.gitkeep': '' })
    const run = await convoy(['init'], dir)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/sources {2}static\n/)
    expect(run.stdout).toMatch(/static does not exist yet: put your CSS, JS, images and fonts there, or change "sources" in convoy\.config\.mjs/)
    // public/ holds only a dotfile, so it is no source; not being empty, it is no output either.
    expect((await loadConfig({ cwd: dir })).config).toMatchObject({ sources: ['static'], out: 'dist/static' })
  })

  it('refuses to overwrite an existing config, naming it (exit 2), unless --force', async () => {
    const dir = await project({ 'convoy.config.json': '{ "sources": ["mine"] }', 'static/a.css': 'a{}' })
    const refused = await convoy(['init'], dir)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe('convoy: convoy.config.json already exists: edit it, or run convoy init --force to replace it\n')
    expect(await readFile(join(dir, 'convoy.config.json'), 'utf8')).toBe('{ "sources": ["mine"] }')
    const forced = await convoy(['init', '--force'], dir)
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(/wrote convoy\.config\.mjs \(replacing convoy\.config\.json\)/)
    // The replaced file is gone, so the new one is the one that loads.
    await expect(readFile(join(dir, 'convoy.config.json'))).rejects.toThrow(/ENOENT/)
    expect((await loadConfig({ cwd: dir })).config).toMatchObject({ sources: ['static'] })
  })
})
