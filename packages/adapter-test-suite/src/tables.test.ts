import { createHash } from 'node:crypto'
import { lstat, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCompressedTarget, startStaticTarget, type AdapterCheck } from './adapter.js'
import { COMPRESSION_CHECKS, COMPRESSION_NEGOTIATION_CASES } from './compression-checks.js'
import { createFixture } from './fixture.js'
import { HOSTILE, RAW_HOSTILE_TARGETS, SECRETS, expectNothingLeaked } from './hostile-paths.js'
import { HTTPS_SIGN_CASES } from './https-signs.js'
import { runAdapterTestSuite } from './run-adapter-test-suite.js'
import { DELTA_NEGOTIATION_CASES, PRECOMPRESSED_NEGOTIATION_CASES, STATIC_CHECKS, hostileUnderPrefix } from './static-checks.js'
import { listen } from './test/broken-servers.js'

describe('the tables', () => {
  it(`HOSTILE covers at least 60 paths, each once (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(60)
    expect(new Set(HOSTILE).size).toBe(HOSTILE.length)
    expect(new Set(RAW_HOSTILE_TARGETS).size).toBe(RAW_HOSTILE_TARGETS.length)
  })

  it('the HTTPS-sign table has both signs and non-signs, each row once', () => {
    expect(HTTPS_SIGN_CASES.some((row) => row.https)).toBe(true)
    expect(HTTPS_SIGN_CASES.some((row) => !row.https)).toBe(true)
    const keys = HTTPS_SIGN_CASES.map((row) => JSON.stringify([row.header.toLowerCase(), row.value]))
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('the negotiation tables name each Accept-Encoding once', () => {
    for (const table of [PRECOMPRESSED_NEGOTIATION_CASES, COMPRESSION_NEGOTIATION_CASES]) {
      const values = table.map((row) => String(row.acceptEncoding))
      expect(new Set(values).size).toBe(values.length)
    }
  })

  it('the delta table names each request once, and has rows for a delta, for today\'s negotiation and for ranges', () => {
    const keys = DELTA_NEGOTIATION_CASES.map((row) => JSON.stringify([row.acceptEncoding, row.availableDictionary, row.range, row.method]))
    expect(new Set(keys).size).toBe(keys.length)
    for (const expected of ['dcb', 'dcz', 'br', 'identity']) expect(DELTA_NEGOTIATION_CASES.some((row) => row.expected === expected), expected).toBe(true)
    expect(DELTA_NEGOTIATION_CASES.some((row) => row.range !== undefined)).toBe(true)
  })

  it.each<[string, readonly AdapterCheck<never>[]]>([
    ['static', STATIC_CHECKS],
    ['compression', COMPRESSION_CHECKS],
  ])('every %s check has a group and a title unique in it', (_, checks) => {
    const keys = checks.map((check) => `${check.group} › ${check.title}`)
    expect(new Set(keys).size).toBe(keys.length)
    for (const check of checks) expect([check.group.length > 0, check.title.length > 0, typeof check.run]).toEqual([true, true, 'function'])
  })

  it.each([
    ['/../secret.txt', '/static/../secret.txt'],
    ['/', '/static/'],
    ['http://127.0.0.1/../secret.txt', 'http://127.0.0.1/static/../secret.txt'],
    ['\\..\\secret.txt', '\\..\\secret.txt'],
    ['*', '*'],
  ])('hostileUnderPrefix(%j) → %j', (path, expected) => {
    expect(hostileUnderPrefix(path, '/static/')).toBe(expected)
  })

  it('expectNothingLeaked passes a 404 without secrets and fails a 200 or a leak', () => {
    expectNothingLeaked('/x', 404, 'fallback')
    expectNothingLeaked('/x', 400, '')
    expect(() => expectNothingLeaked('/x', 200, 'fine')).toThrow(/answered 200/)
    expect(() => expectNothingLeaked('/x', 404, `oops ${SECRETS[1]}`)).toThrow(/leaked TOPSECRET-SIBLING-FOLDER/)
  })
})

describe('createFixture', () => {
  it('builds a collected root with secrets beside it and traps in it, and removes it all', async () => {
    const fixture = await createFixture()
    try {
      const manifest = JSON.parse(await readFile(join(fixture.root, 'convoy-manifest.json'), 'utf8')) as unknown
      expect(manifest).toEqual(fixture.manifest)
      for (const [path, bytes] of fixture.files) expect((await readFile(join(fixture.root, path))).equals(bytes), path).toBe(true)
      expect(await readFile(join(fixture.base, 'secret.txt'), 'utf8')).toBe(SECRETS[0])
      expect(await readFile(join(fixture.base, 'public-old', 'secret.txt'), 'utf8')).toBe(SECRETS[1])
      expect(await readFile(join(fixture.root, '.env'), 'utf8')).toBe(SECRETS[2])
      expect(await readlink(join(fixture.root, 'linked'))).toBe(join('..', 'public-old'))
      expect(fixture.files.has('.env')).toBe(false)
      expect(fixture.files.get(fixture.paths.image)?.length).toBe(1208)
      // The delta entry: deltas named after the earlier version's SHA-256, dcz < dcb < br, each with the RFC 9842 header.
      const { deltaServed, deltaBr, deltaDcb, deltaDcz, deltaEarlier } = fixture.paths
      const earlier = createHash('sha256').update(fixture.files.get(deltaEarlier)!).digest()
      expect(deltaDcb).toBe(`${deltaServed}.${earlier.toString('hex', 0, 8)}.dcb`)
      expect(deltaDcz).toBe(`${deltaServed}.${earlier.toString('hex', 0, 8)}.dcz`)
      const size = (path: string): number => fixture.files.get(path)!.length
      expect(size(deltaDcz)).toBeLessThan(size(deltaDcb))
      expect(size(deltaDcb)).toBeLessThan(size(deltaBr))
      expect(fixture.files.get(deltaDcb)!.subarray(0, 36).equals(Buffer.concat([Buffer.from([0xff, 0x44, 0x43, 0x42]), earlier]))).toBe(true)
      expect(fixture.files.get(deltaDcz)!.subarray(0, 40).equals(Buffer.concat([Buffer.from([0x5e, 0x2a, 0x4d, 0x18, 0x20, 0, 0, 0]), earlier]))).toBe(true)
      expect(fixture.manifest.files['js/delta.js']).toMatchObject({
        served: deltaServed,
        dictionary: { hash: createHash('sha256').update(fixture.files.get(deltaServed)!).digest('base64'), match: 'js/delta.*.cmin.js' },
        deltas: { [earlier.toString('base64')]: { dcb: { path: deltaDcb, size: size(deltaDcb) }, dcz: { path: deltaDcz, size: size(deltaDcz) } } },
      })
      expect(fixture.manifest.history[0]?.dropped).toContain(deltaEarlier)
    } finally {
      await fixture.cleanup()
    }
    await expect(lstat(fixture.base)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('runAdapterTestSuite and the start helpers', () => {
  it.each<[string, unknown]>([
    ['no adapter', undefined],
    ['no name', { startStatic: () => undefined }],
    ['an empty name', { name: '', startStatic: () => undefined }],
    ['no hook at all', { name: 'x' }],
    ['a hook that is not a function', { name: 'x', startStatic: 'yes' }],
  ])('throws a TypeError at once for %s', (_, adapter) => {
    expect(() => runAdapterTestSuite(adapter as never)).toThrow(TypeError)
    expect(() => runAdapterTestSuite(adapter as never)).toThrow(/^@convoy\/adapter-test-suite: /)
  })

  it('throws for a timeout that is not a positive number', () => {
    expect(() => runAdapterTestSuite({ name: 'x', startStatic: () => Promise.reject(new Error('unused')) }, { timeout: 0 })).toThrow(/timeout/)
  })

  it('refuses a server without a usable url, closing it and removing the fixture', async () => {
    let closed = 0
    let root = ''
    const adapter = {
      name: 'bad url',
      startStatic: ({ root: given }: { root: string }) => {
        root = given
        return Promise.resolve({ url: 'http://127.0.0.1:1/static/', close: () => void closed++ })
      },
    }
    await expect(startStaticTarget(adapter)).rejects.toThrow(/must resolve to \{ url: 'http:\/\/127\.0\.0\.1:PORT', close \}/)
    await expect(lstat(root)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(closed).toBe(1)
    await expect(startCompressedTarget({ name: 'none', startCompressed: () => Promise.resolve(null as never) })).rejects.toThrow(/got null/)
  })

  it('accepts a url with a trailing slash, and close() stops the server and removes the fixture', async () => {
    let root = ''
    const target = await startStaticTarget({
      name: 'trailing slash',
      startStatic: async ({ root: given }) => {
        root = given
        const server = await listen((_req, res) => res.end('fallback'))
        return { url: `${server.url}/`, close: server.close }
      },
    })
    expect(target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(target.prefix).toBe('/static/')
    await target.close()
    await expect(lstat(root)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
