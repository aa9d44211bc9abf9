#!/usr/bin/env node
// Docs that cannot rot: every fenced code block of the READMEs (README.md, packages/*/README.md, apps/*/README.md) is
// run, or is marked as not runnable with a reason.
//
// - ts/js/mjs blocks are type-checked together (one TypeScript program: strict, module nodenext, against the built
//   packages) and then each is run with Node in a temp directory holding a small site (scripts/docs-fixtures/site:
//   sources in static/, collected into public/static by the workspace's `convoy collect`). `@convoy/*` resolves to the
//   workspace's packages, NODE_ENV is `production`, and a block that starts an HTTP server is requested once and
//   closed (scripts/docs-fixtures/lib/listen-probe.mjs).
// - sh/bash blocks run with bash (-e -o pipefail) in such a directory, the workspace's `convoy` on PATH (`npx convoy`
//   runs it too). Install lines (`npm install …`) are checked, not run: they must use npm and name packages of the
//   workspace or dependencies of one.
// - json blocks must parse.
// - Markers, HTML comments on the line(s) right before the fence:
//     <!-- docs-check: skip — <reason> -->   not runnable (output samples, signatures…); the reason is required
//     <!-- docs-check: setup <name>… -->     prepend scripts/docs-fixtures/<name>.ts (.mjs for js blocks): hidden
//                                            imports and variables the visible snippet relies on
//     <!-- docs-check: file <path> -->       the block is a file (a template, a config) written at <path> in the
//                                            directory of every other block of the same README
//     <!-- docs-check: vitest -->            the block is a test file: run it with vitest
//   Any other block language fails until it is marked.
//
// Each block runs in its own directory under node_modules/.cache/docs-check/run-*/ (so bare imports resolve to the
// blocks' node_modules there), with a timeout (30 s; 90 s for vitest blocks). The run directory is removed at the end,
// also on SIGINT/SIGTERM, with every process the blocks started.
//
// Usage: node scripts/docs-check.mjs [--timeout SECONDS] [--keep] [--root DIR] [README…]   (default: every README)
// --root: the workspace (default: this script's repository); --keep: keep the run directory, to debug a block there.
// Prints one line per block (ok, skip (reason), FAIL file:line: message) as soon as it is known, then a summary.
// Exit codes: 0 every block passed or is skipped, 1 a block failed, 2 the check itself cannot run (packages not built).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DEPENDENCY_FIELDS, readWorkspace } from './check-cycles.mjs'

const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url))
const DEFAULT_ROOT = resolve(SCRIPT_DIR, '..')
const FIXTURES_DIR = join(SCRIPT_DIR, 'docs-fixtures')
const DEFAULT_TIMEOUT_MS = 30_000
/** vitest starts a whole runner, and a conformance suite does real I/O. */
const VITEST_TIMEOUT_FACTOR = 3
const MARKER = /^<!--\s*docs-check:(.*?)-->$/
/** What looks meant as a marker, colon or not, so that a misspelt one is reported rather than ignored. */
const MARKER_LIKE = /^<!--\s*docs-check\b.*-->$/
const SCRIPT_LANGUAGES = new Map([['ts', 'ts'], ['typescript', 'ts'], ['mts', 'ts'], ['js', 'js'], ['javascript', 'js'], ['mjs', 'js']])
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell'])
const FIXTURE_NAME = /^[a-z0-9][a-z0-9-]*$/
const USAGE = 'usage: node scripts/docs-check.mjs [--timeout SECONDS] [--keep] [--root DIR] [README…]'

// ─── Markdown ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * One `docs-check:` marker, from the text between `<!--` and `-->`. Returns `{ skip: reason }`, `{ setup: names }`,
 * `{ file: path }`, `{ vitest: true }`, or `{ error }` saying what is wrong with it.
 */
export function parseMarker(text) {
  const match = /^\s*([a-z-]+)(.*)$/s.exec(text.trim())
  const directive = match?.[1]
  const rest = (match?.[2] ?? '').trim()
  switch (directive) {
    case 'skip': {
      const reason = rest.replace(/^(?:—|–|-{1,2}|:)\s*/, '').trim()
      if (reason === '' || /^(?:—|–|-+|:)$/.test(rest)) {
        return { error: 'a skip marker needs a reason: <!-- docs-check: skip — <why this block cannot run> -->' }
      }
      return { skip: reason }
    }
    case 'setup': {
      const names = rest.split(/[\s,]+/).filter(Boolean)
      if (names.length === 0) return { error: 'a setup marker names a fixture: <!-- docs-check: setup <name> -->' }
      const bad = names.find((name) => !FIXTURE_NAME.test(name))
      if (bad !== undefined) return { error: `"${bad}" is not a fixture name (lower-case letters, digits and -)` }
      return { setup: names }
    }
    case 'file': {
      const path = rest
      if (path === '' || /\s/.test(path)) return { error: 'a file marker names one relative path: <!-- docs-check: file views/home.njk -->' }
      if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) return { error: `the file path "${path}" must stay inside the block's directory` }
      return { file: path }
    }
    case 'vitest':
      if (rest !== '') return { error: `the vitest marker takes no argument, got "${rest}"` }
      return { vitest: true }
    default:
      return { error: `unknown docs-check marker "${text.trim()}" (skip — <reason>, setup <name>, file <path> or vitest)` }
  }
}

