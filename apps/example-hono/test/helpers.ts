// Shared by the tests: a real `convoy collect` into a temporary folder, and the example started on it.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { convoyCli } from '../scripts/convoy-cli.mjs'
import { APP_DIR, startExample, type RunningExample } from '../src/app.js'

const run = promisify(execFile)

/** A fingerprinted URL under /static/: `name.<12 hex>[.cmin].ext`, or a carpool bundle. */
export const FINGERPRINTED = /^\/static\/(?:CARPOOL\/(?:css|js)\/[0-9a-f]{12}\.cmin\.(?:css|js)|(?:[^?#]*\/)?[^/?#]+\.[0-9a-f]{12}(?:\.cmin)?\.[A-Za-z0-9]+)$/

export interface Collected {
  /** The folder collect wrote. */
  readonly out: string
  readonly example: RunningExample
  readonly close: () => Promise<void>
}

/** `convoy collect --config convoy.config.mjs --out <temp>` as a deploy runs it, then the example on an ephemeral port. */
export async function collectAndStart(): Promise<Collected> {
  const out = await mkdtemp(join(tmpdir(), 'convoy-example-hono-'))
  try {
    await run(process.execPath, [convoyCli(), 'collect', '--config', 'convoy.config.mjs', '--out', out, '--quiet'], { cwd: APP_DIR, maxBuffer: 16 * 1024 * 1024 })
    const example = await startExample({ out, port: 0 })
    return {
      out,
      example,
      close: async () => {
        try {
          await example.close()
        } finally {
          await rm(out, { recursive: true, force: true })
        }
      },
    }
  } catch (error) {
    await rm(out, { recursive: true, force: true })
    throw error
  }
}

/** The URLs under /static/ of a page: linked (`href`, `src`) or listed (`<code>`). */
export function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:(?:href|src)="|<code>)(\/static\/[^"<]+)/g)].map((match) => match[1] as string)
}
