// `convoy collect` reads this file. Two sources, in order: when both hold the same logical path, the first wins,
// so a file in static/ (ours) overrides the copy in static-vendor/ (copied from node_modules by `pnpm build`).
import { defineConfig } from '@convoy/core'

const s3Endpoint = process.env.DEMO_S3_ENDPOINT

export default defineConfig({
  sources: ['static', 'static-vendor'],
  baseUrl: '/static/',
  ...(s3Endpoint === undefined || s3Endpoint === ''
    ? { out: 'public-collected' }
    : // DEMO_STORAGE=s3: `pnpm start` starts a local S3-compatible server, sets DEMO_S3_ENDPOINT and collects into it.
      { storage: (await import('./src/s3.js')).createDemoS3Storage(s3Endpoint) }),
})
