// The example site: Hono on @hono/node-server, every Convoy part through @convoy/hono.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { createConvoy } from '@convoy/core'
import { compress, convoy, serveStatic } from '@convoy/hono'
import { Hono } from 'hono'
import { jsxRenderer } from 'hono/jsx-renderer'
import { FormPage, HomePage, Layout } from './pages.js'
import { createSessions } from './sessions.js'

/** The app's folder (`apps/example-hono`), from `src/` (tests) as from `dist/` (`pnpm start`). */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url))
/** Where `convoy collect` writes (the config's `out`). */
export const DEFAULT_OUT = join(APP_DIR, 'public-collected')
/** The static sources (the config's `sources`). */
export const SOURCES = [join(APP_DIR, 'static')]

export interface ExampleOptions {
  /** The folder `convoy collect` wrote. Default `public-collected`. */
  readonly out?: string
  /** Development: link and serve the original files from `static/`, no collect needed. Default `false`. */
  readonly debug?: boolean
}

export interface ExampleApp {
  readonly app: Hono
  /** Stops watching the manifest (the server is the caller's). */
  readonly close: () => void
}

/** The example app, ready for `app.fetch` (or `app.request()` in tests). */
export async function createExampleApp(options: ExampleOptions = {}): Promise<ExampleApp> {
  const { out = DEFAULT_OUT, debug = false } = options
  const resolver = await createConvoy(debug ? { debug: true, baseUrl: '/static/' } : { manifest: join(out, 'convoy-manifest.json') })
  // Collected files: fingerprinted, minified, precompressed; in debug mode the sources as they are on disk.
  const files = serveStatic(debug ? { sources: SOURCES, prefix: '/static/' } : { root: out, prefix: '/static/' })
  await files.ready // fail at start (no collect yet?), not at the first request

  const sessions = createSessions()
  const app = new Hono()
  // First: a static file is answered here and never reaches the HTML middleware below.
  app.use('/static/*', files)
  // Dynamic HTML: compressed on plain HTTP only, never over HTTPS (BREACH).
  app.use(compress())
  app.use(convoy(resolver))
  app.use(jsxRenderer(Layout))

  app.get('/', (c) => {
    c.header('Cache-Control', 'no-cache')
    return c.render(<HomePage />, { title: 'Home' })
  })

  app.get('/form', (c) => {
    const session = sessions.get(c)
    // The page holds a secret: no caching anywhere.
    c.header('Cache-Control', 'no-store')
    return c.render(<FormPage csrfToken={session.csrfToken} values={{}} />, { title: 'Form' })
  })

  app.post('/form', async (c) => {
    const session = sessions.get(c)
    c.header('Cache-Control', 'no-store')
    const body = await c.req.parseBody()
    if (!sessions.checkToken(session, body.csrfToken)) {
      c.status(403)
      return c.render(<FormPage csrfToken={session.csrfToken} values={{}} error="Your session expired: please send the form again." />, { title: 'Form' })
    }
    const name = typeof body.name === 'string' ? body.name.trim() : ''
    const message = typeof body.message === 'string' ? body.message.trim() : ''
    if (name === '' || message === '' || message.length > 500) {
      c.status(422)
      return c.render(<FormPage csrfToken={session.csrfToken} values={{ name, message }} error="Please give your name and a message of at most 500 characters." />, { title: 'Form' })
    }
    return c.render(<FormPage csrfToken={session.csrfToken} values={{}} sent={{ name }} />, { title: 'Form' })
  })

  app.notFound((c) => c.text('Not found', 404))

  return {
    app,
    close: () => {
      files.close()
      resolver.close()
    },
  }
}

export interface RunningExample {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  readonly close: () => Promise<void>
}

/** Creates the app and listens on `host:port` (port `0`: an ephemeral one) with @hono/node-server. */
export async function startExample(options: ExampleOptions & { port?: number; host?: string } = {}): Promise<RunningExample> {
  const { port = 3000, host = '127.0.0.1', ...appOptions } = options
  const example = await createExampleApp(appOptions)
  const { server, listening } = await new Promise<{ server: ReturnType<typeof serve>; listening: number }>((resolve, reject) => {
    const started = serve({ fetch: example.app.fetch, port, hostname: host }, (info) => resolve({ server: started, listening: info.port }))
    started.once('error', reject)
  })
  return {
    url: `http://${host}:${listening}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        example.close()
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}
