import { defineConfig } from 'vitest/config'
import { noTempLeftovers } from '../../scripts/vitest-no-temp-leftovers.mjs'

export default defineConfig({
  test: {
    // The run gets its own temporary directory, and fails listing any `convoy-*` entry a test left in it.
    globalSetup: [noTempLeftovers],
    include: ['test/**/*.test.js'],
    // One Chromium and one demo server per file; the first run may install Chromium with apt-get and collect cold.
    testTimeout: 60_000,
    hookTimeout: 660_000,
    fileParallelism: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
})