/**
 * Every fenced block of a Markdown text, in order: `{ file, line, lang, code, markers, problems }`, where `line` is the
 * 1-based line of the opening fence, `code` the content (dedented by the fence's indentation) and `markers` what the
 * `docs-check:` comments right above the fence say (`skip`, `setups`, `file`, `vitest`), and `problems` what is wrong
 * with them (or an unclosed fence). `strays` lists the marker lines that are not right above a fence, which would
 * silently do nothing (a marker shown inside a code block or mentioned in prose is not one).
 */
export function extractBlocks(markdown, file) {
  const lines = markdown.split(/\r?\n/)
  const blocks = []
  const strays = []
  const used = new Set()
  const inside = new Set()
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/.exec(lines[index])
    if (open === null) continue
    const [, indent, fence, info] = open
    const code = []
    let end = index + 1
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    while (end < lines.length && !close.test(lines[end])) {
      inside.add(end)
      const text = lines[end]
      code.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart())
      end++
    }
    const block = { file, line: index + 1, lang: info.toLowerCase(), code: code.join('\n'), markers: { setups: [] }, problems: [] }
    if (end === lines.length) block.problems.push('the fence is never closed')
    // The markers: the run of one-line HTML comments directly above the fence.
    for (let above = index - 1; above >= 0 && /^\s*<!--.*-->\s*$/.test(lines[above]); above--) {
      const comment = lines[above].trim()
      if (!MARKER_LIKE.test(comment)) continue
      used.add(above)
      const marker = MARKER.exec(comment)
      if (marker === null) {
        block.problems.push(`line ${above + 1}: a marker is written <!-- docs-check: skip — <reason> --> (with the colon)`)
        continue
      }
      const parsed = parseMarker(marker[1])
      if (parsed.error !== undefined) block.problems.push(`line ${above + 1}: ${parsed.error}`)
      else if (parsed.skip !== undefined) block.markers.skip = parsed.skip
      else if (parsed.setup !== undefined) block.markers.setups.unshift(...parsed.setup)
      else if (parsed.file !== undefined) block.markers.file = parsed.file
      else if (parsed.vitest) block.markers.vitest = true
    }
    blocks.push(block)
    index = end
  }
  lines.forEach((text, index) => {
    if (MARKER_LIKE.test(text.trim()) && !used.has(index) && !inside.has(index)) {
      strays.push({ file, line: index + 1, message: 'this docs-check marker is not on the line right before a fence, so it applies to nothing' })
    }
  })
  return { blocks, strays }
}

/**
 * What the check does with a block: `skip`, `file` (a file for the other blocks), `script` (ts/js), `shell`, `json`,
 * or `{ kind: 'invalid', message }`.
 */
