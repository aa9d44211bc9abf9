import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import type { Manifest } from '@convoy/manifest'
import { chooseCoding, createAcceptEncodingCache } from '@convoy/gzip'
import { ifRangeHolds, matchHits, noneMatchHits, parseHttpDate, parseRange } from './conditional.js'
import { createBundleLookup } from './carpool-bundles.js'
import { buildIndex, type FileIndex, type Resource, type Variant } from './file-index.js'
import { createDirectorySource, createStorageSource, type FileSource, type ServeStorage } from './sources.js'

/** Where the collected files are: exactly one of a directory or a `Storage`. */
export type ServeStaticSource =
  | {
      /** Directory that `convoy collect --out` wrote. Relative paths resolve against the working directory. */
      readonly root: string
      readonly storage?: undefined
    }
  | {
      /** Any `Storage` (from `@convoy/core`): only `name`, `list`, `stat`, `read` and `readStream` are used. */
      readonly storage: ServeStorage
      readonly root?: undefined
    }

/** Options of {@link serveStatic}. */
export type ServeStaticOptions = ServeStaticSource & {
  /**
   * The manifest that says which names are fingerprinted (and so immutable) and which files to serve: a manifest
   * object, a path to one (with `root`: a filesystem path, relative to the working directory; with `storage`: a
   * storage path), or `false` to serve every file found under the root with the short `maxAge`.
   * Default: `convoy-manifest.json` at the root when it exists, else as `false`.
   */
  readonly manifest?: Manifest | string | false
  /**
   * URL path prefix under which the files are served, stripped before lookup. Default `'/'`: paths are taken
   * relative to where the middleware is mounted (`app.use('/static', serveStatic(…))` strips `/static` itself).
   * With plain `node:http`, pass the public prefix, e.g. `'/static/'`.
   */
  readonly prefix?: string
  /** `max-age` in seconds for files whose names are not known to be fingerprinted. Default `60`. */
  readonly maxAge?: number
  /** `max-age` in seconds for fingerprinted files (sent with `immutable`). Default `31536000` (one year). */
  readonly immutableMaxAge?: number
  /**
   * When true, unknown paths and malformed URLs call `next()` so later handlers can answer; when false, the
   * middleware answers 404 and 400 itself (as it does when called without `next`). Default `true`.
   */
  readonly fallthrough?: boolean
  /**
   * Called before the headers of a 200, 206 or 304 are written, with the storage path of the resource and the
   * response (our headers are already set there): set or change headers here.
   */
  readonly headers?: (path: string, res: ServerResponse) => void
  /** Total bytes of file contents kept in memory (served without touching the disk). Default 64 MiB; `0` disables. */
  readonly memoryCacheBytes?: number
  /** Largest file kept in memory. Default 256 KiB. */
  readonly memoryCacheMaxFileBytes?: number
  /**
   * Carpool bundles (`CARPOOL/css|js/<hex>.cmin.css|js` and their `.gz`/`.br`) are looked up in the root or storage
   * when a request names one the index does not have, since the runtime builds them at request time. A miss is
   * remembered this many milliseconds, so a bundle written a moment later is found soon after. Default `1000`;
   * `0` remembers no miss.
   */
  readonly dynamicLookupTtlMs?: number
}

/** A Connect/Express-style middleware that is also a plain `node:http` request listener. */
export interface ServeStaticMiddleware {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void
  /** Settles when the first index is built; rejects with a `ConvoyError` when it cannot be (bad root or manifest). */
  readonly ready: Promise<void>
  /**
   * Rebuilds the index from the manifest and files as they are now (e.g. after a new `convoy collect`), then swaps
   * it in at once. Requests are served from the previous index meanwhile; on failure the previous index stays.
   */
  readonly reload: () => Promise<void>
}

const DEFAULTS = {
  prefix: '/',
  maxAge: 60,
  immutableMaxAge: 31_536_000,
  memoryCacheBytes: 64 * 1024 * 1024,
  memoryCacheMaxFileBytes: 256 * 1024,
  dynamicLookupTtlMs: 1000,
} as const

