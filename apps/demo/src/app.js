// The demo site: Express + Nunjucks, with every part of Convoy in use.
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express from 'express'
import nunjucks from 'nunjucks'
import { createConvoy } from '@convoy/core'
import { gzipHttpOnly } from '@convoy/middleware-gzip-http'
import { addConvoyExtension } from '@convoy/nunjucks'
import { serveStatic } from '@convoy/serve'
import { createSessions } from './sessions.js'

/** The app's folder (`apps/demo`). */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url))
/** The static sources, in the order of `convoy.config.mjs`: the first holding a logical path wins. */
export const SOURCES = [join(APP_DIR, 'static'), join(APP_DIR, 'static-vendor')]
/** Where `convoy collect` writes (the config's `out`). */
export const DEFAULT_OUT = join(APP_DIR, 'public-collected')
const VIEWS = join(APP_DIR, 'views')

/** The pages, for the navigation, the browser test and the page-load benchmark. */
export const PAGES = [
  { name: 'home', path: '/', label: 'Home' },
  { name: 'carpool', path: '/carpool', label: 'Carpool' },
  { name: 'form', path: '/form', label: 'Form' },
]

/** What the landing page links one `{% convoy %}` tag at a time (and lists in its table). */
const HOME_ASSETS = {
  styles: ['vendor/bootstrap/bootstrap.css', 'css/fonts.css', 'css/brand.css'],
  scripts: ['vendor/jquery/jquery.js', 'vendor/bootstrap/bootstrap.bundle.js', 'js/app.js'],
  referenced: [
    'img/logo.svg',
    'img/favicon.svg',
    'img/hero-road.svg',
    'img/hero-pattern.svg',
    'img/check.svg',
    'img/convoy-strip.png',
    'vendor/inter/inter-latin-400-normal.woff2',
    'vendor/inter/inter-latin-600-normal.woff2',
    'vendor/inter/inter-latin-700-normal.woff2',
  ],
}

/**
 * @typedef {object} DemoOptions
 * @property {boolean} [debug] Development mode: link and serve the original files from the sources, no collect
 *   needed. Default `false`.
 * @property {string} [out] The folder `convoy collect` wrote (filesystem storage). Default `public-collected`.
 * @property {import('@convoy/core').Storage} [storage] Serve from this storage instead (e.g. S3).
 * @property {string} [storageLabel] How the navigation bar names the storage. Default `filesystem` or the
 *   storage's name.
 * @property {boolean} [compressHtml] Compress the HTML with `gzipHttpOnly()`. Default `true`.
 */

/**
 * The demo app, ready to mount or listen.
 *
 * @param {DemoOptions} [options]
 */
export async function createDemoApp(options = {}) {
  const { debug = false, out = DEFAULT_OUT, storage, compressHtml = true } = options
  const convoy = await createConvoy(
    debug ? { debug: true, baseUrl: '/static/' } : { manifest: storage ?? join(out, 'convoy-manifest.json') },
  )
  // The collected files, from the folder or the storage collect wrote; carpool bundles the runtime builds at request
  // time land there too, and @convoy/serve finds them when first asked.
  const assets = debug ? undefined : serveStatic(storage === undefined ? { root: out } : { storage })
  await assets?.ready
  const storageLabel = options.storageLabel ?? (storage === undefined ? 'filesystem' : storage.name)
  const mode = debug
    ? { label: 'debug: original files', detail: 'DEBUG=1: each file is linked and served as it is in the sources, no collect needed.' }
    : { label: `collected · ${storageLabel}`, detail: `Fingerprinted, minified, precompressed files from ${storageLabel}, served by @convoy/serve.` }

  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS, { noCache: debug }), { autoescape: true })
  addConvoyExtension(env, convoy)
  env.addGlobal('pages', PAGES)
  env.addGlobal('mode', mode)

  const sessions = createSessions()
  const app = express()
  app.disable('x-powered-by')

  if (assets === undefined) {
    // Dev mode: the originals, straight from the sources, first source first (as collect would pick them).
    for (const source of SOURCES) app.use('/static', express.static(source, { index: false, redirect: false }))
  } else {
    app.use('/static', assets)
  }
  app.use('/static', (_req, res) => {
    res.status(404).type('text/plain').send('Not found')
  })

  // Everything below is dynamic HTML: compressed on plain HTTP only, never over HTTPS (BREACH).
  if (compressHtml) app.use(gzipHttpOnly())
  app.use(express.urlencoded({ extended: false, limit: '16kb' }))

  /**
   * Renders a page (synchronously: the Convoy tags never wait for a bundle build).
   *
   * @param {import('express').Request} req
   * @param {import('express').Response} res
   * @param {string} view
   * @param {Record<string, unknown>} context
   */
  const render = (req, res, view, context) => {
    res.type('html').send(env.render(view, { ...context, req, currentPath: req.path }))
  }

  app.get('/', (req, res) => {
    res.set('Cache-Control', 'no-cache')
    render(req, res, 'home.njk', { assets: HOME_ASSETS })
  })

  app.get('/carpool', (req, res) => {
    res.set('Cache-Control', 'no-cache')
    render(req, res, 'carpool.njk', {})
  })

  app.get('/form', (req, res) => {
    const session = sessions.get(req, res)
    // The page holds a secret: no caching anywhere.
    res.set('Cache-Control', 'no-store')
    render(req, res, 'form.njk', { csrfToken: session.csrfToken, values: {}, errors: {}, sent: undefined })
  })

  app.post('/form', (req, res) => {
    const session = sessions.get(req, res)
    res.set('Cache-Control', 'no-store')
    /** @type {Record<string, unknown>} */
    const body = req.body ?? {}
    if (!sessions.checkToken(session, body.csrfToken)) {
      res.status(403)
      render(req, res, 'form.njk', { csrfToken: session.csrfToken, values: {}, errors: { form: 'Your session expired: please send the form again.' }, sent: undefined })
      return
    }
    const values = { name: String(body.name ?? '').trim(), message: String(body.message ?? '').trim() }
    /** @type {Record<string, string>} */
    const errors = {}
    if (values.name === '') errors.name = 'Please tell us your name.'
    if (values.message === '') errors.message = 'Please write a message.'
    if (values.message.length > 500) errors.message = 'At most 500 characters, please.'
    if (Object.keys(errors).length > 0) res.status(422)
    const sent = Object.keys(errors).length === 0 ? values : undefined
    render(req, res, 'form.njk', { csrfToken: session.csrfToken, values: sent === undefined ? values : {}, errors, sent })
  })

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found')
  })

  return { app, convoy, assets }
}

/**
 * Creates the demo app and listens on `host:port` (port `0`: an ephemeral one).
 *
 * @param {DemoOptions & { port?: number, host?: string }} [options]
 */
export async function startDemo(options = {}) {
  const { port = 3000, host = '127.0.0.1', ...appOptions } = options
  const demo = await createDemoApp(appOptions)
  const server = demo.app.listen(port, host)
  await once(server, 'listening')
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    ...demo,
    server,
    url: `http://${host}:${address.port}`,
    /** Stops listening, drops open connections and stops watching the manifest. */
    async close() {
      demo.assets?.close()
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
    },
  }
}
