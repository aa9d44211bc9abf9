import { readFile } from 'node:fs/promises'
import { createConvoy, type Convoy } from '@convoy/core'
import { isConvoyError } from '@convoy/errors'
import type Koa from 'koa'
import nunjucks from 'nunjucks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { convoyState, type ConvoyResolver, type ConvoyStateOptions } from './convoy-state.js'
import { createSite, type Site } from './test/fixture.js'
import { KOAS, listen, quiet, request, type TestServer } from './test/http.js'

let site: Site
let convoy: Convoy
const warnings: string[] = []
beforeAll(async () => {
  site = await createSite()
  // A manifest object without a storage: carpools render their members' tags and build nothing in the background.
  const manifest = JSON.parse(await readFile(site.manifestFile, 'utf8')) as NonNullable<Parameters<typeof createConvoy>[0]['manifest']>
  convoy = await createConvoy({ manifest, baseUrl: '/static/', gzipInTemplate: true, onWarning: (message) => warnings.push(message) })
})
afterAll(() => site.cleanup())

// What createConvoy() returns is a resolver, as typed (a compile-time check: typecheck fails otherwise).
const _typed: (value: Convoy) => ConvoyResolver = (value) => value

const TEMPLATE = [
  '<link rel="stylesheet" href="{{ convoy.url("css/base.css") }}" integrity="{{ convoy.integrity("css/base.css") }}">',
  '{{ convoy.carpool("css", ["css/base.css", "css/print.css"]) | safe }}',
].join('\n')

async function start(App: typeof Koa, options?: ConvoyStateOptions, before?: Koa.Middleware): Promise<TestServer> {
  const app = new App()
  quiet(app)
  if (before !== undefined) app.use(before)
  app.use(convoyState(convoy, options))
  app.use((ctx) => {
    if (ctx.path === '/page') {
      // Hand rendering: ctx.state is the template's context, as koa-views makes it.
      ctx.body = nunjucks.renderString(TEMPLATE, ctx.state)
    } else if (ctx.path === '/destructured') {
      const { url } = ctx.state.convoy
      ctx.body = url('js/app.js')
    } else if (ctx.path === '/integrity') {
      ctx.body = ctx.state.convoy.integrity('css/base.css')
    } else {
      ctx.body = 'no assets here'
    }
  })
  return listen(app)
}

