// serveStatic on plain node:http, run through the conformance tables every Convoy adapter runs.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runAdapterTestSuite } from '@convoy/adapter-test-suite'
import { serveStatic } from './serve-static.js'

runAdapterTestSuite({
  name: '@convoy/serve',
  startStatic: async ({ root, prefix }) => {
    const assets = serveStatic({ root, prefix })
    await assets.ready
    const server = createServer((req, res) =>
      assets(req, res, (error) => {
        res.writeHead(error === undefined ? 404 : 500, { 'content-type': 'text/plain' })
        res.end(error === undefined ? 'fallback' : 'error')
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          assets.close()
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
  },
})
