// Preloaded (`node --import`) into a measured child when /usr/bin/time is missing: on exit, the main thread writes
// the process's peak RSS (KB) and CPU seconds in /usr/bin/time's `%M %U %S` format to $BENCH_RUSAGE_FILE.
import { writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

if (isMainThread && process.env.BENCH_RUSAGE_FILE) {
  process.on('exit', () => {
    const usage = process.resourceUsage()
    writeFileSync(process.env.BENCH_RUSAGE_FILE, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`)
  })
}
