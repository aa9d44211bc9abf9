#!/usr/bin/env node
// Fails when workspace packages depend on each other in a cycle, over every dependency field (a types-only peer edge
// is still an edge: it forces publish order and makes "who owns what" ambiguous). Plain Node, no dependencies.
//
// Usage: node scripts/check-cycles.mjs [workspace root, default: the working directory]
// Exit codes: 0 no cycle, 1 cycles (each printed), 2 the workspace cannot be read.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The fields whose workspace entries are edges, in the order they are named in messages. */
export const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']

/** The `packages:` globs of a pnpm-workspace.yaml (only that list is read; `!` globs exclude). */
export function workspaceGlobs(yaml) {
  const globs = []
  let inPackages = false
  for (const raw of yaml.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '')
    if (/^\S/.test(line)) {
      inPackages = /^packages\s*:\s*$/.test(line)
      continue
    }
    const item = inPackages ? /^\s+-\s+(.+?)\s*$/.exec(line) : null
    if (item) globs.push(item[1].replace(/^(['"])(.*)\1$/, '$2'))
  }
  return globs
}

/** The folders (relative to `root`, `/`-separated) that one glob names: `dir`, `dir/*` or `dir/**`. */
function expand(root, glob) {
  const clean = glob.replace(/^\.\//, '').replace(/\/+$/, '')
  const recursive = clean.endsWith('/**')
  const base = clean.replace(/\/\*\*?$/, '')
  if (base.includes('*')) throw new Error(`unsupported glob "${glob}" (only "dir", "dir/*" and "dir/**")`)
  if (base === clean) return [base]
  const found = []
  const walk = (dir, deep) => {
    const absolute = join(root, dir)
    if (!existsSync(absolute)) return
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const child = `${dir}/${entry.name}`
      found.push(child)
      if (deep) walk(child, true)
    }
  }
  walk(base, recursive)
  return found
}

/**
 * Every workspace package of `root`: `{ name, dir, manifest }` for each folder with a package.json that the globs of
 * pnpm-workspace.yaml name (the root package itself is not one).
 */
export function readWorkspace(root) {
  const workspaceFile = join(root, 'pnpm-workspace.yaml')
  if (!existsSync(workspaceFile)) throw new Error(`no pnpm-workspace.yaml in ${root}`)
  const globs = workspaceGlobs(readFileSync(workspaceFile, 'utf8'))
  const excluded = new Set(globs.filter((glob) => glob.startsWith('!')).flatMap((glob) => expand(root, glob.slice(1))))
  const dirs = [...new Set(globs.filter((glob) => !glob.startsWith('!')).flatMap((glob) => expand(root, glob)))].filter((dir) => !excluded.has(dir))
  const packages = []
  for (const dir of dirs.sort()) {
    const file = join(root, dir, 'package.json')
    if (!existsSync(file)) continue
    let manifest
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new Error(`${relative(root, file)}: ${error.message}`)
    }
    if (typeof manifest.name === 'string') packages.push({ name: manifest.name, dir, manifest })
  }
  return packages
}

/** `Map<from, Map<to, fields[]>>`: one edge per pair of workspace packages, with every field that declares it. */
export function dependencyGraph(packages) {
  const names = new Set(packages.map((pkg) => pkg.name))
  const graph = new Map()
  for (const { name, manifest } of packages) {
    const edges = new Map()
    for (const field of DEPENDENCY_FIELDS) {
      for (const dependency of Object.keys(manifest[field] ?? {})) {
        if (!names.has(dependency)) continue
        edges.set(dependency, [...(edges.get(dependency) ?? []), field])
      }
    }
    graph.set(name, edges)
  }
  return graph
}

/**
 * Every elementary cycle of the graph, each as its list of packages starting (and ending) with its smallest name, in
 * a stable order. Workspaces are small, so a plain search from each package over the larger names is enough.
 */
export function findCycles(graph) {
  const order = [...graph.keys()].sort()
  const rank = new Map(order.map((name, index) => [name, index]))
  const cycles = []
  for (const start of order) {
    const path = [start]
    const onPath = new Set(path)
    const visit = (node) => {
      for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
        if (next === start) cycles.push([...path, start])
        else if (rank.get(next) > rank.get(start) && !onPath.has(next)) {
          path.push(next)
          onPath.add(next)
          visit(next)
          onPath.delete(next)
          path.pop()
        }
      }
    }
    visit(start)
  }
  return cycles
}

/** `a -> b (dependencies) -> a (peerDependencies)`: each step names the field(s) of the edge it follows. */
export function formatCycle(graph, cycle) {
  let text = cycle[0]
  for (let index = 1; index < cycle.length; index++) {
    text += ` -> ${cycle[index]} (${graph.get(cycle[index - 1]).get(cycle[index]).join(', ')})`
  }
  return text
}

/** Checks the workspace at `root`; returns the exit code and the lines to print (to stdout when 0, else stderr). */
export function checkCycles(root) {
  let packages
  try {
    packages = readWorkspace(root)
  } catch (error) {
    return { code: 2, lines: [`check-cycles: cannot read the workspace: ${error.message}`] }
  }
  const graph = dependencyGraph(packages)
  const cycles = findCycles(graph)
  if (cycles.length === 0) {
    const edges = [...graph.values()].reduce((sum, targets) => sum + targets.size, 0)
    return { code: 0, lines: [`check-cycles: OK, no dependency cycle between ${packages.length} workspace packages (${edges} edges)`] }
  }
  return {
    code: 1,
    lines: [
      `check-cycles: ${cycles.length} dependency ${cycles.length === 1 ? 'cycle' : 'cycles'} between workspace packages (over ${DEPENDENCY_FIELDS.join(', ')}):`,
      ...cycles.map((cycle) => `  ${formatCycle(graph, cycle)}`),
      'Break each one: move what both sides need into a package that depends on neither.',
    ],
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { code, lines } = checkCycles(resolve(process.argv[2] ?? process.cwd()))
  ;(code === 0 ? console.log : console.error)(lines.join('\n'))
  process.exitCode = code
}
