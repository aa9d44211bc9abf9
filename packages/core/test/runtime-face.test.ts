import { spawnSync } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { temporaryDirectory } from './helpers.js'

const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const recorder = fileURLToPath(new URL('./fixtures/record-modules.mjs', import.meta.url))

/** Every module a fresh Node process loads for `script` (run as ESM from the package, so `@convoy/core` is this package, built). */
async function modulesLoadedBy(script: string): Promise<string[]> {
  const directory = await temporaryDirectory()
  try {
    const log = join(directory, 'modules.log')
    const result = spawnSync(process.execPath, ['--import', recorder, '--input-type=module', '-e', script], { cwd: packageDirectory, env: { ...process.env, CONVOY_MODULE_LOG: log }, encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    return (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '')
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

// What a web process must never pay for: the command line, the pipeline and its engines.
const HEAVY = [/cli-progress/, /[\\/]terser[\\/]/, /[\\/]clean-css[\\/]/, /[\\/]tinypool[\\/]/, /[\\/]jiti[\\/]/, /[\\/]core[\\/]dist[\\/](?:collect|cli|cli-api|worker)\.js$/, /[\\/]@convoy[\\/]minify[\\/]/, /[\\/]minify[\\/]dist[\\/]/, /[\\/]postcss[\\/]/, /[\\/]carpool[\\/]dist[\\/]build\.js$/]

describe('the runtime face', () => {
  it("import('@convoy/core') and createConvoy() load no CLI, pipeline, minifier or progress bar", async () => {
    const script = `const { createConvoy } = await import('@convoy/core'); const convoy = await createConvoy({ manifest: { version: 1, id: 'x', baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 }, files: {}, carpools: {}, history: [] } }); convoy.importMap()`
    const loaded = await modulesLoadedBy(script)
    expect(loaded.some((module) => /[\\/]core[\\/]dist[\\/]index\.js$/.test(module))).toBe(true)
    expect(loaded.filter((module) => HEAVY.some((pattern) => pattern.test(module)))).toEqual([])
  })

  it("import('@convoy/core') alone loads this entry and @convoy/errors: createConvoy() imports the runtime when called", async () => {
    const loaded = await modulesLoadedBy(`const core = await import('@convoy/core'); core.defineConfig({})`)
    const ours = loaded.filter((module) => !module.startsWith('node:'))
    expect(ours.filter((module) => !/[\\/](?:core|errors)[\\/]dist[\\/][^\\/]+\.js$/.test(module))).toEqual([])
    expect(ours.some((module) => /[\\/]errors[\\/]dist[\\/]index\.js$/.test(module))).toBe(true)
  })

  it('the recorder sees the pipeline when it is loaded (so the check above can fail)', async () => {
    const loaded = await modulesLoadedBy(`await import('@convoy/core/collect'); await import('@convoy/minify').then((minify) => minify.minifyJs('let a = 1', {}))`)
    expect(loaded.some((module) => /[\\/]core[\\/]dist[\\/]collect\.js$/.test(module))).toBe(true)
    expect(loaded.some((module) => /[\\/]terser[\\/]/.test(module))).toBe(true)
  })
})
