// Starts the demo: `pnpm start` (after `pnpm collect`), `DEBUG=1 pnpm start`, or `DEMO_STORAGE=s3 pnpm start`.
import { startDemo } from './app.js'
import { runCollect } from './collect.js'
import { createDemoS3Storage, startLocalS3 } from './s3.js'

const debug = ['1', 'true', 'yes'].includes((process.env.DEBUG ?? '').toLowerCase())
const storageKind = (process.env.DEMO_STORAGE ?? 'fs').toLowerCase()
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

if (!['fs', 's3'].includes(storageKind)) {
  console.error(`@convoy/demo: DEMO_STORAGE must be fs or s3, got "${process.env.DEMO_STORAGE}"`)
  process.exit(2)
}

/** @type {(() => Promise<void>)[]} */
const cleanups = []
let demo
try {
  if (debug) {
    demo = await startDemo({ debug: true, port, host })
  } else if (storageKind === 's3') {
    // The local S3-compatible server lives as long as this process, so the files are collected into it here.
    const s3 = await startLocalS3()
    cleanups.push(() => s3.stop())
    console.log(`@convoy/demo: local S3-compatible server on ${s3.endpoint}; collecting into s3://convoy-demo/static …`)
    process.stdout.write(await runCollect({ env: { DEMO_S3_ENDPOINT: s3.endpoint } }))
    demo = await startDemo({ storage: createDemoS3Storage(s3.endpoint), storageLabel: 'S3 (local)', port, host })
  } else {
    demo = await startDemo({ port, host })
  }
} catch (error) {
  for (const cleanup of cleanups) await cleanup()
  console.error(error instanceof Error ? error.message : error)
  if (!debug && storageKind === 'fs') console.error('@convoy/demo: has `pnpm collect` run? (or start with DEBUG=1 to serve the original files)')
  process.exit(1)
}

cleanups.unshift(() => demo.close())
console.log(`@convoy/demo: ${debug ? 'debug mode (original files)' : `collected files (${storageKind})`} on ${demo.url}`)

let stopping = false
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    void (async () => {
      // The server first, then the S3 server it reads from.
      for (const cleanup of cleanups) await cleanup()
    })().finally(() => process.exit(0))
  })
}
