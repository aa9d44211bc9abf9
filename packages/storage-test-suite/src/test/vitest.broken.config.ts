import { defineConfig } from 'vitest/config'

// Runs only the broken-storage fixture; used by suite-catches-bugs.test.ts.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['broken-storages.suite.ts'],
  },
})