describe.each(KOAS)('convoyState on %s', (_name, App) => {
  let server: TestServer
  beforeAll(async () => {
    server = await start(App)
  })
  afterAll(() => server.close())

  const expected = (acceptEncoding: string | undefined, userAgent?: string) => {
    const options = { acceptEncoding, userAgent }
    return [
      `<link rel="stylesheet" href="${convoy.url('css/base.css', options)}" integrity="${convoy.integrity('css/base.css')}">`,
      convoy.carpool('css', ['css/base.css', 'css/print.css'], options),
    ].join('\n')
  }

  it('binds url() and carpool() to the request Accept-Encoding, in a template rendered from ctx.state', async () => {
    const gzip = await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'gzip, br' } })
    expect(gzip.text).toBe(expected('gzip, br'))
    expect(gzip.text).toContain(`href="/static/${site.served['css/base.css']!}.gz"`)
    const identity = await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'gzip;q=0' } })
    expect(identity.text).toBe(expected('gzip;q=0'))
    expect(identity.text).toContain(`href="/static/${site.served['css/base.css']!}"`)
    expect(identity.text).not.toContain('.gz"')
    const none = await request(`${server.url}/page`)
    expect(none.text).toBe(expected(undefined))
    expect(warnings.every((warning) => warning.includes('without a storage'))).toBe(true)
  })

  it('adds Vary: Accept-Encoding once a link of the page depended on it, and not otherwise', async () => {
    expect((await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'gzip' } })).headers.vary).toBe('Accept-Encoding')
    // Without the header, or with one that changes no link (gzipInTemplate links .gz only for gzip), nothing varies.
    expect((await request(`${server.url}/page`)).headers.vary).toBeUndefined()
    expect((await request(`${server.url}/page`, { headers: { 'Accept-Encoding': 'identity' } })).headers.vary).toBeUndefined()
    expect((await request(`${server.url}/integrity`)).headers.vary).toBeUndefined()
    expect((await request(`${server.url}/other`)).headers.vary).toBeUndefined()
  })

  it('gives functions that need no this', async () => {
    const reply = await request(`${server.url}/destructured`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(reply.text).toBe(`/static/${site.served['js/app.js']!}.gz`)
  })

  it('lets an unknown logical path fail the request with ERR_CONVOY_MISSING_ASSET', async () => {
    const app = new App()
    const errors = quiet(app)
    app.use(convoyState(convoy))
    app.use((ctx) => {
      ctx.body = ctx.state.convoy.url('css/nope.css')
    })
    const failing = await listen(app)
    try {
      expect((await request(`${failing.url}/`)).status).toBe(500)
      expect(errors).toEqual([expect.objectContaining({ code: 'ERR_CONVOY_MISSING_ASSET' })])
    } finally {
      await failing.close()
    }
  })

  it('keeps a Vary set earlier, and adds none with vary: false', async () => {
    const merged = await start(App, {}, (ctx, next) => {
      ctx.set('Vary', 'Cookie')
      return next()
    })
    const off = await start(App, { vary: false })
    try {
      expect((await request(`${merged.url}/page`, { headers: { 'Accept-Encoding': 'gzip' } })).headers.vary).toBe('Cookie, Accept-Encoding')
      expect((await request(`${off.url}/page`, { headers: { 'Accept-Encoding': 'gzip' } })).headers.vary).toBeUndefined()
    } finally {
      await Promise.all([merged.close(), off.close()])
    }
  })
})

describe('convoyState with conservativeMsieGzip', () => {
  it('passes the request User-Agent to the resolver', async () => {
    const seen: unknown[] = []
    const resolver: ConvoyResolver = {
      url: (path, options) => {
        seen.push(options)
        return `/static/${path}`
      },
      integrity: () => 'sha384-x',
      carpool: () => '',
    }
    const [, App] = KOAS[0]!
    const app = new App()
    app.use(convoyState(resolver))
    app.use((ctx) => {
      ctx.body = ctx.state.convoy.url('a.css')
    })
    const server = await listen(app)
    try {
      await request(`${server.url}/`, { headers: { 'Accept-Encoding': 'gzip', 'User-Agent': 'Mozilla/4.0 (compatible; MSIE 6.0)' } })
      expect(seen[0]).toEqual({ acceptEncoding: 'gzip', userAgent: 'Mozilla/4.0 (compatible; MSIE 6.0)' })
    } finally {
      await server.close()
    }
  })
})

describe('convoyState errors', () => {
  it.each<[string, unknown, unknown, RegExp]>([
    ['the promise of createConvoy()', Promise.resolve({}), undefined, /got a promise; pass the resolver itself/],
    ['an object without url()', { integrity: () => '', carpool: () => '' }, undefined, /it has no url/],
    ['nothing', undefined, undefined, /got undefined/],
    ['a vary that is not a boolean', { url: () => '', integrity: () => '', carpool: () => '' }, { vary: 'yes' }, /vary must be a boolean/],
  ])('throws ERR_CONVOY_CONFIG at once for %s', (_case, resolver, options, message) => {
    let thrown: unknown
    try {
      convoyState(resolver as ConvoyResolver, options as ConvoyStateOptions)
    } catch (error) {
      thrown = error
    }
    expect(isConvoyError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'ERR_CONVOY_CONFIG', message: expect.stringMatching(/^@convoy\/koa: convoyState\(\)|^@convoy\/koa: vary/) })
    expect((thrown as Error).message).toMatch(message)
  })

  it('returns a middleware named convoyState', () => {
    expect(convoyState(convoy).name).toBe('convoyState')
  })
})
