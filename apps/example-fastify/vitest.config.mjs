import { defineConfig } from 'vitest/config'
import { noTempLeftovers } from '../../scripts/vitest-no-temp-leftovers.mjs'

export default defineConfig({
  test: {
    // The run gets its own temporary directory, and fails listing any `convoy-*` entry a test left in it.
    globalSetup: [noTempLeftovers],
    include: ['test/**/*.test.js'],
    // Each file collects the site into a temporary folder first; the browser test may install Chromium with apt-get.
    testTimeout: 60_000,
    hookTimeout: 660_000,
    fileParallelism: false,
  },
})
