import { defineConfig } from 'tsup'

export default defineConfig({
  // Three faces (runtime, pipeline, CLI), the bin, and the worker, which worker threads load by file name.
  entry: { index: 'src/index.ts', collect: 'src/pipeline.ts', 'cli-api': 'src/cli-api.ts', cli: 'src/cli.ts', worker: 'src/work/worker.ts' },
  format: 'esm',
  target: 'node20',
  dts: { entry: { index: 'src/index.ts', collect: 'src/pipeline.ts', 'cli-api': 'src/cli-api.ts' } },
  sourcemap: true,
  clean: true,
})
