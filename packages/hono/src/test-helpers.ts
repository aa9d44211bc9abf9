// Shared by the tests: a Hono app on @hono/node-server over real HTTP on 127.0.0.1, and an in-memory Storage.
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { serve } from '@hono/node-server'
import type { ServeStorage } from '@convoy/serve'
import type { Hono } from 'hono'

export interface Running {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  readonly close: () => Promise<void>
}

/** Serves `app` with @hono/node-server on 127.0.0.1, on an ephemeral port. */
export async function listen(app: Pick<Hono, 'fetch'>): Promise<Running> {
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server: started, port: info.port }))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const http = server as unknown as { closeAllConnections?: () => void }
        http.closeAllConnections?.()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}

/** A `Storage` (the parts `@convoy/serve` reads) over a map of paths to bytes. */
export function memoryStorage(objects: ReadonlyMap<string, Uint8Array>): ServeStorage & { reads: number } {
  const at = new Date('2026-01-01T00:00:00Z')
  const storage = {
    name: 'memory',
    reads: 0,
    read(path: string) {
      storage.reads++
      return Promise.resolve(objects.get(path) ?? null)
    },
    readStream(path: string) {
      storage.reads++
      const bytes = objects.get(path)
      return Promise.resolve(bytes === undefined ? null : Readable.from([Buffer.from(bytes)]))
    },
    stat(path: string) {
      const bytes = objects.get(path)
      return Promise.resolve(bytes === undefined ? null : { path, size: bytes.length, lastModified: at })
    },
    async *list(prefix = '') {
      await Promise.resolve()
      for (const [path, bytes] of objects) if (path.startsWith(prefix)) yield { path, size: bytes.length, lastModified: at }
    },
  }
  return storage
}