export function classifyBlock(block) {
  const { markers, lang } = block
  const invalid = (message) => ({ kind: 'invalid', message })
  if (block.problems.length > 0) return invalid(block.problems.join('; '))
  const others = [markers.setups.length > 0 && 'setup', markers.file !== undefined && 'file', markers.vitest && 'vitest'].filter(Boolean)
  if (markers.skip !== undefined) {
    return others.length > 0 ? invalid(`a skipped block takes no other marker (it also has ${others.join(', ')})`) : { kind: 'skip', reason: markers.skip }
  }
  if (markers.file !== undefined) {
    if (markers.setups.length > 0 || markers.vitest) return invalid('a file block is written, not run: it takes no setup or vitest marker')
    return { kind: 'file', path: markers.file }
  }
  const language = SCRIPT_LANGUAGES.get(lang)
  if (language !== undefined) return { kind: 'script', language }
  if (markers.setups.length > 0 || markers.vitest) return invalid(`setup and vitest markers apply to ts/js blocks, not to a ${lang || 'plain'} block`)
  if (SHELL_LANGUAGES.has(lang)) return { kind: 'shell' }
  if (lang === 'json') return { kind: 'json' }
  return invalid(
    `a ${lang === '' ? 'fence without a language' : `\`\`\`${lang} block`} is not run by the docs check: give it a runnable language (ts, js, sh, json), ` +
      'or mark it <!-- docs-check: skip — <reason> --> or <!-- docs-check: file <path> -->',
  )
}

// ─── Shell blocks ──────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The simple commands of one shell line, as arrays of words: split at unquoted `&&`, `||`, `;` and `|`, up to an
 * unquoted `#` comment. Quotes are removed from words; that is all the install check needs.
 */
export function shellCommands(line) {
  const commands = [[]]
  let word = null
  let quote = null
  const endWord = () => {
    if (word !== null) commands.at(-1).push(word)
    word = null
  }
  for (let index = 0; index < line.length; index++) {
    const char = line[index]
    if (quote !== null) {
      if (char === quote) quote = null
      else if (char === '\\' && quote === '"' && index + 1 < line.length) word += line[++index]
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      word ??= ''
    } else if (char === '\\' && index + 1 < line.length) {
      word = (word ?? '') + line[++index]
    } else if (/\s/.test(char)) {
      endWord()
    } else if (char === '#' && word === null) {
      break
    } else if ('&|;'.includes(char)) {
      endWord()
      if ((char === '&' || char === '|') && line[index + 1] === char) index++
      else if (char === '&') continue // a background `&` ends the command like `;`
      if (commands.at(-1).length > 0) commands.push([])
    } else {
      word = (word ?? '') + char
    }
  }
  endWord()
  return commands.filter((command) => command.length > 0)
}

const INSTALL_SUBCOMMANDS = new Map([
  ['npm', new Set(['install', 'i', 'add', 'in'])],
  ['pnpm', new Set(['add', 'install', 'i'])],
  ['yarn', new Set(['add'])],
  ['bun', new Set(['add', 'install', 'i'])],
])

/** `{ manager, packages }` when `words` is a package-install command (`npm install -D a b@1`), else `null`. */
export function parseInstallCommand(words) {
  const [manager, subcommand, ...args] = words
  if (!INSTALL_SUBCOMMANDS.get(manager)?.has(subcommand)) return null
  const packages = args.filter((arg) => !arg.startsWith('-')).map((spec) => spec.replace(/^(@?[^@]+)@.*$/, '$1'))
  return { manager, packages }
}

/**
 * Why an install command is wrong, or `undefined`: user-facing READMEs install with npm, and name only packages the
 * workspace publishes or depends on (`known`: name → `'workspace'`, `'private'` or `'dependency'`).
 */
export function installProblem(install, known) {
  if (install.manager !== 'npm') return `user-facing install lines use npm, as every README does: npm install ${install.packages.join(' ')}`
  if (install.packages.length === 0) return 'an install line names the packages to install'
  for (const name of install.packages) {
    const kind = known.get(name)
    if (kind === undefined) return `npm install ${name}: "${name}" is neither a package of this workspace nor a dependency of one`
    if (kind === 'private') return `npm install ${name}: "${name}" is private, it is not published`
  }
  return undefined
}

/**
 * A shell block made ready to run: install lines (checked with `known`) become `:` so line numbers stay, and
 * `problems` lists what is wrong (`{ line, message }`, `line` 1-based within the block). `installs` lists the
 * install lines checked.
 */
export function prepareShell(code, known) {
  const lines = code.split('\n')
  const problems = []
  const installs = []
  for (let start = 0; start < lines.length; start++) {
    let end = start
    while (/(^|[^\\])\\$/.test(lines[end]) && end + 1 < lines.length) end++
    const logical = lines.slice(start, end + 1).map((text, index) => (index < end - start ? text.slice(0, -1) : text)).join(' ')
    const commands = shellCommands(logical)
    const install = commands.length === 0 ? null : parseInstallCommand(commands[0])
    const mixed = commands.filter((words) => parseInstallCommand(words) !== null)
    if (mixed.length > 0 && commands.length > 1) {
      const named = mixed.map((words) => `"${words.join(' ')}"`).join(', ')
      problems.push({ line: start + 1, message: `put ${named} on a line of its own: install lines are checked, not run, so they cannot be chained` })
    } else if (install !== null) {
      const problem = installProblem(install, known)
      if (problem !== undefined) problems.push({ line: start + 1, message: problem })
      installs.push(commands[0].join(' '))
      for (let line = start; line <= end; line++) lines[line] = ':'
    }
    start = end
  }
  return { script: lines.join('\n'), installs, problems }
}

// ─── Scripts ───────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The source the check compiles for a ts/js block: its fixtures, the block, and `export {}` (so every block is a
 * module: top-level await works and names never clash between blocks). `locate(lineIndex)` maps a 0-based line of
 * that source back to `{ file, line }`: the README line, or the fixture's.
 */
