// `pnpm collect`: `convoy collect` (the CLI of @convoy/core) with this app's convoy.config.mjs, as a deploy runs it;
// extra arguments are passed on (`pnpm collect --dry-run`, `pnpm collect --out /tmp/x`).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { convoyCli } from './convoy-cli.mjs'

const child = spawn(process.execPath, [convoyCli(), 'collect', '--config', 'convoy.config.mjs', ...process.argv.slice(2)], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  stdio: 'inherit',
})
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128)
})
