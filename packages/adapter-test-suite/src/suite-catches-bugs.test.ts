import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCompressedTarget, startStaticTarget, type AdapterCheck, type AdapterUnderTest, type CompressedTarget, type StaticTarget } from './adapter.js'
import { COMPRESSION_CHECKS, COMPRESSION_NEGOTIATION_CASES } from './compression-checks.js'
import { HTTPS_SIGN_CASES } from './https-signs.js'
import { DELTA_NEGOTIATION_CASES, STATIC_CHECKS, PRECOMPRESSED_NEGOTIATION_CASES } from './static-checks.js'
import { compressesOnHttps, ignoresQValuesStatic, naiveJoinStatic, sendsDeltasBlindlyStatic, walksEverythingStatic } from './test/broken-servers.js'

// The suite is only worth something if it fails on broken adapters: run its checks, as plain functions, against
// servers that each have a classic bug (src/test/broken-servers.ts), and see the right ones reject.

/** Runs every check against `target`; returns the failed ones, title → message. */
async function failures<Target>(target: Target, checks: readonly AdapterCheck<Target>[]): Promise<Map<string, string>> {
  const failed = new Map<string, string>()
  for (const check of checks) {
    try {
      await check.run(target)
    } catch (error) {
      failed.set(check.title, error instanceof Error ? error.message : String(error))
    }
  }
  return failed
}

const find = <Target>(checks: readonly AdapterCheck<Target>[], title: string): AdapterCheck<Target> => {
  const check = checks.find((candidate) => candidate.title === title)
  if (check === undefined) throw new Error(`no check titled ${title}`)
  return check
}

const hostile = (target: string): string => `GET ${target} → 400/404, no secret`

/** Starts `adapter`'s static server for the describe block, and runs every static check once against it. */
function againstStatic(adapter: AdapterUnderTest): { target: () => StaticTarget; failed: () => Map<string, string> } {
  let target: (StaticTarget & { close(): Promise<void> }) | undefined
  let failed = new Map<string, string>()
  beforeAll(async () => {
    target = await startStaticTarget(adapter)
    failed = await failures(target, STATIC_CHECKS)
  }, 60_000)
  afterAll(async () => {
    await target?.close()
  })
  return { target: () => target!, failed: () => failed }
}

function againstCompressed(adapter: AdapterUnderTest): { target: () => CompressedTarget; failed: () => Map<string, string> } {
  let target: (CompressedTarget & { close(): Promise<void> }) | undefined
  let failed = new Map<string, string>()
  beforeAll(async () => {
    target = await startCompressedTarget(adapter)
    failed = await failures(target, COMPRESSION_CHECKS)
  }, 60_000)
  afterAll(async () => {
    await target?.close()
  })
  return { target: () => target!, failed: () => failed }
}

describe('a static server that joins the path naively', () => {
  const { target, failed } = againstStatic(naiveJoinStatic())

  it.each([
    '/static/../secret.txt',
    '/static/..%2fsecret.txt',
    '/static/%2e%2e/secret.txt',
    '/static/css/..%2f..%2fsecret.txt',
    '/static/../public-old/secret.txt',
    '/static/..%2fpublic-old%2fsecret.txt',
    '/static/linked/secret.txt',
    '/static/css/escape.css',
    '/static/secret-link.txt',
    '/static/.env',
    '/static/.git/config',
  ])('fails %s: it leaks a secret', async (path) => {
    await expect(find(STATIC_CHECKS, hostile(path)).run(target())).rejects.toThrow(/leaked TOPSECRET-/)
  })

  it('fails many hostile paths, yet passes the check that real files are still served', () => {
    const hostileFailures = [...failed().keys()].filter((title) => title.startsWith('GET /static') || title.startsWith('GET http'))
    expect(hostileFailures.length).toBeGreaterThanOrEqual(15)
    expect(failed().has('still serves the real files')).toBe(false)
  })
})

describe('a static server that serves dotfiles and symlinks out of the root', () => {
  const { target, failed } = againstStatic(walksEverythingStatic())

  it.each(['/static/.env', '/static/%2eenv', '/static/.git/config', '/static/css/.hidden.css', '/static/linked/secret.txt', '/static/css/escape.css', '/static/secret-link.txt'])(
    'fails %s: it leaks a secret',
    async (path) => {
      await expect(find(STATIC_CHECKS, hostile(path)).run(target())).rejects.toThrow(/leaked TOPSECRET-/)
    },
  )

  it('passes the encoded-traversal rows, which its exact lookup does resist', () => {
    for (const path of ['/static/../secret.txt', '/static/..%2fsecret.txt', '/static/%2e%2e/secret.txt', '/static/%252e%252e/secret.txt', '/static/..%5csecret.txt']) {
      expect([path, failed().get(hostile(path))]).toEqual([path, undefined])
    }
  })

  it('fails the fallthrough check for dotfiles', () => {
    expect(failed().get('unknown paths, directories and dotfiles reach the fallback 404')).toMatch(/not-found handler/)
  })
})

