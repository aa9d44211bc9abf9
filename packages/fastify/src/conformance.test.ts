// The shared conformance suite of Convoy adapters (@convoy/adapter-test-suite), over real HTTP on 127.0.0.1: hostile
// paths, precompressed negotiation, 304/Range/HEAD/405, and the HTTPS-sign table of the compression rules.
import { runAdapterTestSuite } from '@convoy/adapter-test-suite'
import Fastify, { type FastifyInstance } from 'fastify'
import { convoyCompress } from './compress.js'
import { convoyStatic } from './static.js'

async function started(app: FastifyInstance): Promise<{ url: string; close: () => Promise<void> }> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() }
}

runAdapterTestSuite({
  name: '@convoy/fastify',
  startStatic: async ({ root, prefix }) => {
    const app = Fastify()
    app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('fallback'))
    await app.register(convoyStatic, { root, prefix })
    return started(app)
  },
  startCompressed: async ({ routes }) => {
    const app = Fastify()
    await app.register(convoyCompress)
    for (const route of routes) {
      // GET, and HEAD through the route Fastify adds for every GET.
      app.get(route.path, (_request, reply) => reply.code(route.status).headers(route.headers).send(route.body))
    }
    return started(app)
  },
})
