import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A server the suite started: where it listens, and how to stop it. */
export interface ListeningServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** Closes open connections and stops the server. */
  readonly close: () => Promise<void>
}

/** Starts a node:http server with `listener` on a free port of 127.0.0.1. */
export async function listen(listener: RequestListener): Promise<ListeningServer> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