function checkSeconds(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/serve: ${name} must be a whole number of seconds ≥ 0, got ${String(value)}`)
  }
  return value
}

function checkBytes(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/serve: ${name} must be a whole number of bytes ≥ 0, got ${String(value)}`)
  }
  return value
}

function checkMilliseconds(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/serve: ${name} must be a whole number of milliseconds ≥ 0, got ${String(value)}`)
  }
  return value
}

function normalizePrefix(prefix: string): string {
  if (!prefix.startsWith('/') || /[?#\\]/.test(prefix)) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/serve: prefix must be a URL path starting with "/", got "${prefix}"`)
  }
  return prefix.endsWith('/') ? prefix : `${prefix}/`
}

const ALLOW = 'GET, HEAD'

function mergeVary(previous: number | string | string[] | undefined, value: string): string {
  if (previous === undefined) return value
  const list = Array.isArray(previous) ? previous.join(', ') : String(previous)
  const names = list.split(',').map((name) => name.trim().toLowerCase())
  return names.includes('*') || names.includes(value.toLowerCase()) ? list : `${list}, ${value}`
}

/**
 * Serves the output of `convoy collect` from a directory or a `Storage`: precompressed `.br`/`.gz` siblings chosen
 * by `Accept-Encoding`, a year of `immutable` caching for fingerprinted names the manifest knows, validators and
 * ranges. Every servable path is indexed once at start, so a request is one Map lookup: nothing outside the index
 * (`..`, encoded or not, symlinks out of the root, dotfiles) can ever be served, and no `stat` runs per request.
 * The one exception: a request for a carpool bundle (`CARPOOL/css/<hex>.cmin.css`, `CARPOOL/js/<hex>.cmin.js`, or
 * their `.gz`/`.br`) the index lacks is looked up once, since the runtime writes those at request time.
 *
 * @example
 * // Express, mounted at /static
 * const assets = serveStatic({ root: 'dist/static' })
 * await assets.ready // fail at start, not at the first request
 * app.use('/static', assets)
 *
 * @example
 * // plain node:http
 * const assets = serveStatic({ root: 'dist/static', prefix: '/static/' })
 * http.createServer((req, res) => assets(req, res, () => { res.statusCode = 404; res.end('Not found') }))
 */