describe('a static server that ignores q-values', () => {
  const { failed } = againstStatic(ignoresQValuesStatic())
  const title = (acceptEncoding: string | undefined): string =>
    [...failed().keys(), ...STATIC_CHECKS.map((check) => check.title)].find((candidate) =>
      candidate.startsWith(`Accept-Encoding ${acceptEncoding === undefined ? '(none)' : JSON.stringify(acceptEncoding)} `),
    )!

  it('fails exactly the negotiation rows where q-values, * or identity;q=0 decide', () => {
    const decidedByQ = ['gzip;q=0', 'br;q=0', 'br;q=0, gzip', 'br;q=0.5, gzip;q=0.8', 'gzip;q=0.5, br;q=0.4', '*', 'br;q=0, *', 'identity;q=0', '*;q=0', 'identity;q=0, deflate']
    const failedRows = PRECOMPRESSED_NEGOTIATION_CASES.map((row) => row.acceptEncoding).filter((acceptEncoding) => failed().has(title(acceptEncoding)))
    expect(failedRows.sort()).toEqual(decidedByQ.sort())
  })

  it('passes the rows a substring match gets right, and the hostile paths', () => {
    for (const acceptEncoding of [undefined, 'gzip', 'br', 'gzip, deflate, br', 'identity', 'deflate']) expect(failed().get(title(acceptEncoding))).toBeUndefined()
    expect([...failed().keys()].filter((check) => check.startsWith('GET ') || check.startsWith('raw request line'))).toEqual([])
  })
})

describe('a static server that sends deltas blindly', () => {
  const { failed } = againstStatic(sendsDeltasBlindlyStatic())
  const rowTitle = (row: (typeof DELTA_NEGOTIATION_CASES)[number]): string =>
    STATIC_CHECKS.find((check) => check.group === 'deltas (RFC 9842)' && check.title.includes(`Accept-Encoding ${JSON.stringify(row.acceptEncoding)}, Available-Dictionary ${row.availableDictionary ?? 'none'}${row.range === undefined ? ' ' : `, Range ${row.range}`}`))!.title

  it('fails exactly the delta rows where the dictionary is not held or a Range is sent', () => {
    const failedRows = DELTA_NEGOTIATION_CASES.filter((row) => failed().has(rowTitle(row)))
    expect(failedRows).toEqual(DELTA_NEGOTIATION_CASES.filter((row) => row.availableDictionary !== 'held' || row.range !== undefined))
    expect(failedRows.length).toBe(5)
  })

  it('fails the check that a delta file is never served by its own URL', () => {
    expect(failed().get('delta: a delta file asked for by its own URL reaches the fallback')).toMatch(/not-found handler/)
  })
})

const signTitle = (row: (typeof HTTPS_SIGN_CASES)[number]): string =>
  `${row.header}: ${JSON.stringify(row.value)} → ${row.https ? 'never compressed' : 'compressed'}`

describe('a compressor that compresses behind a TLS-terminating proxy', () => {
  const { target, failed } = againstCompressed(compressesOnHttps())

  it('rejects on X-Forwarded-Proto: https', async () => {
    await expect(find(COMPRESSION_CHECKS, signTitle({ header: 'X-Forwarded-Proto', value: 'https', https: true })).run(target())).rejects.toThrow(/no Content-Encoding/)
  })

  it('fails every row of the HTTPS-sign table that is a sign, and nothing else', () => {
    const expected = [...HTTPS_SIGN_CASES.filter((row) => row.https).map(signTitle), 'one header saying HTTPS among others saying HTTP → never compressed']
    expect([...failed().keys()].sort()).toEqual(expected.sort())
  })
})

describe('a compressor that ignores q-values', () => {
  const { failed } = againstCompressed(compressesOnHttps({ ignoresQValues: true }))

  it('fails exactly the Accept-Encoding rows where q-values or * decide', () => {
    const rows = COMPRESSION_NEGOTIATION_CASES.filter(({ acceptEncoding }) =>
      [...failed().keys()].some((title) => title.startsWith(`Accept-Encoding ${acceptEncoding === undefined ? '(none)' : JSON.stringify(acceptEncoding)} `)),
    ).map((row) => row.acceptEncoding)
    expect(rows.sort()).toEqual(['gzip;q=0', 'br;q=0', 'br;q=0, gzip', 'br;q=0.5, gzip;q=0.8', 'gzip;q=0.5, br;q=0.4', '*', 'br;q=0, *'].sort())
    expect(failed().has('a body under the threshold is compressed when the client refuses identity')).toBe(true)
  })
})

describe('a compressor that keeps strong ETags on compressed bodies', () => {
  const { failed } = againstCompressed(compressesOnHttps({ keepsStrongEtag: true }))

  it('fails every compressed answer on the ETag', () => {
    for (const row of HTTPS_SIGN_CASES.filter((candidate) => !candidate.https)) {
      expect(failed().get(signTitle(row))).toMatch(/ETag is weakened/)
    }
    expect(failed().get('plain HTTP without any proxy header → compressed')).toMatch(/ETag is weakened/)
  })
})
