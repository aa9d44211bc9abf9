// Shared by the tests: the site collected by the real `convoy collect` into a temporary folder, and started on it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startExample } from '../src/app.js'
import { runCollect } from '../src/collect.js'

/**
 * Runs `convoy collect --out <temp>` with the app's config (sources, templates), then starts the app on it, on an
 * ephemeral port of 127.0.0.1. `close()` stops the app and removes the folder.
 */
export async function startCollectedSite() {
  const out = await mkdtemp(join(tmpdir(), 'convoy-example-fastify-'))
  try {
    await runCollect({ args: ['--out', out, '--quiet'] })
    const site = await startExample({ port: 0, out })
    return {
      ...site,
      out,
      async close() {
        try {
          await site.close()
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
