// @convoy/koa on Koa 3 and Koa 2, run through the conformance tables every Convoy adapter runs.
import { runAdapterTestSuite } from '@convoy/adapter-test-suite'
import { compress } from './compress.js'
import { serveStatic } from './serve-static.js'
import { KOAS, listen } from './test/http.js'

for (const [name, App] of KOAS) {
  runAdapterTestSuite({
    name: `@convoy/koa (${name})`,
    startStatic: async ({ root, prefix }) => {
      const assets = serveStatic({ root, prefix })
      await assets.ready
      const app = new App()
      app.use(assets)
      // The app's own not-found handler: whatever serveStatic hands on ends here.
      app.use((ctx) => {
        ctx.status = 404
        ctx.type = 'text/plain'
        ctx.body = 'fallback'
      })
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
      const app = new App()
      app.use(compress())
      app.use((ctx) => {
        const route = ctx.method === 'GET' || ctx.method === 'HEAD' ? routes.find((candidate) => candidate.path === ctx.path) : undefined
        if (route === undefined) {
          ctx.status = 404
          ctx.type = 'text/plain'
          ctx.body = 'fallback'
          return
        }
        ctx.status = route.status
        ctx.set(route.headers)
        ctx.body = route.body
      })
      return listen(app)
    },
  })
}
