import { defineConfig } from 'tsup'

// The server, compiled (hono/jsx pages are TSX); `pnpm start` runs dist/server.js.
export default defineConfig({
  entry: ['src/server.ts', 'src/app.tsx'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
})
