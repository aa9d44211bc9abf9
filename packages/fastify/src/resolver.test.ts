import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConvoy, type Convoy } from '@convoy/core'
import { isConvoyError } from '@convoy/errors'
import { addConvoyExtension } from '@convoy/nunjucks'
import { fastifyView } from '@fastify/view'
import Fastify, { type FastifyInstance } from 'fastify'
import nunjucks from 'nunjucks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { convoyResolver, type ConvoyResolverOptions } from './resolver.js'
import { collectTree, listen, request, served, type CollectedTree } from './test/helpers.js'

let tree: CollectedTree
let plain: Convoy
let gzipped: Convoy
let views: string
beforeAll(async () => {
  tree = await collectTree()
  views = await mkdtemp(join(tmpdir(), 'convoy-fastify-views-'))
  await writeFile(join(views, 'page.njk'), '<link href="{% convoy "css/site.css" %}"><script src="{{ convoy.url("js/app.js") }}"></script>{{ who }}')
  await writeFile(join(views, 'locals.njk'), '[{{ convoy }}][{{ acceptEncoding }}]')
  // No request-time carpool builds: the tests compare renders, which a bundle finished in between would change.
  plain = await createConvoy({ manifest: tree.root, combineDuringRequest: false })
  gzipped = await createConvoy({ manifest: tree.root, gzipInTemplate: true, combineDuringRequest: false })
}, 60_000)
afterAll(async () => {
  plain?.close()
  gzipped?.close()
  await tree?.remove()
  if (views !== undefined) await rm(views, { recursive: true, force: true })
})

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function start(convoy: Convoy, setup?: (app: FastifyInstance) => Promise<void>): Promise<string> {
  const app = Fastify()
  apps.push(app)
  await setup?.(app)
  await app.register(convoyResolver, { convoy })
  app.get('/lookups', (_request, reply) =>
    reply.send({
      url: reply.convoy.url('css/site.css'),
      carpool: reply.convoy.carpool('css', ['css/site.css', 'css/tiny.css']),
      integrity: reply.convoy.integrity('js/app.js'),
      acceptEncoding: reply.convoy.acceptEncoding ?? null,
      same: reply.convoy === reply.convoy,
    }),
  )
  app.get('/integrity-only', (_request, reply) => reply.send({ integrity: reply.convoy.integrity('js/app.js') }))
  app.get('/missing', (_request, reply) => reply.send({ url: reply.convoy.url('css/missing.css') }))
  return listen(app)
}

describe('convoyResolver', () => {
  it("gives every reply the runtime's lookups, made once per reply", async () => {
    const url = await start(plain)
    const reply = await request(`${url}/lookups`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(JSON.parse(reply.text)).toEqual({
      url: `/static/${served(tree, 'css/site.css')}`,
      carpool: plain.carpool('css', ['css/site.css', 'css/tiny.css']),
      integrity: plain.integrity('js/app.js'),
      acceptEncoding: 'gzip',
      same: true,
    })
    // The answers do not depend on Accept-Encoding without gzipInTemplate: nothing to vary on.
    expect(reply.headers.vary).toBeUndefined()
  })

  it('links .gz files for clients that accept gzip with gzipInTemplate, and says the page varies', async () => {
    const url = await start(gzipped)
    const accepting = await request(`${url}/lookups`, { headers: { 'Accept-Encoding': 'br, gzip' } })
    const lookups = JSON.parse(accepting.text) as { url: string; carpool: string }
    expect(lookups.url).toBe(`/static/${served(tree, 'css/site.css')}.gz`)
    expect(lookups.carpool).toBe(gzipped.carpool('css', ['css/site.css', 'css/tiny.css'], { acceptEncoding: 'gzip' }))
    expect(accepting.headers.vary).toBe('Accept-Encoding')

    // The answer of a request without gzip is the one every client can use: a cache may hand it to anyone.
    const refusing = await request(`${url}/lookups`, { headers: { 'Accept-Encoding': 'gzip;q=0' } })
    expect((JSON.parse(refusing.text) as { url: string }).url).toBe(`/static/${served(tree, 'css/site.css')}`)
    expect(refusing.headers.vary).toBeUndefined()

    const without = await request(`${url}/lookups`)
    expect((JSON.parse(without.text) as { url: string }).url).toBe(`/static/${served(tree, 'css/site.css')}`)
    expect(without.headers.vary).toBeUndefined()

    // integrity() never depends on the request.
    expect((await request(`${url}/integrity-only`, { headers: { 'Accept-Encoding': 'gzip' } })).headers.vary).toBeUndefined()
  })

  it('sends an unknown logical path to the error handler', async () => {
    const url = await start(plain)
    const reply = await request(`${url}/missing`)
    expect(reply.status).toBe(500)
    expect(reply.text).toMatch(/css\/missing\.css/)
  })

  it('gives @fastify/view templates convoy and acceptEncoding, for any engine and for the Nunjucks tags', async () => {
    const url = await start(gzipped, async (app) => {
      await app.register(fastifyView, {
        engine: { nunjucks },
        root: views,
        options: { onConfigure: (env: nunjucks.Environment) => addConvoyExtension(env, gzipped) },
      })
      app.get('/page', (_request, reply) => reply.view('page.njk', { who: 'handler' }))
    })
    const reply = await request(`${url}/page`, { headers: { 'Accept-Encoding': 'gzip' } })
    expect(reply.status).toBe(200)
    expect(reply.text).toBe(`<link href="/static/${served(tree, 'css/site.css')}.gz"><script src="/static/${served(tree, 'js/app.js')}.gz"></script>handler`)
    expect(reply.headers.vary).toBe('Accept-Encoding')
    const identity = await request(`${url}/page`)
    expect(identity.text).toBe(`<link href="/static/${served(tree, 'css/site.css')}"><script src="/static/${served(tree, 'js/app.js')}"></script>handler`)
  })

  it('leaves reply.locals alone with viewLocals: false', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(fastifyView, { engine: { nunjucks }, root: views })
    await app.register(convoyResolver, { convoy: plain, viewLocals: false })
    app.get('/page', (_request, reply) => reply.view('locals.njk'))
    const url = await listen(app)
    expect((await request(`${url}/page`, { headers: { 'Accept-Encoding': 'gzip' } })).text).toBe('[][]')
  })

  it.each<[string, unknown, RegExp]>([
    ['no convoy', {}, /convoyResolver\(\{ convoy \}\) takes the resolver of createConvoy\(\).*got undefined/],
    ['something else', { convoy: { url: () => '' } }, /takes the resolver of createConvoy\(\).*it has no integrity, carpool/],
    ['the promise of createConvoy()', { convoy: Promise.resolve({}) }, /got a promise/],
    ['a viewLocals that is no boolean', { viewLocals: 'yes' }, /viewLocals must be a boolean/],
  ])('refuses %s at registration', async (_name, options, message) => {
    const app = Fastify()
    apps.push(app)
    const given = { convoy: plain, ...(options as object) } as ConvoyResolverOptions
    const error = await app.register(convoyResolver, _name === 'no convoy' ? ({} as ConvoyResolverOptions) : given).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect(String(error)).toMatch(message)
  })
})
