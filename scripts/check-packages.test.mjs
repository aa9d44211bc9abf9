// node --test scripts/*.test.mjs — the helpers of check-packages.mjs and scripts/lib (pack.mjs, run.mjs), and
// check-packages.mjs itself on a small temporary workspace (offline: pnpm pack, publint and attw only).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { formatMessage } from 'publint/utils'
import {
  attwProblems,
  fileListProblems,
  formatResult,
  manifestProblems,
  parseArguments,
  parsePublishOutput,
  publintProblems,
  publishProblems,
  sourceConditionProblems,
} from './check-packages.mjs'
import { entryFiles, formatBytes, missingEntryFiles, parsePackReport, tarballName, tarballOverrides } from './lib/pack.mjs'
import { outsideEnv } from './lib/run.mjs'

const script = fileURLToPath(new URL('check-packages.mjs', import.meta.url))
const roots = []

after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** A packed manifest with every field check-packages asks for. */
function goodManifest(overrides = {}) {
  return {
    name: '@x/core',
    version: '1.2.0',
    description: 'x',
    keywords: ['x'],
    homepage: 'https://example.test/x#readme',
    bugs: { url: 'https://example.test/x/issues' },
    license: 'MIT',
    repository: { type: 'git', url: 'git+https://example.test/x.git', directory: 'packages/core' },
    type: 'module',
    engines: { node: '>=20.11' },
    publishConfig: { access: 'public' },
    dependencies: { '@x/errors': '^1.0.0' },
    ...overrides,
  }
}

