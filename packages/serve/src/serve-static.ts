import type { IncomingMessage, ServerResponse } from 'node:http'
import { join, resolve } from 'node:path'
import { pipeline } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { MANIFEST_FILE, type Manifest } from '@convoy/manifest'
import { chooseCoding, createAcceptEncodingCache } from '@convoy/gzip'
import { evaluatePreconditions, ifRangeHolds, parseRange } from './conditional.js'
import { createBundleLookup } from './carpool-bundles.js'
import { buildIndex, type FileIndex, type Resource, type Variant } from './file-index.js'
import { ALLOW, answer, fail, guarded, normalizePrefix, pass as passOn, routedPath, writeHeadWith, type Next } from './http.js'
import { watchManifest, type ManifestWatch } from './manifest-watch.js'
import { serveSources } from './serve-sources.js'
import { createDirectorySource, createStorageSource, type FileSource, type ServeStorage } from './sources.js'

/**
 * What to serve: exactly one of the directory `convoy collect` wrote, a `Storage` it wrote to, or (in development)
 * the source directories themselves.
 */
export type ServeStaticSource =
  | {
      /** Directory that `convoy collect --out` wrote. Relative paths resolve against the working directory. */
      readonly root: string
      readonly storage?: undefined
      readonly sources?: undefined
    }
  | {
      /** Any `Storage` (the type of `@convoy/storage`): only `name`, `list`, `stat`, `read` and `readStream` are used. */
      readonly storage: ServeStorage
      readonly root?: undefined
      readonly sources?: undefined
    }
  | {
      /**
       * Development: the source directories of `convoy collect`, in the same order (the first that has a path wins),
       * served as they are on disk at each request, with `Cache-Control: no-cache`; no `collect` needed. Pair it with
       * `createConvoy({ debug: true })`, whose URLs are `baseUrl + logicalPath`. Relative paths resolve against the
       * working directory. Only `prefix`, `fallthrough` and `headers` apply.
       */
      readonly sources: readonly string[]
      readonly root?: undefined
      readonly storage?: undefined
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
  /**
   * With `root`: rebuild the index by itself when the manifest file is replaced (`convoy collect`, or
   * `collect --watch`, writing into the served root), so the files the new manifest names are served without a
   * restart; stop with `close()`. The manifest watched is the `manifest` path, else `<root>/convoy-manifest.json`
   * (also with `manifest: false`, as the sign that a collect finished). Default `true` with `root` unless `manifest`
   * is an object; `true` is refused with a `storage` or a manifest object, which cannot be watched.
   */
  readonly watch?: boolean
  /** Receives warnings: a rebuild after a manifest change that failed, or a manifest that cannot be watched. Default `console.warn`. */
  readonly onWarning?: (message: string) => void
}

/** A Connect/Express-style middleware that is also a plain `node:http` request listener. */
export interface ServeStaticMiddleware {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void
  /**
   * Settles when the first index is built; rejects with a `ConvoyError` when it cannot be (bad root or manifest).
   * With `sources`: when every source directory has been found.
   */
  readonly ready: Promise<void>
  /**
   * Rebuilds the index from the manifest and files as they are now (e.g. after a new `convoy collect`), then swaps
   * it in at once. Requests are served from the previous index meanwhile; on failure the previous index stays.
   * With `sources`: checks the source directories again (files are read afresh on every request anyway).
   */
  readonly reload: () => Promise<void>
  /** Stops watching the manifest (`watch`); requests are still answered, from the index as it is. */
  readonly close: () => void
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

/** Options that only make sense for collected files: given with `sources`, they are refused rather than ignored. */
const COLLECTED_ONLY = ['manifest', 'maxAge', 'immutableMaxAge', 'memoryCacheBytes', 'memoryCacheMaxFileBytes', 'dynamicLookupTtlMs', 'watch'] as const

/**
 * Serves the output of `convoy collect` from a directory or a `Storage`: precompressed `.br`/`.gz` siblings chosen
 * by `Accept-Encoding`, a year of `immutable` caching for fingerprinted names the manifest knows, validators and
 * ranges. Every servable path is indexed once at start, so a request is one Map lookup: nothing outside the index
 * (`..`, encoded or not, symlinks out of the root, dotfiles) can ever be served, and no `stat` runs per request.
 * The one exception: a request for a carpool bundle (`CARPOOL/css/<hex>.cmin.css`, `CARPOOL/js/<hex>.cmin.js`, or
 * their `.gz`/`.br`) the index lacks is looked up once, since the runtime writes those at request time.
 * With `root`, the manifest file is watched: a new `convoy collect` into the root is indexed and swapped in by itself.
 *
 * With `sources` instead (development), the source directories are served as they are on disk at each request:
 * nothing is indexed, every answer is `Cache-Control: no-cache` with validators from the file's current stat.
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
 *
 * @example
 * // development: the sources of convoy.config, with createConvoy({ debug: true, baseUrl: '/static/' })
 * app.use('/static', serveStatic({ sources: ['static', 'vendor/static'] }))
 */
export function serveStatic(options: ServeStaticOptions): ServeStaticMiddleware {
  const given = [options.root, options.storage, options.sources].filter((value) => value !== undefined).length
  if (given !== 1) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/serve: pass exactly one of `root` (a directory), `storage` (a Storage) or `sources` (development)')
  }
  const prefix = normalizePrefix(options.prefix ?? DEFAULTS.prefix)
  const fallthrough = options.fallthrough ?? true
  const hook = options.headers
  if (options.sources !== undefined) return serveSourcesWith(options, options.sources, prefix, fallthrough, hook)
  const source: FileSource = options.root === undefined ? createStorageSource(options.storage) : createDirectorySource(options.root)
  const warn = options.onWarning ?? ((message: string) => console.warn(message))
  const watched = watchedManifest(options)
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
  let watching: ManifestWatch | undefined
  let closed = false

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
    // Watched from the first index that stands (at start, or the first reload() that works after a failed start).
    if (watched !== undefined && watching === undefined && !closed) watching = watchManifest(watched, rebuild, warn)
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

