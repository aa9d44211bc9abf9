// serveStatic on plain node:http, run through the conformance tables every Convoy adapter runs.
import { listen, runAdapterTestSuite } from '@convoy/adapter-test-suite'
import { serveStatic } from './serve-static.js'

runAdapterTestSuite({
  name: '@convoy/serve',
  startStatic: async ({ root, prefix }) => {
    const assets = serveStatic({ root, prefix })
    await assets.ready
    const server = await listen((req, res) =>
      assets(req, res, (error) => {
        res.writeHead(error === undefined ? 404 : 500, { 'content-type': 'text/plain' })
        res.end(error === undefined ? 'fallback' : 'error')
      }),
    )
    return {
      url: server.url,
      close: async () => {
        assets.close()
        await server.close()
      },
    }
  },
})
