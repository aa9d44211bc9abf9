// @convoy/hono on @hono/node-server, run through the conformance tables every Convoy adapter runs.
import { runAdapterTestSuite } from '@convoy/adapter-test-suite'
import { Hono } from 'hono'
import { compress } from './compress.js'
import { serveStatic } from './serve-static.js'
import { listen } from './test-helpers.js'

runAdapterTestSuite({
  name: '@convoy/hono',
  startStatic: async ({ root, prefix }) => {
    const assets = serveStatic({ root, prefix })
    await assets.ready
    const app = new Hono()
    app.use(`${prefix}*`, assets)
    app.notFound((c) => c.text('fallback', 404))
    const running = await listen(app)
    return {
      url: running.url,
      close: async () => {
        assets.close()
        await running.close()
      },
    }
  },
  startCompressed: async ({ routes }) => {
    const app = new Hono()
    app.use(compress())
    for (const route of routes) {
      app.get(route.path, (c) => c.body(route.body, route.status as 200, route.headers))
    }
    return listen(app)
  },
})
