import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

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

describe('entries', () => {
  it('the main entry loads no postcss and no compressor: only errors, hash, storage and node builtins', () => {
    expect(existsSync(join(dist, 'index.js'))).toBe(true)
    const imported = [...packagesImportedBy('index.js')]
    expect(imported.filter((name) => !['@convoy/errors', '@convoy/hash', '@convoy/storage'].includes(name) && !name.startsWith('node:'))).toEqual([])
  })

  it('@convoy/carpool/build has the joiner, with postcss (so the check above can fail)', () => {
    expect(existsSync(join(dist, 'build.d.ts'))).toBe(true)
    expect(packagesImportedBy('build.js')).toContain('postcss')
  })

  it('the builder imports the joiner and the compressors when it first builds', () => {
    const builder = readFileSync(join(dist, 'index.js'), 'utf8')
    expect(builder).toMatch(/import\(["']\.\/build\.js["']\)/)
    expect(builder).toMatch(/import\(["']@convoy\/gzip["']\)/)
  })
})
