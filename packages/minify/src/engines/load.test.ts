import { describe, expect, it } from 'vitest'
import { isConvoyError } from '@convoy/errors'
import { assertEnginesInstalled } from './index.js'
import { createLightningCssEngine } from './lightningcss.js'
import { lazyModule } from './load.js'
import { createSwcEngine } from './swc.js'

function thrown(run: () => void): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected it to throw')
}

const notFound = (name: string): Error => Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' })

describe('assertInstalled', () => {
  it('finds a package that is not installed without loading anything, and says how to install it', () => {
    let loads = 0
    // The real resolver, pointed at a package that does not exist.
    const missing = lazyModule('convoy-no-such-engine', 'nope', 'JS', () => {
      loads += 1
      return Promise.resolve({})
    })
    const error = thrown(() => missing.assertInstalled())
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect((error as Error).message).toBe("@convoy/minify: the 'nope' JS engine needs convoy-no-such-engine: npm install -D convoy-no-such-engine")
    expect(loads).toBe(0)
  })

  it('passes for an installed package, still without loading it', () => {
    let loads = 0
    const present = lazyModule('terser', 'terser', 'JS', () => {
      loads += 1
      return Promise.resolve({})
    })
    present.assertInstalled()
    expect(loads).toBe(0)
  })

  it('names swc and lightningcss and their packages when they are missing', () => {
    const swc = createSwcEngine(() => Promise.reject(notFound('@swc/core')), () => {
      throw notFound('@swc/core')
    })
    expect((thrown(() => swc.assertInstalled!()) as Error).message).toBe("@convoy/minify: the 'swc' JS engine needs @swc/core: npm install -D @swc/core")
    const lightning = createLightningCssEngine(() => Promise.reject(notFound('lightningcss')), () => {
      throw notFound('lightningcss')
    })
    const error = thrown(() => lightning.assertInstalled!())
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect((error as Error).message).toBe("@convoy/minify: the 'lightningcss' CSS engine needs lightningcss: npm install -D lightningcss")
  })
})

describe('assertEnginesInstalled', () => {
  it('passes for the default engines, for none, and for the optional ones when they are installed', () => {
    expect(() => assertEnginesInstalled({})).not.toThrow()
    expect(() => assertEnginesInstalled({ js: false, css: false })).not.toThrow()
    expect(() => assertEnginesInstalled({ js: 'terser', css: 'clean-css' })).not.toThrow()
    // Both are dev dependencies of this package.
    expect(() => assertEnginesInstalled({ js: 'swc', css: 'lightningcss' })).not.toThrow()
  })

  it('rejects an unknown engine', () => {
    const error = thrown(() => assertEnginesInstalled({ css: 'csso' as never }))
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_CONFIG')
    expect((error as Error).message).toBe("@convoy/minify: unknown CSS engine 'csso': use 'clean-css' or 'lightningcss'")
  })
})