export function serveStatic(options: ServeStaticOptions): ServeStaticMiddleware {
  if ((options.root === undefined) === (options.storage === undefined)) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/serve: pass exactly one of `root` (a directory) or `storage` (a Storage)')
  }
  const source: FileSource = options.root === undefined ? createStorageSource(options.storage) : createDirectorySource(options.root)
  const prefix = normalizePrefix(options.prefix ?? DEFAULTS.prefix)
  const fallthrough = options.fallthrough ?? true
  const hook = options.headers
  const indexOptions = {
    manifest: options.manifest,
    maxAge: checkSeconds('maxAge', options.maxAge ?? DEFAULTS.maxAge),
    immutableMaxAge: checkSeconds('immutableMaxAge', options.immutableMaxAge ?? DEFAULTS.immutableMaxAge),
    memoryCacheBytes: checkBytes('memoryCacheBytes', options.memoryCacheBytes ?? DEFAULTS.memoryCacheBytes),
    memoryCacheMaxFileBytes: checkBytes('memoryCacheMaxFileBytes', options.memoryCacheMaxFileBytes ?? DEFAULTS.memoryCacheMaxFileBytes),
  }
  const acceptedCodings = createAcceptEncodingCache()
  const bundles = createBundleLookup(
    source,
    indexOptions,
    checkMilliseconds('dynamicLookupTtlMs', options.dynamicLookupTtlMs ?? DEFAULTS.dynamicLookupTtlMs),
  )

  let index: FileIndex | undefined
  let generation = 0
  let pendingReload: Promise<void> | undefined

  const rebuild = async (): Promise<void> => {
    const mine = ++generation
    const built = await buildIndex(source, indexOptions)
    // Bundles found at request time stay while they exist: pages already link them.
    if (index !== undefined) await bundles.carryOver(index, built)
    // Of two overlapping reloads, the one started last wins, whichever finishes first.
    if (mine === generation || index === undefined) {
      index = built
      bundles.forgetMisses()
    }
  }
  const ready = rebuild()
  // The failure is reported through `ready` and to requests; it must not also crash the process as unhandled.
  ready.catch(() => undefined)

  /** A file changed under a streamed response: rebuild once, whoever notices first. */
  const reloadOnce = (): Promise<void> => {
    pendingReload ??= rebuild().finally(() => {
      pendingReload = undefined
    })
    return pendingReload
  }

  const writeHead = (res: ServerResponse, status: number, headers: readonly string[], path: string, hasVary: boolean): void => {
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
    hook?.(path, res)
    res.writeHead(status)
  }

  const answer = (res: ServerResponse, status: number, text: string, extra: readonly string[] = []): void => {
    res.writeHead(status, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text)), ...extra])
    res.end(text)
  }

  const pass = (res: ServerResponse, next: ((error?: unknown) => void) | undefined, status: 400 | 404): void => {
    if (fallthrough && next !== undefined) next()
    else answer(res, status, status === 400 ? 'Bad Request' : 'Not Found')
  }

  const fail = (res: ServerResponse, next: ((error?: unknown) => void) | undefined, error: unknown): void => {
    if (next !== undefined) next(error)
    else if (!res.headersSent) answer(res, 500, 'Internal Server Error')
    else res.destroy()
  }

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    next: ((error?: unknown) => void) | undefined,
    resource: Resource,
    variant: Variant,
    retried: boolean,
  ): void => {
    const method = req.method
    const { file } = variant
    const headers = req.headers
    let status = 200
    let start = 0
    let end = file.size - 1
    let responseHeaders: readonly string[] = variant.headers

    const range = headers.range
    if (range !== undefined && variant.rangeable && method === 'GET') {
      const ifRange = headers['if-range']
      if (typeof ifRange === 'string' ? ifRangeHolds(ifRange, file.etag, file.lastModified) : ifRange === undefined) {
        const wanted = parseRange(range, file.size)
        if (wanted === 'unsatisfiable') {
          const extra = ['Content-Range', `bytes */${file.size}`, 'Accept-Ranges', 'bytes']
          if (variant.vary) extra.push('Vary', 'Accept-Encoding')
          answer(res, 416, 'Range Not Satisfiable', extra)
          return
        }
        if (wanted !== 'ignore') {
          status = 206
          start = wanted.start
          end = wanted.end
          responseHeaders = [
            ...variant.headers.map((value, i, all) => (i % 2 === 1 && all[i - 1] === 'Content-Length' ? String(end - start + 1) : value)),
            'Content-Range',
            `bytes ${start}-${end}/${file.size}`,
          ]
        }
      }
    }

    if (method === 'HEAD') {
      writeHead(res, status, responseHeaders, resource.path, variant.vary)
      res.end()
      return
    }
    if (file.body !== undefined) {
      writeHead(res, status, responseHeaders, resource.path, variant.vary)
      res.end(status === 206 ? file.body.subarray(start, end + 1) : file.body)
      return
    }
    if (file.size === 0) {
      writeHead(res, status, responseHeaders, resource.path, variant.vary)
      res.end()
      return
    }
    source.stream(file, start, end).then(
      (stream) => {
        if (stream === null) {
          // Deleted since indexing: as unknown as any other missing file.
          void reloadOnce().catch(() => undefined)
          pass(res, next, 404)
          return
        }
        if (stream === 'stale') {
          if (retried) {
            answer(res, 503, 'Service Unavailable', ['Retry-After', '1'])
            return
          }
          reloadOnce().then(
            () => serve(req, res, next, true),
            (error: unknown) => fail(res, next, error),
          )
          return
        }
        writeHead(res, status, responseHeaders, resource.path, variant.vary)
        pipeline(stream, res, (error) => {
          if (error) res.destroy()
        })
      },
      (error: unknown) => fail(res, next, error),
    )
  }

  function serve(req: IncomingMessage, res: ServerResponse, next: ((error?: unknown) => void) | undefined, retried: boolean): void {
    const current = index
    if (current === undefined) {
      ready.then(
        () => serve(req, res, next, retried),
        (error: unknown) => fail(res, next, error),
      )
      return
    }
    const url = req.url ?? '/'
    const query = url.indexOf('?')
    const rawPath = query === -1 ? url : url.slice(0, query)
    if (!rawPath.startsWith(prefix)) {
      // Not under our prefix: not ours to answer, whatever `fallthrough` says.
      if (next === undefined) answer(res, 404, 'Not Found')
      else next()
      return
    }
    // Decoded exactly once: `%252e` stays the literal `%2e`, which no index key can equal.
    let path = rawPath.slice(prefix.length)
    if (path.includes('%')) {
      try {
        path = decodeURIComponent(path)
      } catch {
        pass(res, next, 400)
        return
      }
    }
    const resource = current.resources.get(path)
    if (resource !== undefined) {
      respond(req, res, next, resource, retried)
      return
    }
    // The only paths ever looked up outside the index: carpool bundles the runtime may have written since.
    const bundle = bundles.candidate(current, path)
    if (bundle === undefined) {
      pass(res, next, 404)
      return
    }
    bundles.lookup(current, bundle).then(
      () => {
        const found = current.resources.get(path)
        if (found === undefined) pass(res, next, 404)
        else respond(req, res, next, found, retried)
      },
      (error: unknown) => fail(res, next, error),
    )
  }

  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    next: ((error?: unknown) => void) | undefined,
    resource: Resource,
    retried: boolean,
  ): void {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      answer(res, 405, 'Method Not Allowed', ['Allow', ALLOW])
      return
    }

    let variant = resource.identity
    if (resource.negotiated) {
      const coding = chooseCoding(acceptedCodings(req.headers['accept-encoding']), resource.available)
      if (coding === null) {
        answer(res, 406, 'Not Acceptable', ['Vary', 'Accept-Encoding'])
        return
      }
      variant = (coding === 'identity' ? undefined : resource.variants[coding]) ?? resource.identity
    }

    const headers = req.headers
    const { file } = variant
    // Preconditions in the order of RFC 9110 §13.2.2.
    const ifMatch = headers['if-match']
    if (ifMatch !== undefined) {
      if (!matchHits(ifMatch, file.etag)) {
        answer(res, 412, 'Precondition Failed')
        return
      }
    } else {
      const ifUnmodifiedSince = headers['if-unmodified-since']
      const since = ifUnmodifiedSince === undefined || file.mtimeMs === undefined ? undefined : parseHttpDate(ifUnmodifiedSince)
      if (since !== undefined && file.mtimeMs !== undefined && Math.floor(file.mtimeMs / 1000) * 1000 > since) {
        answer(res, 412, 'Precondition Failed')
        return
      }
    }
    const ifNoneMatch = headers['if-none-match']
    let notModified = false
    if (ifNoneMatch !== undefined) {
      notModified = noneMatchHits(ifNoneMatch, file.etag)
    } else {
      const ifModifiedSince = headers['if-modified-since']
      const since = ifModifiedSince === undefined || file.mtimeMs === undefined ? undefined : parseHttpDate(ifModifiedSince)
      notModified = since !== undefined && file.mtimeMs !== undefined && Math.floor(file.mtimeMs / 1000) * 1000 <= since
    }
    if (notModified) {
      writeHead(res, 304, variant.notModified, resource.path, variant.vary)
      res.end()
      return
    }

    send(req, res, next, resource, variant, retried)
  }

  function convoyServeStatic(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void {
    serve(req, res, next, false)
  }

  return Object.assign(convoyServeStatic, {
    ready,
    reload: rebuild,
  })
}
