// The Koa plumbing every middleware of the package shares.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'

/** A request header as one string, `undefined` when absent (Node gives repeated headers such as `set-cookie` as an array). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** A response header as one string, `undefined` when absent. */
export function responseHeader(res: ServerResponse, name: string): string | undefined {
  const value = res.getHeader(name)
  if (value === undefined) return undefined
  return typeof value === 'object' ? value.join(', ') : String(value)
}

/**
 * Cuts the connection when `body` fails after the response has started, so a client never waits for the rest of a
 * `Content-Length` that will not come. Koa 3 pipes bodies with `stream.pipeline`, which does that itself; Koa 2 uses
 * `body.pipe(res)`, which does not. Registered after Koa's own listener: when the failure comes before the headers,
 * Koa's error handler has answered 500 (and ended the response), which is left alone.
 */
export function cutOnError(body: Readable, res: ServerResponse): void {
  body.once('error', () => {
    if (!res.writableEnded) res.destroy()
  })
}
