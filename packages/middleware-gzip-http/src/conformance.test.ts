// gzipHttpOnly on plain node:http, run through the conformance tables every Convoy adapter runs (the HTTPS-sign
// table among them).
import { listen, runAdapterTestSuite } from '@convoy/adapter-test-suite'
import { gzipHttpOnly } from './gzip-http-only.js'

runAdapterTestSuite({
  name: '@convoy/middleware-gzip-http',
  startCompressed: async ({ routes }) => {
    const compress = gzipHttpOnly()
    return listen((req, res) =>
      compress(req, res, () => {
        const route = routes.find((candidate) => candidate.path === new URL(req.url ?? '/', 'http://x').pathname)
        if (route === undefined) {
          res.writeHead(404, { 'content-type': 'text/plain' })
          res.end('fallback')
          return
        }
        res.statusCode = route.status
        for (const [name, value] of Object.entries(route.headers)) res.setHeader(name, value)
        res.end(route.body)
      }),
    )
  },
})
