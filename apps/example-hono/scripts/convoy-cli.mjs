// Where the `convoy` command's script is: @convoy/core's `bin`. (Not `node_modules/.bin/convoy`: on a fresh clone pnpm
// cannot link that bin, because @convoy/core's `dist/` is only built after `pnpm install`.)
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The absolute path of the `convoy` CLI script. */
export function convoyCli() {
  const manifestPath = createRequire(import.meta.url).resolve('@convoy/core/package.json')
  const { bin } = /** @type {{ bin: { convoy: string } }} */ (JSON.parse(readFileSync(manifestPath, 'utf8')))
  return join(dirname(manifestPath), bin.convoy)
}
