import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { Liquid } from 'liquidjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { addConvoyTags, type ConvoyLookupOptions, type ConvoyRenderer } from './tags.js'

// The README's Express recipe, end to end: app.engine('liquid', liquid.express()), a middleware that exposes `req` to
// templates, and res.render().

/** TEST-ONLY stand-in for `createConvoy()`: links `.gz` whenever the header mentions gzip. */
const fakeConvoy: ConvoyRenderer = {
  url: (path: string, options?: ConvoyLookupOptions) => `/static/${path}${options?.acceptEncoding?.includes('gzip') === true ? '.gz' : ''}`,
  carpool: (kind, paths, options) => paths.map((path) => `<${kind} ${fakeConvoy.url(path, options)}>`).join(''),
}

let dir: string
let server: ReturnType<ReturnType<typeof express>['listen']>
let origin: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convoy-liquid-'))
  await writeFile(join(dir, 'page.liquid'), `<link href="{% convoy 'css/base.css' %}">{% carpool js %}\n  js/a.js\n{% endcarpool %}`)

  const app = express()
  const liquid = addConvoyTags(new Liquid({ root: dir, extname: '.liquid', outputEscape: 'escape' }), fakeConvoy)
  app.engine('liquid', liquid.express())
  app.set('views', dir)
  app.set('view engine', 'liquid')
  app.use((req, res, next) => {
    res.locals.req = req
    next()
  })
  app.get('/', (_req, res) => res.render('page'))

  server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

it('reads Accept-Encoding from res.locals.req in res.render()', async () => {
  const gzip = await fetch(`${origin}/`, { headers: { 'accept-encoding': 'gzip' } })
  expect(await gzip.text()).toBe('<link href="/static/css/base.css.gz"><js /static/js/a.js.gz>')
  const identity = await fetch(`${origin}/`, { headers: { 'accept-encoding': 'identity' } })
  expect(await identity.text()).toBe('<link href="/static/css/base.css"><js /static/js/a.js>')
})
