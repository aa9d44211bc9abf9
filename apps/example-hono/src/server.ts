// `pnpm start` (after `pnpm collect` and `pnpm build`), or `DEBUG=1 pnpm start` to serve the original files.
import { startExample } from './app.js'

const debug = ['1', 'true', 'yes'].includes((process.env.DEBUG ?? '').toLowerCase())
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

let example
try {
  example = await startExample({ debug, port, host })
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  if (!debug) console.error('@convoy/example-hono: has `pnpm collect` run? (or start with DEBUG=1 to serve the original files)')
  process.exit(1)
}
console.log(`@convoy/example-hono: ${debug ? 'debug mode (original files)' : 'collected files'} on ${example.url}`)

const running = example
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    void running.close().finally(() => process.exit(0))
  })
}