export function composeScript(block, fixtures) {
  const parts = []
  const segments = []
  let offset = 0
  for (const fixture of fixtures) {
    const text = fixture.text.replace(/\n+$/, '')
    segments.push({ start: offset, file: fixture.file, firstLine: 1 })
    parts.push(text)
    offset += text.split('\n').length
  }
  segments.push({ start: offset, file: block.file, firstLine: block.line + 1 })
  parts.push(block.code, 'export {}\n')
  const blockLines = block.code.split('\n').length
  const locate = (lineIndex) => {
    const segment = segments.findLast((candidate) => candidate.start <= lineIndex)
    const line = segment.firstLine + lineIndex - segment.start
    if (segment.file === block.file && lineIndex - segment.start >= blockLines) return { file: block.file, line: block.line }
    return { file: segment.file, line }
  }
  return { text: parts.join('\n'), locate }
}

// ─── The workspace ─────────────────────────────────────────────────────────────────────────────────────────────

/** The READMEs checked by default, relative to `root`: README.md, packages/*\/README.md, apps/*\/README.md. */
export function defaultReadmes(root) {
  const found = existsSync(join(root, 'README.md')) ? ['README.md'] : []
  for (const parent of ['packages', 'apps']) {
    if (!existsSync(join(root, parent))) continue
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'README.md'))) found.push(`${parent}/${entry.name}/README.md`)
    }
  }
  return found
}

/**
 * `known` for install lines (name → `'workspace'`, `'private'` or `'dependency'`), and `links`: where each
 * `@convoy/*` package and each third-party dependency of a workspace package lives, for the blocks' node_modules
 * (third-party packages the root node_modules already has are left to it).
 */
export function workspaceIndex(root) {
  const packages = readWorkspace(root)
  const known = new Map()
  const links = new Map()
  for (const { name, dir, manifest } of packages) {
    known.set(name, manifest.private === true ? 'private' : 'workspace')
    links.set(name, join(root, dir))
  }
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  for (const { dir, manifest } of [...packages, { dir: '.', manifest: rootManifest }]) {
    for (const field of DEPENDENCY_FIELDS) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        if (!known.has(name)) known.set(name, 'dependency')
        const installed = join(root, dir, 'node_modules', name)
        if (!links.has(name) && existsSync(installed) && !existsSync(join(root, 'node_modules', name))) links.set(name, installed)
      }
    }
  }
  return { known, links }
}

// ─── Running ───────────────────────────────────────────────────────────────────────────────────────────────────

const children = new Set()

/** Runs a command in its own process group, so a timeout or Ctrl-C ends everything it started. */
function run(command, args, { cwd, env, timeoutMs }) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let settled = false
    const finish = (code, signal) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      children.delete(child)
      // Whatever the block left running in its group (a server it forgot) goes with it.
      killGroup(child)
      resolvePromise({ code, signal, stdout, stderr, timedOut })
    }
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, timeoutMs)
    child.on('error', (error) => {
      stderr += `${error.message}\n`
      if (child.pid === undefined) finish(null, null) // it never started, so no close event comes
    })
    child.on('close', finish)
  })
}

function killGroup(child) {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // The group is gone already.
  }
}

/** A few lines of a failed block's output, indented under its FAIL line, with the run directory's paths shortened. */
function excerpt(text, runDir, limit = 12) {
  const lines = text.replaceAll(runDir + sep, '').split('\n').filter((line) => line.trim() !== '')
  const kept = lines.length > limit ? [...lines.slice(0, limit - 1), `… (${lines.length - limit + 1} more lines)`] : lines
  return kept.map((line) => `      ${line}`)
}

/** The line of a failure's output that says what went wrong: an `…Error:` line, a docs-check line, or the first. */
function headline(output) {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean)
  return lines.find((line) => /^(?:docs-check:|[\w.]*Error\b|\[?ERR_)/.test(line)) ?? lines[0] ?? 'no output'
}

function loadTypeScript(root) {
  try {
    return createRequire(join(root, 'package.json'))('typescript')
  } catch (error) {
    throw new Error(`cannot load the repository's TypeScript (${error.message}): run pnpm install`)
  }
}

/**
 * Type-checks and emits every script block at once (one program is much faster than one per block). Returns the
 * diagnostics of each block's source (`byFile`: absolute path → `{ line, message }[]`, `line` 0-based) and those that
 * belong to no block (`general`).
 */