describe('scripts/lib/pack.mjs', () => {
  it('names tarballs as npm and pnpm do', () => {
    assert.equal(tarballName('@convoy/core', '0.1.0'), 'convoy-core-0.1.0.tgz')
    assert.equal(tarballName('plain', '1.0.0-rc.1'), 'plain-1.0.0-rc.1.tgz')
  })

  it('lists the published entry points of main, types, bin and exports, not development-only targets', () => {
    const manifest = {
      main: './dist/index.js',
      types: './dist/index.d.ts',
      bin: { convoy: './bin/convoy.js' },
      files: ['dist', 'bin'],
      exports: {
        '.': { '@convoy/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
        './collect': { types: './dist/collect.d.ts', default: './dist/collect.js' },
        './features/*': './dist/features/*.js',
        './package.json': './package.json',
      },
    }
    assert.deepEqual(entryFiles(manifest), [
      { field: 'main', file: 'dist/index.js' },
      { field: 'types', file: 'dist/index.d.ts' },
      { field: 'bin.convoy', file: 'bin/convoy.js' },
      { field: 'exports["."]["types"]', file: 'dist/index.d.ts' },
      { field: 'exports["."]["default"]', file: 'dist/index.js' },
      { field: 'exports["./collect"]["types"]', file: 'dist/collect.d.ts' },
      { field: 'exports["./collect"]["default"]', file: 'dist/collect.js' },
    ])
    const built = new Set(['dist/index.js', 'dist/index.d.ts', 'bin/convoy.js'])
    assert.deepEqual(
      missingEntryFiles(manifest, (file) => built.has(file)).map(({ file }) => file),
      ['dist/collect.d.ts', 'dist/collect.js'],
    )
    assert.deepEqual(entryFiles({ bin: 'cli.js', exports: './index.js' }), [
      { field: 'bin', file: 'cli.js' },
      { field: 'exports', file: 'index.js' },
    ])
  })

  it('reads the report of pnpm pack --json, and says what it printed when there is none', () => {
    const printed = 'WARN something\n{\n  "name": "@x/core",\n  "filename": "/tmp/t/x-core-1.0.0.tgz",\n  "files": [{ "path": "LICENSE" }, { "path": "dist/index.js" }]\n}\n'
    assert.deepEqual(parsePackReport(printed), { filename: '/tmp/t/x-core-1.0.0.tgz', files: ['LICENSE', 'dist/index.js'] })
    assert.throws(() => parsePackReport('ERR_PNPM_SOMETHING boom'), /printed no report[\s\S]*ERR_PNPM_SOMETHING boom/)
    assert.throws(() => parsePackReport('{"filename": 3}'), /printed no report/)
  })

  it('pins every @convoy package but the direct ones to its tarball', () => {
    const packed = [
      { name: '@x/serve', tarball: '/t/x-serve-1.0.0.tgz' },
      { name: '@x/errors', tarball: '/t/x-errors-1.0.0.tgz' },
      { name: '@x/core', tarball: '/t/x-core-1.0.0.tgz' },
      { name: '@x/carpool', tarball: '/t/x-carpool-1.0.0.tgz' },
    ]
    const overrides = tarballOverrides(packed, ['@x/core', '@x/serve'])
    assert.deepEqual(overrides, { '@x/carpool': 'file:/t/x-carpool-1.0.0.tgz', '@x/errors': 'file:/t/x-errors-1.0.0.tgz' })
    assert.deepEqual(Object.keys(overrides), ['@x/carpool', '@x/errors'])
  })

  it('formats sizes in npm units', () => {
    assert.equal(formatBytes(999), '999 B')
    assert.equal(formatBytes(118541), '118.5 kB')
    assert.equal(formatBytes(2_500_000), '2.5 MB')
  })
})

describe('scripts/lib/run.mjs outsideEnv', () => {
  it('drops what pnpm sets for scripts and PATH entries inside the workspace, keeps the user registry and the rest', () => {
    const env = outsideEnv(
      {
        PATH: './node_modules/.bin:/work/repo/node_modules/.bin:/usr/local/bin:/work/repo-other/bin:/usr/bin',
        HOME: '/root',
        INIT_CWD: '/work/repo',
        npm_command: 'exec',
        npm_config_user_agent: 'pnpm/10',
        npm_config_verify_deps_before_run: 'false',
        pnpm_config_verify_deps_before_run: 'false',
        PNPM_PACKAGE_NAME: 'root',
        npm_config_registry: 'https://registry.example.test/',
        NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      },
      '/work/repo',
      { separator: ':' },
    )
    assert.deepEqual(env, {
      PATH: '/usr/local/bin:/work/repo-other/bin:/usr/bin',
      HOME: '/root',
      npm_config_registry: 'https://registry.example.test/',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    })
  })
})

describe('check-packages helpers', () => {
  it('names an @convoy/source export condition whose file does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convoy-source-condition-'))
    roots.push(dir)
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'index.ts'), '')
    writeFileSync(join(dir, 'src', 'jsx.ts'), '')
    const exportsField = (jsx) => ({
      '.': { '@convoy/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './jsx': { '@convoy/source': jsx, types: './dist/jsx.d.ts', default: './dist/jsx.js' },
      './package.json': './package.json',
    })
    assert.deepEqual(sourceConditionProblems(exportsField('./src/jsx.ts'), dir), [])
    assert.deepEqual(sourceConditionProblems(exportsField('./src/jsx.tsx'), dir), [
      'exports["./jsx"]["@convoy/source"] is "./src/jsx.tsx", which does not exist in the package folder',
    ])
  })

  it('accepts a complete packed manifest', () => {
    assert.deepEqual(manifestProblems(goodManifest(), 'packages/core'), [])
    assert.deepEqual(manifestProblems(goodManifest({ bugs: 'https://example.test/x/issues', name: 'plain', publishConfig: undefined }), 'packages/core'), [])
  })

  it('names each missing or wrong field of a packed manifest', () => {
    const manifest = goodManifest({
      dependencies: { '@x/errors': 'workspace:^', ok: '^1.0.0' },
      peerDependencies: { '@x/core': 'workspace:>=1.0.0 <2.0.0' },
      repository: { type: 'git', url: 'git+https://example.test/x.git', directory: 'packages/other' },
      keywords: [],
      homepage: undefined,
      bugs: {},
      license: undefined,
      engines: undefined,
      type: undefined,
      publishConfig: undefined,
    })
    assert.deepEqual(manifestProblems(manifest, 'packages/core'), [
      'dependencies["@x/errors"] is "workspace:^" in the tarball: a published range must be a version range (publish with pnpm, which replaces workspace: ranges)',
      'peerDependencies["@x/core"] is "workspace:>=1.0.0 <2.0.0" in the tarball: a published range must be a version range (publish with pnpm, which replaces workspace: ranges)',
      'package.json has no "license"',
      'package.json "repository.directory" is "packages/other", expected "packages/core" (the registry links the package\'s folder with it)',
      'package.json has no "homepage"',
      'package.json has no "bugs" URL',
      'package.json has no "keywords"',
      'package.json has no "engines.node"',
      'package.json "type" is undefined, not "module", but the types are checked with attw\'s esm-only profile',
      'package.json has no "publishConfig.access": "public" (a scoped package is published restricted without it)',
    ])
    assert.deepEqual(manifestProblems(goodManifest({ repository: 'github:x/x' }), 'packages/core'), ['package.json has no "repository" with a "url"'])
  })

  it('wants package.json, README.md and LICENSE in a tarball, and no development files', () => {
    assert.deepEqual(fileListProblems(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/test-utils.js']), [])
    assert.deepEqual(fileListProblems(['package.json', 'dist/index.js', 'dist/index.test.js', 'tsconfig.json', 'src/.turbo/x', 'dist/.tsbuildinfo', 'tsup.config.ts']), [
      'the tarball has no README.md',
      'the tarball has no LICENSE (copy the root LICENSE and list it in "files")',
      'the tarball ships development files: dist/index.test.js, tsconfig.json, src/.turbo/x, dist/.tsbuildinfo, tsup.config.ts (narrow "files")',
    ])
  })

  it('fails on publint errors and warnings (strict) and keeps suggestions as notes', () => {
    const manifest = { name: '@x/core', main: './dist/index.js', exports: { '.': { default: './dist/index.js', types: './dist/index.d.ts' } } }
    const messages = [
      { code: 'FILE_DOES_NOT_EXIST', args: {}, path: ['main'], type: 'error' },
      { code: 'EXPORTS_TYPES_SHOULD_BE_FIRST', args: {}, path: ['exports', '.', 'types'], type: 'warning' },
      { code: 'USE_LICENSE', args: { licenseFilePath: 'LICENSE' }, path: ['name'], type: 'suggestion' },
      { code: 'SOMETHING_NEW', args: {}, path: ['exports', '.'], type: 'error' },
    ]
    const { problems, notes } = publintProblems(messages, manifest, formatMessage)
    assert.equal(problems.length, 3)
    assert.match(problems[0], /^publint: .*main.*\.\/dist\/index\.js.*does not exist/i)
    assert.match(problems[1], /^publint: .*types.*first/i)
    assert.equal(problems[2], 'publint: SOMETHING_NEW at exports..')
    assert.equal(notes.length, 1)
    assert.match(notes[0], /^publint: .*license/i)
  })

  it('keeps the attw problems of the resolutions esm-only checks, each with its docs link', () => {
    const report = {
      analysis: {
        types: { kind: 'included' },
        problems: [
          { kind: 'CJSResolvesToESM', entrypoint: '.', resolutionKind: 'node16-cjs' },
          { kind: 'NoResolution', entrypoint: './collect', resolutionKind: 'node10' },
          { kind: 'NoResolution', entrypoint: './collect', resolutionKind: 'bundler' },
          { kind: 'NoResolution', entrypoint: './collect', resolutionKind: 'bundler' },
          {
            kind: 'InternalResolutionError',
            fileName: '/node_modules/@x/core/dist/index.d.ts',
            pos: 1,
            end: 2,
            resolutionOption: 'node16',
            moduleSpecifier: './config',
            resolutionMode: 99,
            trace: [],
          },
          {
            kind: 'NamedExports',
            typesFileName: '/node_modules/@x/core/dist/index.d.ts',
            implementationFileName: '/node_modules/@x/core/dist/index.js',
            isMissingAllNamed: false,
            missing: ['a', 'b'],
          },
        ],
      },
    }
    const docs = 'https://github.com/arethetypeswrong/arethetypeswrong.github.io/blob/main/docs/problems/'
    assert.deepEqual(attwProblems(report), [
      `attw: import failed to resolve to type declarations or JavaScript files: "./collect" under bundler resolution (${docs}NoResolution.md)`,
      `attw: an import inside the type declarations does not resolve: dist/index.d.ts imports "./config" (node16 resolution) (${docs}InternalResolutionError.md)`,
      `attw: named exports TypeScript sees cannot be detected by Node.js: dist/index.d.ts and dist/index.js (missing: a, b) (${docs}NamedExports.md)`,
    ])
    assert.deepEqual(attwProblems({ analysis: { types: { kind: 'included' }, problems: report.analysis.problems.slice(0, 2) } }), [])
    assert.deepEqual(attwProblems({ analysis: { types: false } }), ['attw: no type declarations found for any entry point'])
    assert.deepEqual(attwProblems({}), ['attw: printed no analysis'])
  })

  it('reads which packages a publish dry run went through and what npm warned about each', () => {
    const stdout = '+ @x/hash@0.1.0\n+ @x/errors@0.1.0\n'
    const stderr = [
      'npm notice',
      'npm notice 📦  @x/hash@0.1.0',
      'npm notice Tarball Contents',
      'npm notice 1.1kB LICENSE',
      'npm warn publish This command requires you to be logged in to https://registry.npmjs.org/ (dry-run)',
      'npm notice Publishing to https://registry.npmjs.org/ with tag latest and public access (dry-run)',
      'npm notice',
      'npm notice 📦  @x/errors@0.1.0',
      'npm warn publish npm auto-corrected some errors in your package.json when publishing.  Please run "npm pkg fix" to address these errors.',
      'npm warn publish "repository.url" was normalized to "git+https://example.test/x.git"',
      'npm warn publish This command requires you to be logged in to https://registry.npmjs.org/ (dry-run)',
    ].join('\n')
    const parsed = parsePublishOutput(stdout, stderr)
    assert.deepEqual([...parsed.published], [
      ['@x/hash', '0.1.0'],
      ['@x/errors', '0.1.0'],
    ])
    assert.deepEqual([...parsed.warnings.keys()], ['@x/errors'])
    assert.deepEqual(publishProblems(parsed, '@x/hash', '0.1.0'), { problems: [], notes: [] })
    assert.deepEqual(publishProblems(parsed, '@x/errors', '0.1.0').problems, [
      'pnpm publish --dry-run: npm warns: npm auto-corrected some errors in your package.json when publishing.  Please run "npm pkg fix" to address these errors.',
      'pnpm publish --dry-run: npm warns: "repository.url" was normalized to "git+https://example.test/x.git"',
    ])
    assert.deepEqual(publishProblems(parsed, '@x/hash', '0.2.0').problems, ['pnpm publish --dry-run went through @x/hash@0.1.0, but the workspace has 0.2.0'])
    assert.deepEqual(publishProblems(parsed, '@x/gone', '1.0.0'), {
      problems: [],
      notes: ['not in the publish dry run: pnpm skips a version the registry already has (@x/gone@1.0.0)'],
    })
    assert.deepEqual(publishProblems(null, '@x/hash', '0.1.0'), { problems: [], notes: [] })
    assert.deepEqual(parsePublishOutput('', 'npm error code E404\n ERR_PNPM_PUBLISH_FAILED something').errors, ['npm error code E404', 'ERR_PNPM_PUBLISH_FAILED something'])
  })

  it('prints one line per package, then its problems and notes', () => {
    assert.deepEqual(formatResult({ name: '@x/a', version: '1.0.0', files: 6, bytes: 5100, problems: [], notes: [] }), ['ok    @x/a@1.0.0  6 files, 5.1 kB'])
    assert.deepEqual(formatResult({ name: '@x/b', version: '1.0.0', problems: ['cannot pack: boom'], notes: ['n'] }), [
      'FAIL  @x/b@1.0.0: 1 problem',
      '      - cannot pack: boom',
      '      note: n',
    ])
  })

  it('parses its arguments', () => {
    assert.deepEqual(parseArguments([], '/r'), { offline: false, root: '/r' })
    assert.deepEqual(parseArguments(['--offline', '--root', '/w'], '/r'), { offline: true, root: '/w' })
    assert.match(parseArguments(['--root'], '/r').error, /--root needs a directory/)
    assert.match(parseArguments(['--fast'], '/r').error, /unknown argument --fast/)
  })
})

