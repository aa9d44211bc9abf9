import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { MANIFEST_FILE } from '@convoy/manifest'

/** How deep below the working directory outputs are looked for (`public`, `dist/static`, `apps/web/public`). */
const DEPTH = 3
/** Folders read at most: the search only feeds a hint, it must stay instant in any tree. */
const MAX_FOLDERS = 400

/**
 * The folders under `cwd` that hold a Convoy manifest, relative to `cwd` and sorted by depth then name: where an
 * earlier `convoy collect --out DIR` wrote, so a command run without `--out` can say exactly what to pass.
 * Skips `node_modules` and dot-folders.
 */
export async function findCollectedOutputs(cwd: string): Promise<string[]> {
  const found: string[] = []
  let queue = [cwd]
  let read = 0
  for (let depth = 0; depth <= DEPTH && queue.length > 0; depth++) {
    const next: string[] = []
    for (const folder of queue) {
      if (read++ >= MAX_FOLDERS) return sorted(found)
      const entries = await readdir(folder, { withFileTypes: true }).catch(() => [])
      for (const entry of entries) {
        if (entry.isFile() && entry.name === MANIFEST_FILE) found.push(relative(cwd, folder).split('\\').join('/') || '.')
        else if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) next.push(join(folder, entry.name))
      }
    }
    queue = next.sort()
  }
  return sorted(found)
}

function sorted(paths: string[]): string[] {
  return paths.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0))
}

/** A path as one shell word: quoted when it has anything but safe characters. */
export function shellWord(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`
}
