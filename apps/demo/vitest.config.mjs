import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.js'],
    // One Chromium and one demo server per file; the first run may install Chromium with apt-get and collect cold.
    testTimeout: 60_000,
    hookTimeout: 660_000,
    fileParallelism: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
})
