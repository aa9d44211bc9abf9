// The example site: Fastify + @fastify/view (Nunjucks) on Convoy. Collected assets are served by convoyStatic, the
// templates get the resolver through convoyResolver and the {% convoy %} / {% carpool %} tags, and the HTML is
// compressed by convoyCompress on plain HTTP only.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createConvoy } from '@convoy/core'
import { convoyCompress, convoyResolver, convoyStatic } from '@convoy/fastify'
import { addConvoyExtension } from '@convoy/nunjucks'
import { fastifyCookie } from '@fastify/cookie'
import { fastifyFormbody } from '@fastify/formbody'
import { fastifyView } from '@fastify/view'
import Fastify from 'fastify'
import nunjucks from 'nunjucks'
import { createSessions } from './sessions.js'

/** The app's folder (`apps/example-fastify`). */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url))
/** Where `convoy collect` writes by default (the config's `out`). */
export const DEFAULT_OUT = join(APP_DIR, 'public-collected')
const VIEWS = join(APP_DIR, 'views')

/**
 * @typedef {object} ExampleOptions
 * @property {string} [out] The folder `convoy collect` wrote. Default `public-collected`.
 * @property {string} [sessionSecret] Signs the session cookie and derives the CSRF tokens. Default: random per
 *   process (sessions then end with a restart).
 * @property {boolean} [logger] Fastify's request log. Default `false`.
 */

/**
 * The example app, ready to listen (or to `inject`).
 *
 * @param {ExampleOptions} [options]
 */
export async function createExampleApp(options = {}) {
  const { out = DEFAULT_OUT, sessionSecret = randomBytes(32).toString('hex'), logger = false } = options
  const convoy = await createConvoy({ manifest: join(out, 'convoy-manifest.json') })
  const sessions = createSessions(sessionSecret)

  const app = Fastify({ logger })
  app.addHook('onClose', (_instance, done) => {
    convoy.close()
    done()
  })
  await app.register(fastifyCookie, { secret: sessionSecret })
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 })

  // The collected files under /static/: precompressed, fingerprinted, immutable; app.ready() fails on a bad root.
  await app.register(convoyStatic, { root: out, prefix: '/static/' })

  // Templates: Nunjucks with the {% convoy %} and {% carpool %} tags. convoyResolver puts `convoy` (reply.convoy)
  // and `acceptEncoding` into reply.locals, so no route has to pass them.
  await app.register(fastifyView, {
    engine: { nunjucks },
    root: VIEWS,
    options: { autoescape: true, onConfigure: (/** @type {nunjucks.Environment} */ env) => addConvoyExtension(env, convoy) },
  })
  await app.register(convoyResolver, { convoy })

  // Every dynamic reply below is compressed on plain HTTP and never with any sign of HTTPS (BREACH).
  await app.register(convoyCompress)

  app.get('/', async (_request, reply) => {
    reply.header('Cache-Control', 'no-cache')
    return reply.view('home.njk', { title: 'Home' })
  })

  app.get('/form', async (request, reply) => {
    const session = sessions.get(request, reply)
    // The page holds a secret: no caching anywhere.
    reply.header('Cache-Control', 'no-store')
    return reply.view('form.njk', { title: 'Form', csrfToken: session.csrfToken, values: {} })
  })

  app.post('/form', async (request, reply) => {
    const session = sessions.get(request, reply)
    reply.header('Cache-Control', 'no-store')
    const body = /** @type {Record<string, unknown>} */ (request.body ?? {})
    const values = { name: String(body.name ?? '').trim().slice(0, 80), message: String(body.message ?? '').trim() }
    if (!sessions.checkToken(session, body.csrfToken)) {
      reply.code(403)
      return reply.view('form.njk', { title: 'Form', csrfToken: session.csrfToken, values, error: 'Your session expired: please send the form again.' })
    }
    if (values.name === '' || values.message === '' || values.message.length > 500) {
      reply.code(422)
      return reply.view('form.njk', { title: 'Form', csrfToken: session.csrfToken, values, error: 'Please give a name and a message of at most 500 characters.' })
    }
    return reply.view('form.njk', { title: 'Form', csrfToken: session.csrfToken, values: {}, sent: values })
  })

  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain; charset=utf-8').send('Not found'))

  return { app, convoy }
}

/**
 * Creates the example app and listens on `host:port` (port `0`: an ephemeral one).
 *
 * @param {ExampleOptions & { port?: number, host?: string }} [options]
 */
export async function startExample(options = {}) {
  const { port = 3001, host = '127.0.0.1', ...appOptions } = options
  const { app, convoy } = await createExampleApp(appOptions)
  await app.listen({ port, host })
  const address = /** @type {import('node:net').AddressInfo} */ (app.server.address())
  return {
    app,
    convoy,
    url: `http://${host}:${address.port}`,
    /** Stops listening, drops open connections and stops the manifest watch. */
    close: () => app.close(),
  }
}
