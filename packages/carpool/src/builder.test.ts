import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import type { ConvoyError } from '@convoy/errors'
import { integrity } from '@convoy/hash'
import { describe, expect, it } from 'vitest'
import { buildCarpool } from './build.js'
import { createCarpoolBuilder, type CarpoolRequest } from './builder.js'
import { carpoolName } from './name.js'
import { createMemoryStorage, waitFor } from './test-helpers.js'

const a = 'css/a.0123456789ab.cmin.css'
const b = 'css/b.ba9876543210.cmin.css'
// Big enough for compression to pay off, so both siblings are kept.
const aCss = `a{background:url(../img/a.png)}${'.x{color:red}'.repeat(50)}`
const bCss = `b{color:blue}${'.y{margin:0}'.repeat(50)}`
const request: CarpoolRequest = { kind: 'css', path: carpoolName('css', [a, b]), members: [a, b] }

function setup() {
  const storage = createMemoryStorage({ [a]: aCss, [b]: bCss })
  const warnings: string[] = []
  return { storage, warnings, onWarning: (message: string) => warnings.push(message) }
}

describe('createCarpoolBuilder', () => {
  it('builds once for 200 concurrent requests, none of which waits', async () => {
    const { storage, onWarning } = setup()
    const builder = createCarpoolBuilder({ storage, onWarning })
    const statuses = Array.from({ length: 200 }, () => builder.ensure(request))
    expect(statuses.every((status) => status.state === 'building')).toBe(true)
    // Nothing has touched the storage yet: the build starts after the callers have returned.
    expect(storage.calls).toEqual([])

    await waitFor(() => builder.status(request.path)?.state === 'ready')
    expect(storage.writes.filter((path) => path === request.path)).toHaveLength(1)
    expect(storage.calls.filter((call) => call === `read ${a}`)).toHaveLength(1)
    // Siblings first, the bundle last: whoever sees the bundle can rely on them.
    expect(storage.writes.at(-1)).toBe(request.path)
    expect(storage.writes.slice(0, 3).sort()).toEqual([`${request.path}.br`, `${request.path}.gz`, `${request.path}.json`])
    expect(JSON.parse(Buffer.from(storage.files.get(`${request.path}.json`)!).toString('utf8'))).toEqual({ members: request.members })

    const bytes = storage.files.get(request.path)!
    expect(bytes).toEqual(buildCarpool('css', [{ path: a, content: aCss }, { path: b, content: bCss }]))
    expect(gunzipSync(storage.files.get(`${request.path}.gz`)!)).toEqual(Buffer.from(bytes))
    expect(brotliDecompressSync(storage.files.get(`${request.path}.br`)!)).toEqual(Buffer.from(bytes))
    expect(builder.ensure(request)).toEqual({
      state: 'ready',
      bundle: { path: request.path, size: bytes.byteLength, integrity: integrity(bytes), encodings: { gzip: `${request.path}.gz`, br: `${request.path}.br` }, gzip: `${request.path}.gz`, br: `${request.path}.br`, origin: 'built' },
    })
    await builder.prepare(request)
    expect(storage.writes.filter((path) => path === request.path)).toHaveLength(1)
  })

  it('shares one build between prepare() and ensure()', async () => {
    const { storage } = setup()
    const builder = createCarpoolBuilder({ storage })
    const first = builder.prepare(request)
    expect(builder.ensure(request).state).toBe('building')
    const [one, two] = await Promise.all([first, builder.prepare(request)])
    expect(one).toBe(two)
    expect(storage.writes.filter((path) => path === request.path)).toHaveLength(1)
  })

  it('reuses a bundle another process already wrote, without building', async () => {
    const { storage } = setup()
    await createCarpoolBuilder({ storage }).prepare(request)
    const writes = storage.writes.length
    storage.calls.length = 0

    const second = createCarpoolBuilder({ storage, integrity: true })
    const bundle = await second.prepare(request)
    expect(storage.writes).toHaveLength(writes)
    expect(storage.calls).not.toContain(`read ${a}`)
    expect(bundle).toMatchObject({ origin: 'found', encodings: { gzip: `${request.path}.gz`, br: `${request.path}.br` }, gzip: `${request.path}.gz`, br: `${request.path}.br` })
    expect(bundle.integrity).toBe(integrity(storage.files.get(request.path)!))
    // Without `integrity`, a found bundle is not even read.
    storage.calls.length = 0
    expect((await createCarpoolBuilder({ storage }).prepare(request)).integrity).toBeUndefined()
    expect(storage.calls).not.toContain(`read ${request.path}`)
  })

  it('fails with one warning naming the cause, and retries only after the backoff', async () => {
    const storage = createMemoryStorage({ [a]: aCss, [b]: '@import "x.css";' })
    const warnings: string[] = []
    const builder = createCarpoolBuilder({ storage, retryAfterMs: 60_000, onWarning: (message) => warnings.push(message) })
    builder.ensure(request)
    await waitFor(() => builder.status(request.path)?.state === 'failed')
    for (let i = 0; i < 50; i++) expect(builder.ensure(request).state).toBe('failed')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(request.path)
    expect(warnings[0]).toContain(`${b}:1: @import "x.css" cannot be bundled`)
    expect(storage.writes).toEqual([])
    expect(storage.calls.filter((call) => call === `read ${b}`)).toHaveLength(1)

    await expect(builder.prepare(request)).rejects.toMatchObject({ code: 'ERR_CONVOY_CARPOOL', file: b } satisfies Partial<ConvoyError>)
    expect(warnings).toHaveLength(1)
  })

  it('tries again after the backoff and then succeeds', async () => {
    const storage = createMemoryStorage({ [a]: aCss })
    const warnings: string[] = []
    const builder = createCarpoolBuilder({ storage, retryAfterMs: 30, onWarning: (message) => warnings.push(message) })
    builder.ensure(request)
    await waitFor(() => builder.status(request.path)?.state === 'failed')
    expect(warnings).toEqual([expect.stringContaining(`member ${b} is not in memory`)])
    storage.files.set(b, new TextEncoder().encode(bCss))
    await waitFor(() => builder.ensure(request).state === 'ready')
    expect(warnings).toHaveLength(1)
  })

  it('writes no siblings with compress: false', async () => {
    const { storage } = setup()
    const bundle = await createCarpoolBuilder({ storage, compress: false }).prepare(request)
    expect(storage.writes).toEqual([`${request.path}.json`, request.path])
    expect(bundle.encodings).toEqual({})
    expect(bundle).toMatchObject({ gzip: undefined, br: undefined })
  })

  it('writes one sibling per configured encoding', async () => {
    const { storage } = setup()
    const bundle = await createCarpoolBuilder({ storage, compress: { encodings: ['br'] } }).prepare(request)
    expect(storage.writes).toEqual([`${request.path}.br`, `${request.path}.json`, request.path])
    expect(bundle.encodings).toEqual({ br: `${request.path}.br` })
  })
})
