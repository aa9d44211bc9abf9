// The HTTP plumbing both ways of serving share: the collected output (`serve-static.ts`) and the source
// directories in development (`serve-sources.ts`).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ConvoyError } from '@convoy/errors'

/** The `next` of a Connect/Express middleware. */
export type Next = (error?: unknown) => void

export const ALLOW = 'GET, HEAD'

export function normalizePrefix(prefix: string): string {
  if (!prefix.startsWith('/') || /[?#\\]/.test(prefix)) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/serve: prefix must be a URL path starting with "/", got "${prefix}"`)
  }
  return prefix.endsWith('/') ? prefix : `${prefix}/`
}

/** The request is not under our prefix: not ours to answer, whatever `fallthrough` says. */
export const NOT_OURS = Symbol('not ours')
/** The path's percent-encoding is invalid. */
export const MALFORMED = Symbol('malformed')

/** Hands a request we do not serve on: to `next` with `fallthrough` (when there is one), else answers `status`. */
export function pass(res: ServerResponse, next: Next | undefined, status: 400 | 404, fallthrough: boolean): void {
  if (fallthrough && next !== undefined) next()
  else answer(res, status, status === 400 ? 'Bad Request' : 'Not Found')
}

/**
 * The decoded path of a request below `prefix`, or `undefined` when the request has been handed on already: one
 * outside the prefix goes to `next` (404 without one), whatever `fallthrough` says; a malformed one is {@link pass}ed
 * with 400.
 */
export function routedPath(req: IncomingMessage, res: ServerResponse, next: Next | undefined, prefix: string, fallthrough: boolean): string | undefined {
  const path = requestPath(req.url, prefix)
  if (path === NOT_OURS) {
    if (next === undefined) answer(res, 404, 'Not Found')
    else next()
    return undefined
  }
  if (path === MALFORMED) {
    pass(res, next, 400, fallthrough)
    return undefined
  }
  return path
}

/**
 * The path a request names below `prefix`, without the query, decoded exactly once: `%252e` stays the literal
 * `%2e`, which no servable path can equal.
 */
export function requestPath(url: string | undefined, prefix: string): string | typeof NOT_OURS | typeof MALFORMED {
  const whole = url ?? '/'
  const query = whole.indexOf('?')
  const rawPath = query === -1 ? whole : whole.slice(0, query)
  if (!rawPath.startsWith(prefix)) return NOT_OURS
  const path = rawPath.slice(prefix.length)
  if (!path.includes('%')) return path
  try {
    return decodeURIComponent(path)
  } catch {
    return MALFORMED
  }
}

export function mergeVary(previous: number | string | string[] | undefined, value: string): string {
  if (previous === undefined) return value
  const list = Array.isArray(previous) ? previous.join(', ') : String(previous)
  const names = list.split(',').map((name) => name.trim().toLowerCase())
  return names.includes('*') || names.includes(value.toLowerCase()) ? list : `${list}, ${value}`
}

/** A short plain-text answer the middleware gives itself (404, 405, 416…). */
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
 * `run`, for a continuation of a request (after a promise): what it throws goes to {@link fail} instead of becoming
 * an unhandled rejection.
 */
export function guarded<T>(res: ServerResponse, next: Next | undefined, run: (value: T) => void): (value: T) => void {
  return (value) => {
    try {
      run(value)
    } catch (error) {
      fail(res, next, error)
    }
  }
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
