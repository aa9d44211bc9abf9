import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { cleanedFixtures } from './test-fixture.js'

const run = promisify(execFile)
const DIST = new URL('../../dist/index.js', import.meta.url)

// A separate Node process using the built package, as an app would.
const SCRIPT = `
import { createConvoy } from ${JSON.stringify(DIST.href)}
const convoy = await createConvoy({ manifest: process.argv[1] })
const members = ['css/x/a.css', 'css/b.css']
const url = await convoy.prepareCarpool('css', members)
process.stdout.write(JSON.stringify({ url, html: convoy.carpool('css', members) }))
`

async function render(manifestFile: string): Promise<{ url: string; html: string }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT, manifestFile], { timeout: 20_000 })
  return JSON.parse(stdout) as { url: string; html: string }
}

const fixture = cleanedFixtures()

describe('carpool bundles across processes', () => {
  it('has the same URL and bytes whichever process builds it', async () => {
    expect(existsSync(DIST), 'build @convoy/core first: pnpm turbo run build --filter=@convoy/core').toBe(true)
    const [one, two, shared] = await Promise.all([fixture(), fixture(), fixture()])
    // Two machines with their own disks, and two processes racing on one disk.
    const [a, b, c, d] = await Promise.all([render(one.manifestFile), render(two.manifestFile), render(shared.manifestFile), render(shared.manifestFile)])
    expect(a.url).toMatch(/^\/static\/CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/)
    for (const other of [b, c, d]) expect(other).toEqual(a)
    expect(a.html).toBe(`<!-- carpool css: 2 files -->\n<link rel="stylesheet" href="${a.url}">\n<!-- /carpool -->`)
    const path = a.url.slice('/static/'.length)
    for (const suffix of ['', '.gz', '.br']) {
      const bytes = await Promise.all([one, two, shared].map((created) => readFile(join(created.root, path + suffix))))
      expect(bytes[1]).toEqual(bytes[0])
      expect(bytes[2]).toEqual(bytes[0])
    }
  })
})
