import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as layout from './layout.js'
import * as main from './index.js'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))

/** Every bare specifier (package or node: builtin) the built file `entry` imports, following its own chunks. */
function packagesImportedBy(entry: string): Set<string> {
  const found = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const code = readFileSync(file, 'utf8')
    for (const [, specifier] of code.matchAll(/(?:^|[;\s])(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["']([^"']+)["']/gm)) {
      if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!))
      else found.add(specifier!)
    }
  }
  visit(join(dist, entry))
  return found
}

describe('@convoy/carpool/layout', () => {
  it('loads no postcss, no bundle builder and no compressor: only errors, hash, storage and node builtins', () => {
    expect(existsSync(join(dist, 'layout.js'))).toBe(true)
    expect(existsSync(join(dist, 'layout.d.ts'))).toBe(true)
    const imported = [...packagesImportedBy('layout.js')]
    expect(imported.filter((name) => !['@convoy/errors', '@convoy/hash', '@convoy/storage'].includes(name) && !name.startsWith('node:'))).toEqual([])
  })

  it('the check above sees what the main entry loads (so it can fail)', () => {
    expect(packagesImportedBy('index.js')).toContain('postcss')
  })

  it('is re-exported, the same functions, by the main entry', () => {
    for (const [name, value] of Object.entries(layout)) expect([name, (main as Record<string, unknown>)[name]]).toEqual([name, value])
  })
})
