// `pnpm collect` (and `pnpm build`): `convoy collect` with the example's convoy.config.mjs; extra arguments are
// passed on (`pnpm collect --dry-run`, `pnpm collect --out /tmp/x`).
import { spawn } from 'node:child_process'
import { APP_DIR } from '../src/app.js'
import { convoyCli } from '../src/collect.js'

const child = spawn(process.execPath, [convoyCli(), 'collect', '--config', 'convoy.config.mjs', ...process.argv.slice(2)], {
  cwd: APP_DIR,
  stdio: 'inherit',
})
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128)
})
