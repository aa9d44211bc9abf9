import { describe, expect, it } from 'vitest'
import { createAsset } from '../asset.js'
import { createInlineRunner } from '../../work/runner.js'
import { createMinifyStage } from './minify.js'

describe('the minify stage', () => {
  it('leaves alone a script not held in memory (streamed, above the threshold), and minifies one that is', () => {
    const stage = createMinifyStage({ js: 'terser', css: 'clean-css', useExistingMin: true, runner: createInlineRunner() })
    const held = createAsset({ logicalPath: 'js/app.js', sourceFile: '/src/js/app.js', size: 9, contentType: 'text/javascript', bytes: new TextEncoder().encode('let a = 1') })
    const streamed = createAsset({ logicalPath: 'js/huge.js', sourceFile: '/src/js/huge.js', size: 9 * 1024 * 1024, contentType: 'text/javascript' })
    expect(stage.applies(held)).toBe(true)
    expect(streamed.contents).toBeNull()
    expect(stage.applies(streamed)).toBe(false)
  })
})
