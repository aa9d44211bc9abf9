// node --test scripts/*.test.mjs — runs check-cycles.mjs on small temporary workspaces.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('check-cycles.mjs', import.meta.url))
const roots = []

after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** A workspace with `packages` (`dir → package.json fields`) under the globs of a pnpm-workspace.yaml. */
function workspace(packages, yaml = 'packages:\n  - packages/*\n  - apps/*\n') {
  const root = mkdtempSync(join(tmpdir(), 'convoy-check-cycles-'))
  roots.push(root)
  writeFileSync(join(root, 'pnpm-workspace.yaml'), yaml)
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'root', private: true }))
  for (const [dir, fields] of Object.entries(packages)) {
    mkdirSync(join(root, dir), { recursive: true })
    writeFileSync(join(root, dir, 'package.json'), JSON.stringify(fields))
  }
  return root
}

function run(root) {
  const result = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('check-cycles', () => {
  it('prints one OK line and exits 0 without a cycle', () => {
    const root = workspace({
      'packages/errors': { name: '@x/errors' },
      'packages/storage': { name: '@x/storage', dependencies: { '@x/errors': 'workspace:^' } },
      'packages/core': { name: '@x/core', dependencies: { '@x/storage': 'workspace:^', lodash: '^4' } },
      'apps/demo': { name: 'demo', dependencies: { '@x/core': 'workspace:^' }, devDependencies: { '@x/storage': 'workspace:^' } },
    })
    const { code, stdout, stderr } = run(root)
    assert.equal(code, 0, stderr)
    assert.equal(stdout, 'check-cycles: OK, no dependency cycle between 4 workspace packages (4 edges)\n')
    assert.equal(stderr, '')
  })

  it('exits 1 and prints each cycle with the field of each edge, peer and dev edges included', () => {
    const root = workspace({
      'packages/core': { name: '@x/core', dependencies: { '@x/storage-fs': 'workspace:^' } },
      'packages/storage-fs': { name: '@x/storage-fs', peerDependencies: { '@x/core': 'workspace:*' } },
      'packages/a': { name: '@x/a', optionalDependencies: { '@x/b': 'workspace:^' } },
      'packages/b': { name: '@x/b', devDependencies: { '@x/c': 'workspace:^' } },
      'apps/c': { name: '@x/c', dependencies: { '@x/a': 'workspace:^' }, peerDependencies: { '@x/a': 'workspace:^' } },
    })
    const { code, stdout, stderr } = run(root)
    assert.equal(code, 1)
    assert.equal(stdout, '')
    assert.equal(
      stderr,
      [
        'check-cycles: 2 dependency cycles between workspace packages (over dependencies, devDependencies, peerDependencies, optionalDependencies):',
        '  @x/a -> @x/b (optionalDependencies) -> @x/c (devDependencies) -> @x/a (dependencies, peerDependencies)',
        '  @x/core -> @x/storage-fs (dependencies) -> @x/core (peerDependencies)',
        'Break each one: move what both sides need into a package that depends on neither.',
        '',
      ].join('\n'),
    )
  })

  it('counts a package that depends on itself', () => {
    const root = workspace({ 'packages/self': { name: 'self', devDependencies: { self: 'workspace:^' } } })
    const { code, stderr } = run(root)
    assert.equal(code, 1)
    assert.match(stderr, /^ {2}self -> self \(devDependencies\)$/m)
  })

  it('only reads the folders the workspace globs name', () => {
    const root = workspace(
      {
        'packages/a': { name: 'a', dependencies: { b: 'workspace:^' } },
        'tools/b': { name: 'b', dependencies: { a: 'workspace:^' } },
      },
      'packages:\n  - "packages/*" # tools/ is not in the workspace\n',
    )
    const { code, stdout } = run(root)
    assert.equal(code, 0)
    assert.match(stdout, /between 1 workspace packages \(0 edges\)/)
  })

  it('exits 2 naming the problem when the workspace cannot be read', () => {
    const root = workspace({ 'packages/broken': {} })
    writeFileSync(join(root, 'packages/broken/package.json'), '{ not json')
    const broken = run(root)
    assert.equal(broken.code, 2)
    assert.match(broken.stderr, /^check-cycles: cannot read the workspace: packages[/\\]broken[/\\]package\.json: /)

    rmSync(join(root, 'pnpm-workspace.yaml'))
    const missing = run(root)
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /no pnpm-workspace\.yaml in /)
  })
})
