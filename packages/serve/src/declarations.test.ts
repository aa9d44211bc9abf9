import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { describe, expect, it } from 'vitest'

// `@convoy/serve` installed alone (no `@convoy/core`) must typecheck and run: everything its built files import is a
// Node built-in or one of its own `dependencies`. Checked on `dist`, what users get.
const DIST = new URL('../dist/', import.meta.url)

/** Every module specifier a built file names: static and dynamic imports, re-exports, `require`. */
function specifiersOf(text: string): Set<string> {
  const found = new Set<string>()
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\(\s*["']([^"']+)["']\s*\)/g, /\brequire\(\s*["']([^"']+)["']\s*\)/g]
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.add(match[1]!)
  return found
}

function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined
  const [first = '', second = ''] = specifier.split('/')
  const name = first.startsWith('@') ? `${first}/${second}` : first
  return builtinModules.includes(name) ? undefined : name
}

describe('the built package', () => {
  it('imports, in its declarations and its code, only Node built-ins and its own dependencies, never @convoy/core', async () => {
    expect(existsSync(DIST), 'build @convoy/serve first: pnpm turbo run build --filter=@convoy/serve...').toBe(true)
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
    const dependencies = Object.keys(manifest.dependencies)
    expect(dependencies).not.toContain('@convoy/core')
    const files = (await readdir(DIST)).filter((name) => /\.(d\.ts|js)$/.test(name))
    expect(files).toEqual(expect.arrayContaining(['index.d.ts', 'index.js']))
    for (const name of files) {
      const text = await readFile(new URL(name, DIST), 'utf8')
      expect(text, name).not.toContain('@convoy/core')
      const packages = [...specifiersOf(text)].map(packageOf).filter((found) => found !== undefined)
      if (name.endsWith('.d.ts')) expect(packages.length, `${name} imports no package at all: the scan is broken`).toBeGreaterThan(0)
      for (const found of packages) expect([name, found, dependencies.includes(found)]).toEqual([name, found, true])
    }
  })
})
