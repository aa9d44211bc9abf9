import { defineConfig } from 'vitest/config'
import { noTempLeftovers } from '../../scripts/vitest-no-temp-leftovers.mjs'

export default defineConfig({
  test: {
    // The run gets its own temporary directory, and fails listing any `convoy-*` entry a test left in it.
    globalSetup: [noTempLeftovers],
    include: ['test/**/*.test.{ts,tsx}'],
    // The browser test may install Chromium with apt-get first; each file collects into its own folder.
    testTimeout: 60_000,
    hookTimeout: 660_000,
    fileParallelism: false,
  },
})
