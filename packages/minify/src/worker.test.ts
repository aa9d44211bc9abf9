import { existsSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { expect, it } from 'vitest'

const dist = new URL('../dist/index.js', import.meta.url)

// The collect pipeline calls these functions inside worker threads, native engines included.
it('works inside worker threads with every engine (built package)', async () => {
  expect(existsSync(dist), 'run `pnpm build` first').toBe(true)
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    import(workerData).then(async ({ minifyJs, minifyCss }) => {
      const out = []
      for (const engine of ['terser', 'swc']) out.push((await minifyJs('var answer = 40 + 2', { filename: 'a.js', engine })).code)
      for (const engine of ['clean-css', 'lightningcss']) out.push((await minifyCss('a { color: #ff0000 }', { filename: 'a.css', engine })).code)
      parentPort.postMessage(out)
    })`
  const run = () =>
    new Promise<unknown>((resolve, reject) => {
      const worker = new Worker(source, { eval: true, workerData: dist.href })
      worker.once('message', (message) => {
        resolve(message)
        void worker.terminate()
      })
      worker.once('error', reject)
    })
  const results = await Promise.all([run(), run()])
  for (const result of results) expect(result).toEqual(['var answer=42;', 'var answer=42;', 'a{color:red}', 'a{color:red}'])
})
