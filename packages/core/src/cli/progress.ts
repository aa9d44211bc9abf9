import { createRequire } from 'node:module'
import type CliProgress from 'cli-progress'
import type { CollectProgress } from '../collect/options.js'

// Required when a bar is drawn, not with the CLI: a --quiet, --json or piped run never loads it (about 10 ms).
const requireModule = createRequire(import.meta.url)

/** A progress bar on a terminal: files processed, then storage writes. */
export function createProgressBar(stream: NodeJS.WritableStream): { update(progress: CollectProgress): void; stop(): void } {
  const cliProgress = requireModule('cli-progress') as typeof CliProgress
  const bar = new cliProgress.SingleBar(
    { stream, format: ' {phase} [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: true, fps: 10, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  )
  let phase: CollectProgress['phase'] | undefined
  return {
    update(progress) {
      if (phase !== progress.phase) {
        if (phase === undefined) bar.start(progress.total, progress.done, { phase: label(progress.phase) })
        else bar.setTotal(progress.total)
        phase = progress.phase
      }
      bar.setTotal(progress.total)
      bar.update(progress.done, { phase: label(progress.phase) })
    },
    stop() {
      if (phase !== undefined) bar.stop()
    },
  }
}

function label(phase: CollectProgress['phase']): string {
  return phase === 'process' ? 'processing' : 'writing   '
}
