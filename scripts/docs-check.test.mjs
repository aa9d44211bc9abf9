// node --test scripts/*.test.mjs — the pure parts of docs-check.mjs, then the whole check run on small READMEs in a
// temporary workspace (a stand-in convoy CLI, the repository's TypeScript), so it needs no build.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  classifyBlock, composeScript, extractBlocks, installProblem, parseInstallCommand, parseMarker, prepareShell, shellCommands,
} from './docs-check.mjs'

const script = fileURLToPath(new URL('docs-check.mjs', import.meta.url))
const repository = fileURLToPath(new URL('..', import.meta.url))
const fence = '```'
const roots = []

after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

const known = new Map([['@convoy/hash', 'workspace'], ['@convoy/demo', 'private'], ['nunjucks', 'dependency']])

describe('parseMarker', () => {
  it('reads a skip and its reason, after an em dash, a hyphen or a colon', () => {
    assert.deepEqual(parseMarker(' skip — sample output of convoy ls '), { skip: 'sample output of convoy ls' })
    assert.deepEqual(parseMarker('skip - needs AWS credentials'), { skip: 'needs AWS credentials' })
    assert.deepEqual(parseMarker('skip: a diff'), { skip: 'a diff' })
  })

  it('refuses a skip without a reason', () => {
    for (const text of ['skip', 'skip —', ' skip - ', 'skip:']) assert.match(parseMarker(text).error, /needs a reason/, text)
  })

  it('reads setups, a file and vitest', () => {
    assert.deepEqual(parseMarker('setup collected carpool-members'), { setup: ['collected', 'carpool-members'] })
    assert.deepEqual(parseMarker('file views/home.njk'), { file: 'views/home.njk' })
    assert.deepEqual(parseMarker('vitest'), { vitest: true })
  })

  it('refuses bad fixture names, paths that leave the directory and unknown markers', () => {
    assert.match(parseMarker('setup ../secrets').error, /not a fixture name/)
    assert.match(parseMarker('setup').error, /names a fixture/)
    assert.match(parseMarker('file ../outside.txt').error, /inside the block's directory/)
    assert.match(parseMarker('file /etc/passwd').error, /inside the block's directory/)
    assert.match(parseMarker('ignore this').error, /unknown docs-check marker/)
  })
})

describe('extractBlocks', () => {
  it('finds every block with its line, language, content and markers', () => {
    const markdown = [
      '# Title', // 1
      '', // 2
      '<!-- example-manifest -->', // 3
      '<!-- docs-check: setup collected -->', // 4
      `${fence}ts`, // 5
      "import { x } from 'y'", // 6
      fence, // 7
      '', // 8
      '- a list item:', // 9
      '', // 10
      '  <!-- docs-check: skip — sample output -->', // 11
      `  ${fence}`, // 12
      '  path   served', // 13
      '    indented more', // 14
      `  ${fence}`, // 15
      '', // 16
      '````md', // 17
      `${fence}sh`, // 18
      'inside', // 19
      `${fence}`, // 20
      '````', // 21
    ].join('\n')
    const { blocks, strays } = extractBlocks(markdown, 'README.md')
    assert.deepEqual(strays, [])
    assert.deepEqual(
      blocks.map(({ line, lang, code, markers }) => ({ line, lang, code, markers })),
      [
        { line: 5, lang: 'ts', code: "import { x } from 'y'", markers: { setups: ['collected'] } },
        { line: 12, lang: '', code: 'path   served\n  indented more', markers: { setups: [], skip: 'sample output' } },
        { line: 17, lang: 'md', code: `${fence}sh\ninside\n${fence}`, markers: { setups: [] } },
      ],
    )
  })

  it('reports a marker that is not right above a fence, and a fence never closed', () => {
    const markdown = ['<!-- docs-check: skip — too far away -->', '', `${fence}sh`, 'echo hi', fence, '', `${fence}ts`, 'const x = 1'].join('\n')
    const { blocks, strays } = extractBlocks(markdown, 'README.md')
    assert.deepEqual(strays, [{ file: 'README.md', line: 1, message: 'this docs-check marker is not on the line right before a fence, so it applies to nothing' }])
    assert.equal(blocks[0].markers.skip, undefined)
    assert.deepEqual(blocks[1].problems, ['the fence is never closed'])
  })

  it('keeps a marker error on its block, naming the marker line', () => {
    const { blocks } = extractBlocks(['<!-- docs-check: skip -->', `${fence}sh`, 'echo hi', fence].join('\n'), 'README.md')
    assert.match(blocks[0].problems[0], /^line 1: a skip marker needs a reason/)
  })

  it('reports a misspelt marker instead of ignoring it', () => {
    const { blocks, strays } = extractBlocks(['<!-- docs-check skip — no colon -->', `${fence}sh`, 'echo hi', fence, '', '<!-- docs-check skip -->'].join('\n'), 'README.md')
    assert.match(blocks[0].problems[0], /^line 1: a marker is written <!-- docs-check: skip — <reason> --> \(with the colon\)/)
    assert.deepEqual(strays.map((stray) => stray.line), [6])
  })
})

describe('classifyBlock', () => {
  const block = (lang, markers = {}, problems = []) => ({ lang, markers: { setups: [], ...markers }, problems })

  it('runs scripts, shell and json, writes file blocks and skips marked ones', () => {
    assert.deepEqual(classifyBlock(block('ts')), { kind: 'script', language: 'ts' })
    assert.deepEqual(classifyBlock(block('mjs')), { kind: 'script', language: 'js' })
    assert.deepEqual(classifyBlock(block('bash')), { kind: 'shell' })
    assert.deepEqual(classifyBlock(block('json')), { kind: 'json' })
    assert.deepEqual(classifyBlock(block('njk', { file: 'views/home.njk' })), { kind: 'file', path: 'views/home.njk' })
    assert.deepEqual(classifyBlock(block('', { skip: 'sample output' })), { kind: 'skip', reason: 'sample output' })
  })

  it('fails a block that nothing runs, and says how to mark it', () => {
    const plain = classifyBlock(block(''))
    assert.equal(plain.kind, 'invalid')
    assert.match(plain.message, /a fence without a language is not run.*docs-check: skip — <reason>/)
    assert.match(classifyBlock(block('diff')).message, /```diff block is not run/)
  })

  it('fails contradictory markers and marker errors', () => {
    assert.match(classifyBlock(block('ts', { skip: 'x', setups: ['convoy'] })).message, /a skipped block takes no other marker/)
    assert.match(classifyBlock(block('sh', { setups: ['convoy'] })).message, /apply to ts\/js blocks/)
    assert.match(classifyBlock(block('njk', { file: 'a.njk', vitest: true })).message, /a file block is written, not run/)
    assert.equal(classifyBlock(block('ts', {}, ['the fence is never closed'])).message, 'the fence is never closed')
  })
})

describe('shell lines', () => {
  it('splits commands at && || ; | and stops at a comment', () => {
    assert.deepEqual(shellCommands('npm install -g pnpm@10 && pnpm install --frozen-lockfile; pnpm demo # starts it'), [
      ['npm', 'install', '-g', 'pnpm@10'],
      ['pnpm', 'install', '--frozen-lockfile'],
      ['pnpm', 'demo'],
    ])
    assert.deepEqual(shellCommands(`echo "a && b" 'c # d' | wc -l || true`), [['echo', 'a && b', 'c # d'], ['wc', '-l'], ['true']])
  })

  it('recognizes install commands and the packages they name', () => {
    assert.deepEqual(parseInstallCommand(['npm', 'install', '-D', '@swc/core@^1.16', 'lightningcss']), { manager: 'npm', packages: ['@swc/core', 'lightningcss'] })
    assert.deepEqual(parseInstallCommand(['pnpm', 'add', 'nunjucks']), { manager: 'pnpm', packages: ['nunjucks'] })
    assert.equal(parseInstallCommand(['npm', 'run', 'build']), null)
    assert.equal(parseInstallCommand(['npx', 'convoy', 'collect']), null)
  })

  it('accepts npm installs of workspace packages and their dependencies only', () => {
    assert.equal(installProblem({ manager: 'npm', packages: ['@convoy/hash', 'nunjucks'] }, known), undefined)
    assert.equal(installProblem({ manager: 'pnpm', packages: ['@convoy/hash'] }, known), 'user-facing install lines use npm, as every README does: npm install @convoy/hash')
    assert.match(installProblem({ manager: 'npm', packages: ['@convoy/hsah'] }, known), /"@convoy\/hsah" is neither a package of this workspace nor a dependency of one/)
    assert.match(installProblem({ manager: 'npm', packages: ['@convoy/demo'] }, known), /is private/)
    assert.match(installProblem({ manager: 'npm', packages: [] }, known), /names the packages/)
  })

  it('turns install lines into no-ops, keeping line numbers, and refuses chained ones', () => {
    const { script, installs, problems } = prepareShell('npm install @convoy/hash \\\n  nunjucks\nconvoy ls\nnpm i left-pad', known)
    assert.equal(script, ':\n:\nconvoy ls\n:')
    assert.deepEqual(installs, ['npm install @convoy/hash nunjucks', 'npm i left-pad'])
    assert.deepEqual(problems, [{ line: 4, message: 'npm install left-pad: "left-pad" is neither a package of this workspace nor a dependency of one' }])
    assert.match(prepareShell('npm install @convoy/hash && convoy ls', known).problems[0].message, /on a line of its own/)
  })
})

describe('composeScript', () => {
  it('puts the fixtures first and maps every line back to the README or the fixture', () => {
    const block = { file: 'packages/x/README.md', line: 40, code: "import { a } from 'a'\na()" }
    const fixtures = [{ file: 'scripts/docs-fixtures/one.ts', text: '// one\nconst one = 1\n\n' }, { file: 'scripts/docs-fixtures/two.ts', text: 'const two = 2' }]
    const { text, locate } = composeScript(block, fixtures)
    assert.equal(text, "// one\nconst one = 1\nconst two = 2\nimport { a } from 'a'\na()\nexport {}\n")
    assert.deepEqual(locate(1), { file: 'scripts/docs-fixtures/one.ts', line: 2 })
    assert.deepEqual(locate(2), { file: 'scripts/docs-fixtures/two.ts', line: 1 })
    assert.deepEqual(locate(3), { file: 'packages/x/README.md', line: 41 })
    assert.deepEqual(locate(4), { file: 'packages/x/README.md', line: 42 })
    assert.deepEqual(locate(5), { file: 'packages/x/README.md', line: 40 })
  })
})

// ─── The whole check ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * A workspace with one package, `@fake/core`, whose dist/cli.js is a TEST-ONLY stand-in for the convoy CLI (`collect
 * --out DIR` makes DIR with an empty manifest), and the repository's TypeScript and Node types.
 */
function workspace(readme) {
  // `readme` is the README's text, or a function of the workspace's path that returns it.
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'convoy-docs-check-')))
  roots.push(root)
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fake-root', private: true }))
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
  mkdirSync(join(root, 'packages', 'core', 'dist'), { recursive: true })
  writeFileSync(join(root, 'packages', 'core', 'package.json'), JSON.stringify({ name: '@fake/core', version: '1.0.0' }))
  writeFileSync(
    join(root, 'packages', 'core', 'dist', 'cli.js'),
    [
      "import { mkdirSync, writeFileSync } from 'node:fs'",
      'const args = process.argv.slice(2)',
      "const out = args[args.indexOf('--out') + 1]",
      "if (args[0] === 'collect' && out !== undefined) {",
      '  mkdirSync(out, { recursive: true })',
      "  writeFileSync(`${out}/convoy-manifest.json`, '{}')",
      "} else console.log(`convoy ${args.join(' ')}`)",
    ].join('\n'),
  )
  const require = createRequire(join(repository, 'package.json'))
  mkdirSync(join(root, 'node_modules', '@types'), { recursive: true })
  symlinkSync(dirname(require.resolve('typescript/package.json')), join(root, 'node_modules', 'typescript'), 'dir')
  symlinkSync(realpathSync(join(repository, 'node_modules', '@types', 'node')), join(root, 'node_modules', '@types', 'node'), 'dir')
  writeFileSync(join(root, 'README.md'), typeof readme === 'function' ? readme(root) : readme)
  return root
}

/** Runs the check on the workspace's README (asynchronously, so the tests of this file run side by side). */
function check(root, ...args) {
  return new Promise((resolveCheck, rejectCheck) => {
    const child = spawn(process.execPath, [script, '--root', root, ...args, 'README.md'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000)
    child.on('error', rejectCheck)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolveCheck({ code, output })
    })
  })
}

function isRunning(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The run directories the check left in the workspace (none, once it is done). */
function leftovers(root) {
  const cache = join(root, 'node_modules', '.cache')
  return existsSync(cache) ? readdirSync(cache, { recursive: true }) : []
}

describe('docs-check on a README', { concurrency: true }, () => {
  it('fails broken blocks, each with its file, line and cause, and exits 1', async () => {
    const root = workspace(
      [
        '# Broken', // 1
        '', // 2
        `${fence}ts`, // 3
        "const answer: number = 'forty-two'", // 4
        fence, // 5
        '', // 6
        `${fence}sh`, // 7
        'echo fine', // 8
        'false', // 9
        'echo never', // 10
        fence, // 11
        '', // 12
        `${fence}ts`, // 13
        'const parts = [1, 2]', // 14
        "if (parts.length === 2) throw new Error('boom from the block')", // 15
        fence, // 16
        '', // 17
        fence, // 18
        'some output', // 19
        fence, // 20
        '', // 21
        '<!-- docs-check: skip -->', // 22
        `${fence}sh`, // 23
        'echo skipped', // 24
        fence, // 25
        '', // 26
        `${fence}sh`, // 27
        'pnpm add @fake/core', // 28
        fence, // 29
        '', // 30
        `${fence}json`, // 31
        '{ "sources": ["static"], }', // 32
        fence, // 33
      ].join('\n'),
    )
    const { code, output } = await check(root)
    assert.equal(code, 1, output)
    const lines = output.split('\n')
    const failure = (where) => lines.find((line) => line.startsWith(`FAIL  ${where}: `))
    assert.match(failure('README.md:4'), /Type 'string' is not assignable to type 'number'\. \[TS2322\]/)
    assert.match(failure('README.md:9'), /exited with code 1/)
    assert.ok(!output.includes('never'), output)
    assert.match(failure('README.md:15'), /exited with code 1: Error: boom from the block/)
    assert.match(failure('README.md:18'), /a fence without a language is not run/)
    assert.match(failure('README.md:23'), /line 22: a skip marker needs a reason/)
    assert.match(failure('README.md:28'), /user-facing install lines use npm, as every README does: npm install @fake\/core/)
    assert.match(failure('README.md:31'), /invalid JSON/)
    assert.match(output, /docs-check: 7 blocks in 1 README: 0 ok, 0 skipped, 7 failed/)
    assert.deepEqual(leftovers(root), [])
  })

  it('passes runnable, skipped and file blocks, with setups and servers, and exits 0', async () => {
    const root = workspace(
      [
        '<!-- docs-check: setup https-request -->', // 1
        `${fence}ts`, // 2
        "import { strict as assert } from 'node:assert'", // 3
        "assert.equal(req.headers['x-forwarded-proto'], 'https')", // 4
        fence, // 5
        '', // 6
        `${fence}sh`, // 7
        'npm install @fake/core', // 8
        'test -f public/static/convoy-manifest.json', // 9
        'npx convoy ls --out public/static | grep -q "convoy ls --out public/static"', // 10
        'grep -q "hello from a file block" views/page.txt', // 11
        fence, // 12
        '', // 13
        '<!-- docs-check: file views/page.txt -->', // 14
        `${fence}text`, // 15
        'hello from a file block', // 16
        fence, // 17
        '', // 18
        `${fence}ts`, // 19
        "import { createServer } from 'node:http'", // 20
        "createServer((req, res) => res.end('hi')).listen(8080)", // 21
        fence, // 22
        '', // 23
        `${fence}json`, // 24
        '{ "ok": true }', // 25
        fence, // 26
        '', // 27
        '<!-- docs-check: skip — an output sample -->', // 28
        fence, // 29
        'output', // 30
        fence, // 31
      ].join('\n'),
    )
    const { code, output } = await check(root)
    assert.equal(code, 0, output)
    assert.match(output, /^ok {4}README\.md:2 {2}ts {2}type-checked, ran; setup https-request(?: \(\d+\.\d s\))?$/m)
    assert.match(output, /^ok {4}README\.md:7 {2}sh {2}npm install @fake\/core: checked, not run; ran(?: \(\d+\.\d s\))?$/m)
    assert.match(output, /^ok {4}README\.md:15 {2}text {2}file views\/page\.txt, for the other blocks of this README(?: \(\d+\.\d s\))?$/m)
    assert.match(output, /^ok {4}README\.md:19 {2}ts {2}type-checked, ran; GET \/ → 200(?: \(\d+\.\d s\))?$/m)
    assert.match(output, /^ok {4}README\.md:24 {2}json {2}parsed(?: \(\d+\.\d s\))?$/m)
    assert.match(output, /^skip {2}README\.md:29 {2}plain {2}\(an output sample\)$/m)
    assert.match(output, /docs-check: 6 blocks in 1 README: 5 ok, 1 skipped, 0 failed/)
    assert.deepEqual(leftovers(root), [])
  })

  it('fails a block whose server answers 500, and one that runs past the timeout', async () => {
    const root = workspace(
      [
        `${fence}ts`, // 1
        "import { createServer } from 'node:http'", // 2
        'createServer((req, res) => {', // 3
        '  res.statusCode = 500', // 4
        "  res.end('broken')", // 5
        '}).listen(3000)', // 6
        fence, // 7
        '', // 8
        `${fence}sh`, // 9
        'sleep 120', // 10
        fence, // 11
      ].join('\n'),
    )
    const started = Date.now()
    // Long enough for a Node start-up on a busy machine, far shorter than the sleep.
    const { code, output } = await check(root, '--timeout', '10')
    assert.equal(code, 1, output)
    assert.match(output, /^FAIL {2}README\.md:1: exited with code 1: docs-check: the block's server answered GET \/ with 500$/m)
    assert.match(output, /^FAIL {2}README\.md:9: timed out after 10 s$/m)
    assert.ok(Date.now() - started < 100_000, 'the sleeping block was killed at the timeout')
    assert.deepEqual(leftovers(root), [])
  })

  it('removes its run directory and ends the running blocks on SIGINT', async () => {
    const root = workspace((dir) => [`${fence}sh`, `echo $$ > ${join(dir, 'block.pid')}`, 'sleep 30', fence].join('\n'))
    const marker = join(root, 'block.pid')
    const child = spawn(process.execPath, [script, '--root', root, 'README.md'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const exited = new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)))
    try {
      const deadline = Date.now() + 60_000
      while (!existsSync(marker) || readFileSync(marker, 'utf8').trim() === '') {
        assert.ok(Date.now() < deadline, `the block never started:\n${output}`)
        await new Promise((resolveWait) => setTimeout(resolveWait, 50))
      }
      const blockPid = Number(readFileSync(marker, 'utf8'))
      assert.ok(leftovers(root).length > 0, 'the run directory exists while the block runs')
      child.kill('SIGINT')
      assert.equal(await exited, 130, output)
      assert.match(output, /docs-check: interrupted by SIGINT/)
      assert.deepEqual(leftovers(root), [])
      // Killed with its group; once the check is gone, init reaps it.
      const reaped = Date.now() + 5000
      while (isRunning(blockPid) && Date.now() < reaped) await new Promise((resolveWait) => setTimeout(resolveWait, 50))
      assert.equal(isRunning(blockPid), false, 'the block was ended with the check')
    } finally {
      child.kill('SIGKILL')
    }
  })
})
