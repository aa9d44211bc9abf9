import { defineConfig } from 'tsup'

export default defineConfig({
  // The worker is its own entry: worker threads load it by file name.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', worker: 'src/work/worker.ts' },
  format: 'esm',
  target: 'node20',
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
})