  const writeHead = (res: ServerResponse, status: number, headers: readonly string[], path: string, hasVary: boolean): void =>
    writeHeadWith(hook, res, status, headers, path, hasVary)

  const pass = (res: ServerResponse, next: Next | undefined, status: 400 | 404): void => passOn(res, next, status, fallthrough)

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    next: Next | undefined,
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
      guarded(res, next, (stream) => {
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
            guarded(res, next, () => serve(req, res, next, true)),
            (error: unknown) => fail(res, next, error),
          )
          return
        }
        try {
          writeHead(res, status, responseHeaders, resource.path, variant.vary)
        } catch (error) {
          stream.destroy()
          throw error
        }
        pipeline(stream, res, (error) => {
          if (error) res.destroy()
        })
      }),
      (error: unknown) => fail(res, next, error),
    )
  }

  function serve(req: IncomingMessage, res: ServerResponse, next: Next | undefined, retried: boolean): void {
    const current = index
    if (current === undefined) {
      ready.then(
        guarded(res, next, () => serve(req, res, next, retried)),
        (error: unknown) => fail(res, next, error),
      )
      return
    }
    const path = routedPath(req, res, next, prefix, fallthrough)
    if (path === undefined) return
    const resource = current.resources.get(path)
    if (resource !== undefined) {
      respond(req, res, next, resource, retried)
      return
    }
    // A new manifest was just written and is being indexed: the page asking may already name its files.
    const settling = retried ? undefined : watching?.settling()
    if (settling !== undefined) {
      settling.then(
        guarded(res, next, () => serve(req, res, next, true)),
        (error: unknown) => fail(res, next, error),
      )
      return
    }
    // The only paths ever looked up outside the index: carpool bundles the runtime may have written since.
    const bundle = bundles.candidate(current, path)
    if (bundle === undefined) {
      pass(res, next, 404)
      return
    }
    bundles.lookup(current, bundle).then(
      guarded(res, next, () => {
        const found = current.resources.get(path)
        if (found === undefined) pass(res, next, 404)
        else respond(req, res, next, found, retried)
      }),
      (error: unknown) => fail(res, next, error),
    )
  }

  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    next: Next | undefined,
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

    const { file } = variant
    const outcome = evaluatePreconditions(req.headers, file.etag, file.mtimeMs)
    if (outcome === 'failed') {
      answer(res, 412, 'Precondition Failed')
      return
    }
    if (outcome === 'not-modified') {
      writeHead(res, 304, variant.notModified, resource.path, variant.vary)
      res.end()
      return
    }

    send(req, res, next, resource, variant, retried)
  }

  function convoyServeStatic(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void {
    // A throwing `headers` hook (the only user code we run) ends up where errors go, never as an uncaught exception.
    try {
      serve(req, res, next, false)
    } catch (error) {
      fail(res, next, error)
    }
  }

  return Object.assign(convoyServeStatic, {
    ready,
    reload: rebuild,
    close() {
      closed = true
      watching?.close()
      watching = undefined
    },
  })
}

/** The manifest file to watch for `options`, or `undefined` when there is none to watch (or watching is off). */
function watchedManifest(options: ServeStaticOptions): string | undefined {
  const cannot = options.root === undefined ? 'a `storage`' : typeof options.manifest === 'object' ? 'a manifest object' : undefined
  if (cannot !== undefined) {
    if (options.watch === true) {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/serve: watch: true needs \`root\` and a manifest on disk; ${cannot} cannot be watched (call reload() instead)`)
    }
    return undefined
  }
  if (options.watch === false) return undefined
  return typeof options.manifest === 'string' ? resolve(options.manifest) : join(resolve(options.root ?? '.'), MANIFEST_FILE)
}

/** `serveStatic({ sources })`: development, straight from the source directories. */
function serveSourcesWith(
  options: ServeStaticOptions,
  sources: readonly string[],
  prefix: string,
  fallthrough: boolean,
  hook: ServeStaticOptions['headers'],
): ServeStaticMiddleware {
  if (!Array.isArray(sources) || sources.length === 0 || sources.some((source) => typeof source !== 'string' || source.trim() === '')) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/serve: `sources` must be a non-empty list of directories, in the order `convoy collect` reads them')
  }
  const misplaced = COLLECTED_ONLY.filter((name) => options[name] !== undefined)
  if (misplaced.length > 0) {
    throw new ConvoyError(
      'ERR_CONVOY_CONFIG',
      `@convoy/serve: ${misplaced.map((name) => `\`${name}\``).join(', ')} ${misplaced.length === 1 ? 'applies' : 'apply'} only to collected files (\`root\` or \`storage\`); ` +
        'with `sources` every file is read from disk at each request and sent with `Cache-Control: no-cache`',
    )
  }
  return serveSources({ sources, prefix, fallthrough, headers: hook })
}
