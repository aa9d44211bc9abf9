// The node:http plumbing of `serveStatic`: writing the core's answers onto a `ServerResponse`.
import type { ServerResponse } from 'node:http'
import { mergeVary } from '@convoy/http'

/** The `next` of a Connect/Express middleware. */
export type Next = (error?: unknown) => void

/** A short plain-text answer the middleware gives itself (404, 400, 500…). */
export function answer(res: ServerResponse, status: number, text: string, extra: readonly string[] = []): void {
  res.writeHead(status, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text)), ...extra])
  res.end(text)
}

/** An error while answering: to `next(error)` when there is one, else a 500 (or a cut connection once headers are out). */
export function fail(res: ServerResponse, next: Next | undefined, error: unknown): void {
  if (next !== undefined) next(error)
  else if (!res.headersSent) answer(res, 500, 'Internal Server Error')
  else res.destroy()
}

/**
 * Writes a status and the flat header list, through the `headers` hook when there is one, keeping an earlier `Vary`.
 * A hook that throws leaves none of our headers behind and the error is thrown on.
 */
export function writeHeadWith(
  hook: ((path: string, res: ServerResponse) => void) | undefined,
  res: ServerResponse,
  status: number,
  headers: readonly string[],
  path: string,
  hasVary: boolean,
): void {
  if (hook === undefined && !(hasVary && res.hasHeader('vary'))) {
    res.writeHead(status, headers as string[])
    return
  }
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    const value = headers[i + 1] as string
    // Keep what earlier middleware put in Vary (e.g. `Origin` from a CORS layer), adding ours once.
    res.setHeader(name, name === 'Vary' ? mergeVary(res.getHeader('vary'), value) : value)
  }
  try {
    hook?.(path, res)
  } catch (error) {
    // Whoever answers the error next must not inherit this file's Content-Length, ETag or caching (a Vary, merged
    // with an earlier middleware's, may stay: it is true of any answer at this URL).
    for (let i = 0; i < headers.length; i += 2) if (headers[i] !== 'Vary') res.removeHeader(headers[i] as string)
    throw error
  }
  res.writeHead(status)
}
