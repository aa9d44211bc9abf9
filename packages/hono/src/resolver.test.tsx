import { createFixture, request, type Fixture } from '@convoy/adapter-test-suite'
import { createConvoy, type Convoy } from '@convoy/core'
import { Hono } from 'hono'
import { jsxRenderer } from 'hono/jsx-renderer'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { ConvoyCss, ConvoyJs, useConvoy } from './jsx.js'
import { convoy, type ConvoyResolver, type RequestConvoy } from './resolver.js'
import { listen } from './test-helpers.js'

let fixture: Fixture
let plain: Convoy
let gzipped: Convoy

beforeAll(async () => {
  fixture = await createFixture()
  plain = await createConvoy({ manifest: fixture.manifest, baseUrl: '/static/' })
  gzipped = await createConvoy({ manifest: fixture.manifest, baseUrl: '/static/', gzipInTemplate: true })
})

afterAll(async () => {
  await fixture?.cleanup()
})

describe('convoy(): the resolver in c.var.convoy', () => {
  it("takes @convoy/core's Convoy as it is, and types c.var.convoy everywhere (ContextVariableMap)", () => {
    expectTypeOf<Convoy>().toExtend<ConvoyResolver>()
    const app = new Hono()
    app.get('/', (c) => {
      expectTypeOf(c.var.convoy).toEqualTypeOf<RequestConvoy>()
      return c.text('')
    })
  })

  it('url(), integrity() and carpool() of the manifest, in any handler', async () => {
    const app = new Hono()
    app.use(convoy(plain))
    app.get('/', (c) =>
      c.json({
        url: c.var.convoy.url('css/base.css'),
        integrity: c.var.convoy.integrity('css/base.css'),
        carpool: c.var.convoy.carpool('js', ['js/app.js']),
      }),
    )
    const response = await app.request('/', { headers: { 'accept-encoding': 'gzip' } })
    expect(await response.json()).toEqual({
      url: `/static/${fixture.paths.served}`,
      integrity: fixture.manifest.files['css/base.css']?.integrity,
      carpool: expect.stringContaining(`src="/static/${fixture.paths.jsServed}"`) as string,
    })
    expect(response.headers.get('vary')).toBeNull()
  })

  it('with gzipInTemplate, links .gz for requests that accept gzip and sends Vary: Accept-Encoding', async () => {
    const app = new Hono()
    app.use(convoy(gzipped))
    app.get('/', (c) => c.text(c.var.convoy.url('css/base.css')))
    const accepting = await app.request('/', { headers: { 'accept-encoding': 'gzip, br' } })
    expect([await accepting.text(), accepting.headers.get('vary')]).toEqual([`/static/${fixture.paths.gzip}`, 'Accept-Encoding'])
    const refusing = await app.request('/', { headers: { 'accept-encoding': 'identity' } })
    expect([await refusing.text(), refusing.headers.get('vary')]).toEqual([`/static/${fixture.paths.served}`, null])
  })

  it('an unknown logical path is a ConvoyError for the error handler', async () => {
    const app = new Hono()
    app.use(convoy(plain))
    app.get('/', (c) => c.text(c.var.convoy.url('css/none.css')))
    app.onError((error, c) => c.text(`${(error as { code?: string }).code}: ${error.message}`, 500))
    const response = await app.request('/')
    expect(response.status).toBe(500)
    expect(await response.text()).toMatch(/^ERR_CONVOY_MISSING_ASSET: .*css\/none\.css/)
  })

  it('refuses what is not a resolver', () => {
    expect(() => convoy({} as never)).toThrow(/@convoy\/hono: convoy\(\) takes the resolver of createConvoy\(\)/)
    expect(() => convoy(Promise.resolve({}) as never)).toThrow(/got a promise/)
  })
})

describe('@convoy/hono/jsx', () => {
  // A component: useConvoy() runs when the render reaches it, inside jsxRenderer's request context.
  const Page = () => (
    <html>
      <head>
        <ConvoyCss paths={['css/base.css']} />
        <link rel="icon" href={useConvoy().url('img/logo.png')} />
      </head>
      <body>
        <ConvoyJs paths={['js/app.js']} />
      </body>
    </html>
  )

  it('<ConvoyCss>, <ConvoyJs> and useConvoy() in a jsxRenderer render: raw tags, not escaped', async () => {
    const app = new Hono()
    app.use(convoy(plain))
    app.use(jsxRenderer())
    app.get('/', (c) => c.render(<Page />))
    const server = await listen(app)
    try {
      const html = (await request(server.url, '/')).body.toString()
      expect(html).toContain(`<link rel="stylesheet" href="/static/${fixture.paths.served}"`)
      expect(html).toContain(`<script src="/static/${fixture.paths.jsServed}"`)
      expect(html).toContain(`<link rel="icon" href="/static/${fixture.paths.image}"/>`)
      expect(html).not.toContain('&lt;')
    } finally {
      await server.close()
    }
  })

  it('takes the resolver as a prop outside jsxRenderer', async () => {
    const app = new Hono()
    app.use(convoy(plain))
    app.get('/', (c) => c.html(<ConvoyCss convoy={c.var.convoy} paths={['css/base.css']} />))
    expect(await (await app.request('/')).text()).toContain(`href="/static/${fixture.paths.served}"`)
  })

  it('without the resolver, says what is missing', async () => {
    const app = new Hono()
    app.use(jsxRenderer())
    app.get('/', (c) => c.render(<ConvoyJs paths={['js/app.js']} />))
    app.onError((error, c) => c.text(error.message, 500))
    const response = await app.request('/')
    expect(response.status).toBe(500)
    expect(await response.text()).toMatch(/^@convoy\/hono\/jsx: no resolver for this render: add app\.use\(convoy\(resolver\)\)/)
  })
})
