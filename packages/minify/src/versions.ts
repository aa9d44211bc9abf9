import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** The packages whose version changes minified output; optional ones are listed only when installed. */
const ENGINE_PACKAGES = ['terser', 'clean-css', '@swc/core', 'lightningcss'] as const

let versions: Readonly<Record<string, string>> | undefined

/**
 * The installed versions of the minifier engines, keyed by package name, for cache keys: a new engine version
 * must never reuse output of an old one. Read from package.json files without loading the engines; memoized.
 *
 * @example
 * engineVersions() // { terser: '5.51.2', 'clean-css': '5.3.3', lightningcss: '1.33.0' }
 */
export function engineVersions(): Readonly<Record<string, string>> {
  versions ??= Object.freeze(
    Object.fromEntries(
      ENGINE_PACKAGES.flatMap((name) => {
        const version = installedVersion(name)
        return version === undefined ? [] : [[name, version]]
      }),
    ),
  )
  return versions
}

function installedVersion(name: string): string | undefined {
  let entry: string
  try {
    entry = require.resolve(name)
  } catch {
    return undefined
  }
  // Some packages (lightningcss) do not export ./package.json, so walk up from their entry point instead.
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    let text: string
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8')
    } catch {
      continue
    }
    const manifest = JSON.parse(text) as { name?: unknown; version?: unknown }
    if (manifest.name === name && typeof manifest.version === 'string') return manifest.version
  }
  return undefined
}