describe('check-packages.mjs on a workspace', () => {
  /** A workspace whose packages (`dir → { manifest, files }`) are written under packages/. */
  function workspace(packages) {
    const root = mkdtempSync(join(tmpdir(), 'convoy-check-packages-test-'))
    roots.push(root)
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'root', private: true }))
    for (const [dir, { manifest, files }] of Object.entries(packages)) {
      for (const [path, text] of Object.entries({ 'package.json': JSON.stringify(manifest, null, 2), ...files })) {
        const file = join(root, 'packages', dir, path)
        mkdirSync(dirname(file), { recursive: true })
        writeFileSync(file, text)
      }
    }
    return root
  }

  const dist = { 'dist/index.js': 'export const answer = 42\n', 'dist/index.d.ts': 'export declare const answer: 42\n', 'README.md': '# x\n' }

  it('passes a complete package and names every problem of a broken one (exit 1)', () => {
    const root = workspace({
      good: {
        manifest: {
          ...goodManifest({ name: '@x/good', version: '1.0.0', dependencies: undefined }),
          repository: { type: 'git', url: 'git+https://example.test/x.git', directory: 'packages/good' },
          sideEffects: false,
          exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
          main: './dist/index.js',
          types: './dist/index.d.ts',
          files: ['dist', 'LICENSE'],
        },
        files: { ...dist, LICENSE: 'MIT\n' },
      },
      broken: {
        manifest: {
          name: '@x/broken',
          version: '1.0.0',
          type: 'module',
          exports: { '.': { default: './dist/index.js', types: './dist/index.d.ts' } },
          files: ['dist'],
        },
        files: dist,
      },
      unbuilt: {
        manifest: { ...goodManifest({ name: '@x/unbuilt', version: '1.0.0' }), exports: { '.': './dist/index.js' }, files: ['dist'] },
        files: {},
      },
      private: { manifest: { name: '@x/private', version: '1.0.0', private: true }, files: {} },
    })
    const result = spawnSync(process.execPath, [script, '--offline', '--root', root], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(result.status, 1, result.stdout + result.stderr)
    const lines = result.stdout.split('\n')
    const header = lines.findIndex((line) => /^FAIL {2}@x\/broken@1\.0\.0 {2}4 files, \d+ B: 10 problems$/.test(line))
    assert.notEqual(header, -1, result.stdout)
    const broken = lines.slice(header + 1, header + 11)
    assert.deepEqual(broken.filter((line) => !line.includes('publint:')), [
      '      - the tarball has no LICENSE (copy the root LICENSE and list it in "files")',
      '      - package.json has no "license"',
      '      - package.json has no "repository" with a "url"',
      '      - package.json has no "homepage"',
      '      - package.json has no "bugs" URL',
      '      - package.json has no "keywords"',
      '      - package.json has no "engines.node"',
      '      - package.json has no "publishConfig.access": "public" (a scoped package is published restricted without it)',
    ])
    assert.equal(broken.filter((line) => line.includes('publint:')).length, 2, broken.join('\n'))
    assert.ok(broken.some((line) => /publint: pkg\.exports\["\."\]\.types should be the first/.test(line)), broken.join('\n'))
    assert.ok(broken.some((line) => /publint: pkg\.exports\["\."\]\.default should be the last/.test(line)), broken.join('\n'))
    assert.ok(lines.some((line) => /^FAIL {2}@x\/unbuilt@1\.0\.0: 1 problem$/.test(line)), result.stdout)
    assert.ok(lines.includes('      - cannot pack: packages/unbuilt: dist/index.js (exports["."]) does not exist: build it first (pnpm build)'), result.stdout)
    assert.ok(lines.some((line) => /^ok {4}@x\/good@1\.0\.0 {2}\d+ files, /.test(line)), result.stdout)
    assert.ok(!result.stdout.includes('@x/private'), result.stdout)
    assert.match(result.stderr, /^check-packages: 2 of 3 packages have problems \(.*\), [\d.]+ s: @x\/broken, @x\/unbuilt$/m)
  })
})
