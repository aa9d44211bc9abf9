// Runs `convoy collect` (the CLI of @convoy/core) for the example, as a child process, the way a deploy would.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { APP_DIR } from './app.js'

const run = promisify(execFile)

/**
 * The `convoy` command's script, from @convoy/core's `bin`. (Not `node_modules/.bin/convoy`: on a fresh clone pnpm
 * cannot link that bin, because @convoy/core's `dist/` is only built after `pnpm install`.)
 */
export function convoyCli() {
  const manifestPath = createRequire(import.meta.url).resolve('@convoy/core/package.json')
  const { bin } = /** @type {{ bin: { convoy: string } }} */ (JSON.parse(readFileSync(manifestPath, 'utf8')))
  return join(dirname(manifestPath), bin.convoy)
}

/**
 * `convoy collect --config convoy.config.mjs` in the app's folder, plus `args` (e.g. `['--out', dir]`). Resolves
 * with the command's output; rejects with it when the exit code is not 0.
 *
 * @param {{ args?: string[] }} [options]
 */
export async function runCollect({ args = [] } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [convoyCli(), 'collect', '--config', 'convoy.config.mjs', ...args], {
      cwd: APP_DIR,
      maxBuffer: 16 * 1024 * 1024,
    })
    return `${stdout}${stderr}`
  } catch (error) {
    const { stdout = '', stderr = '', message } = /** @type {{ stdout?: string, stderr?: string, message: string }} */ (error)
    throw new Error(`@convoy/example-fastify: convoy collect failed: ${message}\n${stdout}${stderr}`, { cause: error })
  }
}