function compileScripts(ts, runDir, sources) {
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      types: ['node'],
      skipLibCheck: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      forceConsistentCasingInFileNames: true,
      allowJs: true,
      checkJs: true,
      rootDir: 'src',
      outDir: 'emit',
      sourceMap: true,
      noEmitOnError: false,
    },
    files: sources.map((source) => `src/${source.name}`),
  }
  // On disk too, so a failure can be reproduced with `npx tsc -p <run dir> --noEmit` in a run kept with --keep.
  writeFileSync(join(runDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`)
  const parsed = ts.parseJsonConfigFileContent(tsconfig, ts.sys, runDir)
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options })
  const ours = new Set(sources.map((source) => join(runDir, 'src', source.name)))
  const byFile = new Map()
  const general = []
  for (const diagnostic of [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics]) {
    const message = `${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').replaceAll(/\n\s*/g, ' ')} [TS${diagnostic.code}]`
    const file = diagnostic.file === undefined ? undefined : resolve(diagnostic.file.fileName)
    if (file === undefined || !ours.has(file)) {
      general.push(file === undefined ? message : `${file}: ${message}`)
      continue
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    byFile.set(file, [...(byFile.get(file) ?? []), { line, message }])
  }
  return { byFile, general }
}

/** The command `.ci/run` ends with (what CI runs), or `undefined` without one. */
function ciCommandOf(root) {
  const file = join(root, '.ci', 'run')
  if (!existsSync(file)) return undefined
  return readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')).at(-1)
}

/** Why the root README's opening commands are not run by this check. */
const ROOT_COMMANDS_REASON = 'verified by CI itself: .ci/run runs the second command exactly as written, and the demo the first one starts is collected, served and loaded in Chromium by apps/demo\'s browser test, part of pnpm check'

// ─── The check ─────────────────────────────────────────────────────────────────────────────────────────────────

/** `{ block, plan }` for every block (and every stray marker) of the READMEs, in order. */
function planBlocks(readmes, display, ciCommand) {
  const items = []
  for (const readme of readmes) {
    const { blocks, strays } = extractBlocks(readFileSync(readme, 'utf8'), display(readme))
    // The root README opens with exactly the two commands a fresh machine runs, with no marker above them (the first
    // lines of the README are those commands): CI checks them itself, as long as the block holds the very command
    // .ci/run runs.
    const opening = blocks[0]
    const unmarked = opening !== undefined && Object.keys(opening.markers).every((key) => key === 'setups')
    if (display(readme) === 'README.md' && opening?.line === 1 && unmarked && ciCommand !== undefined && opening.code.split('\n').includes(ciCommand)) opening.markers.skip = ROOT_COMMANDS_REASON
    const own = [
      ...strays.map((stray) => ({ block: { file: stray.file, line: stray.line, lang: 'marker' }, plan: { kind: 'invalid', message: stray.message } })),
      ...blocks.map((block) => ({ block, plan: classifyBlock(block) })),
    ]
    items.push(...own.sort((a, b) => a.block.line - b.block.line))
  }
  // The file blocks of each README, written for its other blocks.
  const filesOf = new Map()
  for (const item of items) {
    if (item.plan.kind !== 'file') continue
    const own = filesOf.get(item.block.file) ?? new Map()
    const earlier = own.get(item.plan.path)
    if (earlier !== undefined) item.plan = { kind: 'invalid', message: `${item.plan.path} is already the file of the block on line ${earlier.line}` }
    else filesOf.set(item.block.file, own.set(item.plan.path, item.block))
  }
  return { items, filesOf }
}

/**
 * The run directory: the blocks' node_modules (the workspace's packages and their dependencies), a package.json
 * making them ES modules, and a bin folder with the workspace's `convoy` and an `npx` that only runs it (nothing is
 * ever fetched from the registry). Returns the environment blocks run with.
 */
function prepareRunDirectory(runDir, links, cli) {
  mkdirSync(join(runDir, 'src'), { recursive: true })
  writeFileSync(join(runDir, 'package.json'), '{ "private": true, "type": "module" }\n')
  for (const [name, target] of links) {
    mkdirSync(dirname(join(runDir, 'node_modules', name)), { recursive: true })
    symlinkSync(target, join(runDir, 'node_modules', name), 'dir')
  }
  const bin = join(runDir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'convoy'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`)
  writeFileSync(
    join(bin, 'npx'),
    [
      '#!/bin/sh',
      "# docs-check: only the workspace's own convoy runs through npx here.",
      'if [ "$1" = convoy ]; then shift; exec convoy "$@"; fi',
      'echo "docs-check: npx $1: not a bin of this workspace (only npx convoy runs here)" >&2',
      'exit 127',
      '',
    ].join('\n'),
  )
  chmodSync(join(bin, 'convoy'), 0o755)
  chmodSync(join(bin, 'npx'), 0o755)
  // TMPDIR inside the run directory: whatever a block leaves in os.tmpdir() goes with it.
  mkdirSync(join(runDir, 'tmp'))
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, TMPDIR: join(runDir, 'tmp'), NODE_ENV: 'production', NO_COLOR: '1' }
  delete env.NODE_OPTIONS
  delete env.FORCE_COLOR
  return env
}

/** Each script block's source in `src/` (fixtures prepended), or the plan turned invalid when a fixture is missing. */
function writeSources(items, runDir, display) {
  const sources = new Map()
  items.forEach((item, index) => {
    const { block, plan } = item
    if (plan.kind !== 'script') return
    const extension = plan.language === 'ts' ? '.ts' : '.mjs'
    const fixtures = []
    for (const name of block.markers.setups) {
      const path = join(FIXTURES_DIR, `${name}${extension}`)
      if (!existsSync(path)) {
        item.plan = { kind: 'invalid', message: `setup ${name}: there is no ${display(path)} (a ${plan.language} block takes a ${extension} fixture)` }
        return
      }
      fixtures.push({ file: display(path), text: readFileSync(path, 'utf8') })
    }
    const slug = block.file.replace(/(^|\/)README\.md$/i, '').replaceAll(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root'
    const name = `${slug}-L${block.line}${extension}`
    const composed = composeScript(block, fixtures)
    writeFileSync(join(runDir, 'src', name), composed.text)
    sources.set(index, { name, block, ...composed })
  })
  return sources
}

/** A block's directory: a copy of the collected site, plus the file blocks of its README. */
function workDirectory(context, index, block) {
  const dir = join(context.runDir, 'work', String(index))
  cpSync(context.site, dir, { recursive: true })
  for (const [path, fileBlock] of context.filesOf.get(block.file) ?? []) {
    if (fileBlock === block) continue
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), fileBlock.code.endsWith('\n') ? fileBlock.code : `${fileBlock.code}\n`)
  }
  return dir
}

function checkData(block, plan) {
  if (block.lang === 'json') {
    try {
      JSON.parse(block.code)
    } catch (error) {
      return { status: 'fail', message: `invalid JSON: ${error.message}` }
    }
  }
  return { status: 'ok', detail: plan.kind === 'file' ? `file ${plan.path}, for the other blocks of this README` : 'parsed' }
}

/** Runs with bash, -e and pipefail; an ERR trap names the line that failed. Install lines are checked instead. */
async function checkShell(context, index, block) {
  const { script, installs, problems } = prepareShell(block.code, context.known)
  if (problems.length > 0) return { status: 'fail', line: block.line + problems[0].line, message: problems.map((problem) => problem.message).join('; ') }
  const installed = installs.length > 0 ? `${installs.join('; ')}: checked, not run` : ''
  if (script.split('\n').every((line) => /^\s*(?::\s*)?(?:#.*)?$/.test(line))) return { status: 'ok', detail: installed }
  const dir = workDirectory(context, index, block)
  const prologue = ['set -eo pipefail', 'trap \'echo "docs-check: line $((LINENO - 3)) failed with exit code $?" >&2\' ERR', '']
  writeFileSync(join(dir, '.docs-check-block.sh'), [...prologue, script, ''].join('\n'))
  const result = await run('bash', ['.docs-check-block.sh'], { cwd: dir, env: context.env, timeoutMs: context.timeoutMs })
  if (result.timedOut) return { status: 'fail', message: `timed out after ${context.timeoutMs / 1000} s`, details: excerpt(result.stderr, context.runDir) }
  if (result.code !== 0) {
    const failed = /^docs-check: line (\d+) failed.*\n?/m.exec(result.stderr)
    return {
      status: 'fail',
      line: failed === null ? undefined : block.line + Number(failed[1]),
      message: `exited with code ${result.code ?? result.signal}`,
      details: excerpt(result.stderr.replace(failed?.[0] ?? '', '') || result.stdout, context.runDir),
    }
  }
  return { status: 'ok', detail: [installed, 'ran'].filter(Boolean).join('; ') }
}

/** Reports the block's type errors, or runs it (with Node, or vitest for a test file) in its directory. */
async function checkScript(context, index, block) {
  const source = context.sources.get(index)
  const where = ({ file, line }) => ({ line: file === block.file ? line : undefined, prefix: file === block.file ? '' : `${file}:${line}: ` })
  const problems = context.compiled.byFile.get(join(context.runDir, 'src', source.name)) ?? []
  if (problems.length > 0) {
    const located = problems.map((problem) => ({ ...source.locate(problem.line), message: problem.message }))
    const first = where(located[0])
    return {
      status: 'fail',
      line: first.line,
      message: `${first.prefix}${located[0].message}`,
      details: located.slice(1).map((problem) => `      ${problem.file}:${problem.line}: ${problem.message}`),
    }
  }
  const dir = workDirectory(context, index, block)
  const probeLog = join(context.runDir, 'work', `${index}.probe`)
  const env = { ...context.env, DOCS_CHECK_PROBE_LOG: probeLog }
  const vitest = block.markers.vitest === true
  const timeoutMs = vitest ? context.timeoutMs * VITEST_TIMEOUT_FACTOR : context.timeoutMs
  let result
  let sourceName = source.name
  if (vitest) {
    // vitest compiles the TypeScript itself; it finds the test by this name.
    sourceName = 'docs-check-block.test.ts'
    writeFileSync(join(dir, sourceName), source.text)
    const cli = join(context.root, 'node_modules', 'vitest', 'vitest.mjs')
    result = await run(process.execPath, [cli, 'run', '--root', dir, '--reporter', 'dot', sourceName], { cwd: dir, env, timeoutMs })
  } else {
    const emitted = join(context.runDir, 'emit', source.name.replace(/\.ts$/, '.js'))
    result = await run(process.execPath, ['--enable-source-maps', '--import', context.probe, emitted], { cwd: dir, env, timeoutMs })
  }
  const output = vitest ? result.stdout + result.stderr : result.stderr || result.stdout
  if (result.timedOut) return { status: 'fail', message: `timed out after ${timeoutMs / 1000} s`, details: excerpt(output, context.runDir) }
  if (result.code !== 0) {
    // The first stack frame in the block's own source says which README (or fixture) line threw.
    const frame = new RegExp(`${sourceName.replaceAll('.', '\\.')}:(\\d+)`).exec(output)
    const failed = where(frame === null ? { file: block.file, line: block.line } : source.locate(Number(frame[1]) - 1))
    return {
      status: 'fail',
      line: failed.line,
      message: `${failed.prefix}exited with code ${result.code ?? result.signal}: ${headline(output)}`,
      details: excerpt(output, context.runDir),
    }
  }
  const tests = vitest ? /Tests\s+(.+?)\s*$/m.exec(result.stdout)?.[1] : undefined
  const answered = existsSync(probeLog) ? readFileSync(probeLog, 'utf8').trim().split('\n').join('; ') : ''
  const setup = block.markers.setups.length > 0 ? `setup ${block.markers.setups.join(', ')}` : ''
  return { status: 'ok', detail: [vitest ? `type-checked, vitest: ${tests ?? 'passed'}` : 'type-checked, ran', setup, answered].filter(Boolean).join('; ') }
}

function checkBlock(context, index) {
  const { block, plan } = context.items[index]
  switch (plan.kind) {
    case 'invalid':
      return { status: 'fail', message: plan.message }
    case 'skip':
      return { status: 'skip', reason: plan.reason }
    case 'json':
    case 'file':
      return checkData(block, plan)
    case 'shell':
      return checkShell(context, index, block)
    case 'script':
      return checkScript(context, index, block)
    default:
      throw new Error(`docs-check: no check for blocks of kind ${plan.kind}`)
  }
}

function formatResult(block, result) {
  const where = `${block.file}:${result.line ?? block.line}`
  const lang = block.lang || 'plain'
  // Slow blocks say so: they are what makes the whole check slow.
  const slow = result.seconds >= 2 ? ` (${result.seconds.toFixed(1)} s)` : ''
  if (result.status === 'ok') return `ok    ${where}  ${lang}${result.detail ? `  ${result.detail}` : ''}${slow}`
  if (result.status === 'skip') return `skip  ${where}  ${lang}  (${result.reason})`
  return [`FAIL  ${where}: ${result.message}`, ...(result.details ?? [])].join('\n')
}

/**
 * Checks the blocks of `files` (paths relative to `root`, or absolute) and prints each result through `print`, in
 * README order, as soon as it and every block before it are done. Returns `{ code, results }`.
 */
export async function checkDocs({ root = DEFAULT_ROOT, files = defaultReadmes(root), timeoutMs = DEFAULT_TIMEOUT_MS, keep = false, print = console.log } = {}) {
  const started = performance.now()
  const cli = join(root, 'packages', 'core', 'dist', 'cli.js')
  if (!existsSync(cli)) {
    print(`docs-check: ${relative(root, cli)} is missing: build the packages first (pnpm turbo run build)`)
    return { code: 2, results: [] }
  }
  const display = (file) => (relative(root, file).startsWith('..') ? file : relative(root, file))
  const readmes = [...new Set(files.map((file) => resolve(root, file)))]
  const missing = readmes.find((readme) => !existsSync(readme))
  if (missing !== undefined) {
    print(`docs-check: no such file: ${display(missing)}`)
    return { code: 2, results: [] }
  }
  const { items, filesOf } = planBlocks(readmes, display, ciCommandOf(root))
  const { known, links } = workspaceIndex(root)

  const cacheDir = join(root, 'node_modules', '.cache', 'docs-check')
  const runDir = join(cacheDir, `run-${process.pid}-${randomBytes(4).toString('hex')}`)
  const cleanup = () => {
    for (const child of children) killGroup(child)
    if (keep) return
    rmSync(runDir, { recursive: true, force: true })
    try {
      rmdirSync(cacheDir) // only when empty: another run may be using it
    } catch {
      // Not empty, or gone already.
    }
  }
  const onSignal = (signal) => {
    cleanup()
    print(`docs-check: interrupted by ${signal}${keep ? `; kept ${runDir}` : ''}`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', cleanup)

  const results = new Array(items.length)
  let programFailed = false
  try {
    const env = prepareRunDirectory(runDir, links, cli)
    // The site every block starts from, collected once while the blocks are type-checked.
    const site = join(runDir, 'site')
    cpSync(join(FIXTURES_DIR, 'site'), site, { recursive: true })
    const collecting = run(process.execPath, [cli, 'collect', '--source', 'static', '--out', 'public/static', '--quiet'], { cwd: site, env, timeoutMs: 60_000 })

    const sources = writeSources(items, runDir, display)
    const compiled = sources.size === 0 ? { byFile: new Map(), general: [] } : compileScripts(loadTypeScript(root), runDir, [...sources.values()])
    if (compiled.general.length > 0) {
      programFailed = true
      print(['FAIL  the TypeScript program of the blocks has problems that belong to no block:', ...compiled.general.map((line) => `      ${line}`)].join('\n'))
    }
    const collected = await collecting
    if (collected.code !== 0) {
      print([`docs-check: collecting the fixture site (${display(join(FIXTURES_DIR, 'site'))}) failed:`, ...excerpt(collected.stderr + collected.stdout, runDir)].join('\n'))
      return { code: 2, results: [] }
    }

    const probe = pathToFileURL(join(FIXTURES_DIR, 'lib', 'listen-probe.mjs')).href
    const context = { root, runDir, site, env, known, items, filesOf, sources, compiled, probe, timeoutMs }
    let printed = 0
    let next = 0
    // Two blocks at a time: the machines this runs on have two cores, and most blocks are a Node start-up.
    const worker = async () => {
      while (next < items.length) {
        const index = next++
        const blockStarted = performance.now()
        results[index] = { ...(await checkBlock(context, index)), seconds: (performance.now() - blockStarted) / 1000 }
        for (; printed < items.length && results[printed] !== undefined; printed++) print(formatResult(items[printed].block, results[printed]))
      }
    }
    await Promise.all([worker(), worker()])
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('exit', cleanup)
    cleanup()
  }

  const count = (status) => results.filter((result) => result.status === status).length
  const failed = count('fail')
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  print(
    `docs-check: ${plural(items.length, 'block')} in ${plural(readmes.length, 'README')}: ${count('ok')} ok, ${count('skip')} skipped, ${failed} failed (${seconds} s)` +
      (keep ? `; kept ${runDir}` : ''),
  )
  return { code: failed > 0 || programFailed ? 1 : 0, results }
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function parseArguments(argv) {
  const options = { files: [], timeoutMs: DEFAULT_TIMEOUT_MS, keep: false, root: DEFAULT_ROOT }
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    if (arg === '--keep') options.keep = true
    else if (arg === '--root') {
      if (argv[index + 1] === undefined) throw new Error('--root takes the workspace directory')
      options.root = resolve(argv[++index])
    }
    else if (arg === '--timeout') {
      const seconds = Number(argv[++index])
      if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--timeout takes a number of seconds, got "${argv[index]}"`)
      options.timeoutMs = seconds * 1000
    } else if (arg === '--help' || arg === '-h') {
      return { help: true }
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`)
    else options.files.push(arg)
  }
  return options
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let options
  try {
    options = parseArguments(process.argv.slice(2))
  } catch (error) {
    console.error(`docs-check: ${error.message}\n${USAGE}`)
    process.exit(2)
  }
  if (options.help) {
    console.log(`${USAGE}\nChecks every fenced block of the READMEs; see the comment at the top of scripts/docs-check.mjs.`)
  } else {
    try {
      const { code } = await checkDocs({ ...options, files: options.files.length > 0 ? options.files : undefined })
      process.exitCode = code
    } catch (error) {
      console.error(`docs-check: ${error.stack ?? error}`)
      process.exitCode = 2
    }
  }
}
