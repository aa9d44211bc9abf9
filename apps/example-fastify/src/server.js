// Starts the example: `pnpm start` after `pnpm collect` (or `pnpm build`). PORT and HOST choose where it listens.
import { startExample } from './app.js'

const port = Number(process.env.PORT ?? 3001)
const host = process.env.HOST ?? '127.0.0.1'

let example
try {
  example = await startExample({ port, host, logger: true, ...(process.env.SESSION_SECRET ? { sessionSecret: process.env.SESSION_SECRET } : {}) })
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  console.error('@convoy/example-fastify: has `pnpm collect` run?')
  process.exit(1)
}

console.log(`@convoy/example-fastify: on ${example.url}`)

let stopping = false
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    void example.close().finally(() => process.exit(0))
  })
}
