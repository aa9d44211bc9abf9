import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { engineVersions } from './index.js'

const require = createRequire(import.meta.url)

describe('engineVersions', () => {
  it('reports the installed version of every engine, optional ones included when present', () => {
    const versions = engineVersions()
    expect(versions).toEqual({
      terser: (require('terser/package.json') as { version: string }).version,
      'clean-css': (require('clean-css/package.json') as { version: string }).version,
      '@swc/core': (require('@swc/core/package.json') as { version: string }).version,
      // lightningcss does not export its package.json: found by walking up from its entry point.
      lightningcss: expect.stringMatching(/^1\.\d+\.\d+$/),
    })
  })

  it('is computed once and cannot be changed by a caller', () => {
    expect(engineVersions()).toBe(engineVersions())
    expect(Object.isFrozen(engineVersions())).toBe(true)
  })
})
