import { defineConfig } from 'vitest/config'
import { noTempLeftovers } from '../../scripts/vitest-no-temp-leftovers.mjs'

export default defineConfig({
  test: {
    // The run gets its own temporary directory, and fails listing any `convoy-*` entry a test left in it.
    globalSetup: [noTempLeftovers],
  },
})
