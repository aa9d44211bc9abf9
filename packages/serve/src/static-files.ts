// The framework-free core of serving: every decision about a request for a static file (which file, which encoding,
// which headers, which status) is made here, once. `serveStatic` (node:http, Connect, Express) and the Fastify, Koa
// and Hono adapters only translate the answer into their framework's reply.
import type { Readable } from 'node:stream'
import { ConvoyError } from '@convoy/errors'
import { chooseCoding, createAcceptEncodingCache, type AcceptedCodings } from '@convoy/gzip'
import { MALFORMED, NOT_OURS, normalizePrefix, parseAvailableDictionary, requestPath } from '@convoy/http'
import { MANIFEST_FILE, type Manifest } from '@convoy/manifest'
import { DELTA_ENCODING_NAMES } from '@convoy/storage'
import { join, resolve } from 'node:path'
import { createBundleLookup } from './carpool-bundles.js'
import { evaluatePreconditions, ifRangeHolds, parseRange } from './conditional.js'
import { buildIndex, isUnresolved, resolvePath, type DeltaVariantsOf, type FileIndex, type Resource, type Variant } from './file-index.js'
import { watchManifest, type ManifestWatch } from './manifest-watch.js'
import { createSourceAnswers } from './serve-sources.js'
import { createDirectorySource, createStorageSource, type FileSource, type ServeStorage } from './sources.js'

const DEFAULT_PACKAGE = '@convoy/serve'

/** Who is asking, for the messages of the errors `createStaticFiles` throws. */
export interface StaticFilesCaller {
  /** Prefixes every error message, so a user of an adapter reads its name: `'@convoy/koa'`. Default `'@convoy/serve'`. */
  readonly packageName?: string
}

/**
 * What to serve: exactly one of the directory `convoy collect` wrote, a `Storage` it wrote to, or (in development)
 * the source directories themselves.
 */
export type StaticFilesSource =
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
       * working directory. Only `prefix` applies (and an adapter's `fallthrough` and `headers`).
       */
      readonly sources: readonly string[]
      readonly root?: undefined
      readonly storage?: undefined
    }

/** Options of {@link createStaticFiles}: everything about which files to serve and how, nothing about a framework. */
export type StaticFilesOptions = StaticFilesSource & {
  /**
   * The manifest that says which names are fingerprinted (and so immutable) and which files to serve: a manifest
   * object, a path to one (with `root`: a filesystem path, relative to the working directory; with `storage`: a
   * storage path), or `false` to serve every file found under the root with the short `maxAge`.
   * Default: `convoy-manifest.json` at the root when it exists, else as `false`.
   */
  readonly manifest?: Manifest | string | false
  /**
   * URL path prefix of the files, stripped from {@link StaticRequest.url} before lookup; a URL outside it is
   * `not-ours`. Default `'/'`.
   */
  readonly prefix?: string
  /** `max-age` in seconds for files whose names are not known to be fingerprinted. Default `60`. */
  readonly maxAge?: number
  /** `max-age` in seconds for fingerprinted files (sent with `immutable`). Default `31536000` (one year). */
  readonly immutableMaxAge?: number
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

/** The parts of a request the answer depends on, whatever the framework. */
export interface StaticRequest {
  /** `GET`, `HEAD`, … */
  readonly method: string
  /**
   * The URL as on the request line: path and query, still percent-encoded (Node's `req.url`, Fastify's
   * `request.raw.url`, Koa's `ctx.url`, `pathname + search` of a Web `Request`'s URL). Never a path the framework
   * has decoded: it is decoded here exactly once, so every adapter meets hostile paths the same way.
   */
  readonly url: string
  /** A request header by its lower-case name, `undefined` when absent (repeated headers joined with `, `). */
  readonly header: (name: string) => string | undefined
}

/** A URL outside the prefix: hand it on (`next()`), or 404 when there is nothing to hand it to. */
export interface NotOursAnswer {
  readonly kind: 'not-ours'
}

/**
 * Under the prefix but nothing to serve: an unknown path (404) or a malformed one (400). Hand it on when the
 * adapter falls through, else answer `status` with {@link STATUS_TEXT}.
 */
export interface MissAnswer {
  readonly kind: 'miss'
  readonly status: 400 | 404
}

/** A short plain-text answer to send as it is: 405, 406, 412, 416 or 503. */
export interface ReplyAnswer {
  readonly kind: 'reply'
  readonly status: 405 | 406 | 412 | 416 | 503
  /** Flat `[name, value, name, value, …]` list, `Content-Type` and `Content-Length` included. */
  readonly headers: readonly string[]
  readonly text: string
}

/** A file: 200, 206 (a range) or 304. */
export interface FileAnswer {
  readonly kind: 'file'
  readonly status: 200 | 206 | 304
  /** Flat `[name, value, name, value, …]` list, complete: the adapter sends exactly these (merging `Vary`). */
  readonly headers: readonly string[]
  /** Whether `headers` hold a `Vary` (to merge with one an earlier middleware set). */
  readonly vary: boolean
  /** The storage path of the resource, for a `headers` hook (`css/base.25b23dfca187.cmin.css`). */
  readonly path: string
  /**
   * The body: bytes held in memory (already cut to the range), an opened stream (which the adapter must consume or
   * destroy), or `undefined` for HEAD, 304 and empty files.
   */
  readonly body: Uint8Array | Readable | undefined
}

export type StaticAnswer = NotOursAnswer | MissAnswer | ReplyAnswer | FileAnswer

/** The text of each status the core answers itself. */
export const STATUS_TEXT = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  412: 'Precondition Failed',
  416: 'Range Not Satisfiable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const

/** The collected files (or source directories), ready to answer requests from any framework. */
export interface StaticFiles {
  /**
   * Decides the answer to a request: synchronous when everything is in memory (the common case), a promise when a
   * file must be opened, is asked for the first time since the index was built, or the index is not built yet.
   * Rejects only on a real failure (the storage failed, the index could not be built): answer 500, or hand the
   * error to the framework.
   */
  answer(request: StaticRequest): StaticAnswer | Promise<StaticAnswer>
  /**
   * Settles when the first index is built; rejects with a `ConvoyError` when it cannot be (bad root or manifest).
   * With `sources`: when every source directory has been found.
   */
  readonly ready: Promise<void>
  /**
   * Rebuilds the index from the manifest and files as they are now (e.g. after a new `convoy collect`), then swaps
   * it in at once. Requests are answered from the previous index meanwhile; on failure the previous index stays.
   * With `sources`: checks the source directories again (files are read afresh on every request anyway).
   */
  reload(): Promise<void>
  /** Stops watching the manifest (`watch`); requests are still answered, from the index as it is. */
  close(): void
  /** The normalized prefix (`'/static/'`). */
  readonly prefix: string
  /** `'collected'` for `root`/`storage`, `'sources'` for development. */
  readonly mode: 'collected' | 'sources'
}

const DEFAULTS = {
  prefix: '/',
  maxAge: 60,
  immutableMaxAge: 31_536_000,
  memoryCacheBytes: 64 * 1024 * 1024,
  memoryCacheMaxFileBytes: 256 * 1024,
  dynamicLookupTtlMs: 1000,
} as const

/** Options that only make sense for collected files: given with `sources`, they are refused rather than ignored. */
const COLLECTED_ONLY = ['manifest', 'maxAge', 'immutableMaxAge', 'memoryCacheBytes', 'memoryCacheMaxFileBytes', 'dynamicLookupTtlMs', 'watch'] as const

function checkWhole(packageName: string, name: string, value: number, unit: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: ${name} must be a whole number of ${unit} ≥ 0, got ${String(value)}`)
  }
  return value
}

const NOT_OURS_ANSWER: NotOursAnswer = Object.freeze({ kind: 'not-ours' })
const NOT_FOUND: MissAnswer = Object.freeze({ kind: 'miss', status: 404 })
const BAD_REQUEST: MissAnswer = Object.freeze({ kind: 'miss', status: 400 })

/** A plain-text answer of the core's own. */
export function replyOf(status: ReplyAnswer['status'], extra: readonly string[] = []): ReplyAnswer {
  const text = STATUS_TEXT[status]
  return { kind: 'reply', status, text, headers: ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text)), ...extra] }
}

/** Where the request URL points below `prefix`: a decoded path, or the answer when it points nowhere. */
export function pathOf(url: string, prefix: string): string | NotOursAnswer | MissAnswer {
  const path = requestPath(url, prefix)
  if (path === NOT_OURS) return NOT_OURS_ANSWER
  if (path === MALFORMED) return BAD_REQUEST
  return path
}

/** `GET, HEAD`: the only methods a static file answers; others get 405 with this `Allow`. */
export const ALLOW = 'GET, HEAD'

/**
 * The framework-free core of `@convoy/serve`, for adapters: the output of `convoy collect` (from a directory or a
 * `Storage`) or, in development, the source directories, indexed once; `answer()` then says, for any request, what
 * to send. Precompressed `.br`/`.gz`/`.zst` siblings are chosen by `Accept-Encoding` (q-values, then size), a delta
 * (`dcb`/`dcz`, RFC 9842) when `Available-Dictionary` names a dictionary the manifest has one against, fingerprinted
 * names get a year of `immutable` caching, validators give 304, `Range` gives 206 on identity answers, and nothing
 * outside the index (`..` encoded or not, symlinks out of the root, dotfiles, deltas by their own names) can ever be
 * answered.
 *
 * @example
 * const files = createStaticFiles({ root: 'public/static', prefix: '/static/' })
 * await files.ready
 * const answer = await files.answer({ method: 'GET', url: '/static/css/base.css', header: (name) => headers[name] })
 * // answer.kind: 'file' | 'reply' | 'miss' | 'not-ours'
 */
export function createStaticFiles(options: StaticFilesOptions, caller: StaticFilesCaller = {}): StaticFiles {
  const packageName = caller.packageName ?? DEFAULT_PACKAGE
  const given = [options.root, options.storage, options.sources].filter((value) => value !== undefined).length
  if (given !== 1) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: pass exactly one of \`root\` (a directory), \`storage\` (a Storage) or \`sources\` (development)`)
  }
  const prefix = normalizePrefix(options.prefix ?? DEFAULTS.prefix, packageName)
  if (options.sources !== undefined) return sourcesFiles(options, options.sources, prefix, packageName)

  const source: FileSource = options.root === undefined ? createStorageSource(options.storage) : createDirectorySource(options.root)
  const warn = options.onWarning ?? ((message: string) => console.warn(message))
  const watched = watchedManifest(options, packageName)
  const indexOptions = {
    manifest: options.manifest,
    maxAge: checkWhole(packageName, 'maxAge', options.maxAge ?? DEFAULTS.maxAge, 'seconds'),
    immutableMaxAge: checkWhole(packageName, 'immutableMaxAge', options.immutableMaxAge ?? DEFAULTS.immutableMaxAge, 'seconds'),
    memoryCacheBytes: checkWhole(packageName, 'memoryCacheBytes', options.memoryCacheBytes ?? DEFAULTS.memoryCacheBytes, 'bytes'),
    memoryCacheMaxFileBytes: checkWhole(packageName, 'memoryCacheMaxFileBytes', options.memoryCacheMaxFileBytes ?? DEFAULTS.memoryCacheMaxFileBytes, 'bytes'),
  }
  const acceptedCodings = createAcceptEncodingCache()
  const bundles = createBundleLookup(source, indexOptions, checkWhole(packageName, 'dynamicLookupTtlMs', options.dynamicLookupTtlMs ?? DEFAULTS.dynamicLookupTtlMs, 'milliseconds'))

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

  const lookup = (request: StaticRequest, path: string, retried: boolean): StaticAnswer | Promise<StaticAnswer> => {
    const current = index
    if (current === undefined) return ready.then(() => lookup(request, path, retried))
    const resource = current.resources.get(path)
    if (resource !== undefined) return respond(request, path, resource, retried)
    // Named by the manifest (or found by the walk) and not asked for before: found now, once, with its siblings.
    if (isUnresolved(current, path)) return resolvePath(source, current, path, indexOptions).then(() => lookup(request, path, retried))
    // A new manifest was just written and is being indexed: the page asking may already name its files.
    const settling = retried ? undefined : watching?.settling()
    if (settling !== undefined) return settling.then(() => lookup(request, path, true))
    // The only paths ever looked up outside the index: carpool bundles the runtime may have written since.
    const bundle = bundles.candidate(current, path)
    if (bundle === undefined) return NOT_FOUND
    return bundles.lookup(current, bundle).then(() => {
      const found = current.resources.get(path)
      return found === undefined ? NOT_FOUND : respond(request, path, found, retried)
    })
  }

  const respond = (request: StaticRequest, path: string, resource: Resource, retried: boolean): StaticAnswer | Promise<StaticAnswer> => {
    const { method } = request
    if (method !== 'GET' && method !== 'HEAD') return replyOf(405, ['Allow', ALLOW])

    let variant: Variant | undefined = resource.identity
    if (resource.negotiated || resource.deltas !== undefined) {
      const accepted = acceptedCodings(request.header('accept-encoding'))
      // The q-value of the answer without a delta, which a delta must beat (or match with fewer bytes).
      let q = accepted.identity
      if (resource.negotiated) {
        const coding = chooseCoding(accepted, resource.available)
        variant = coding === null ? undefined : ((coding === 'identity' ? undefined : resource.variants[coding]) ?? resource.identity)
        q = coding === null ? 0 : accepted[coding]
      }
      if (resource.deltas !== undefined) variant = deltaFor(request, accepted, resource.deltas, q, variant) ?? variant
      if (variant === undefined) return replyOf(406, ['Vary', resource.varyValue ?? 'Accept-Encoding'])
    }

    const { file } = variant
    const outcome = evaluatePreconditions(request.header, file.etag, file.mtimeMs)
    if (outcome === 'failed') return replyOf(412)
    if (outcome === 'not-modified') return { kind: 'file', status: 304, headers: variant.notModified, vary: variant.vary, path: resource.path, body: undefined }
    return send(request, path, resource, variant, retried)
  }

  const send = (request: StaticRequest, path: string, resource: Resource, variant: Variant, retried: boolean): StaticAnswer | Promise<StaticAnswer> => {
    const { file } = variant
    let status: 200 | 206 = 200
    let start = 0
    let end = file.size - 1
    let headers: readonly string[] = variant.headers

    const range = request.header('range')
    if (range !== undefined && variant.rangeable && request.method === 'GET') {
      const ifRange = request.header('if-range')
      if (ifRange === undefined || ifRangeHolds(ifRange, file.etag, file.lastModified)) {
        const wanted = parseRange(range, file.size)
        if (wanted === 'unsatisfiable') {
          const extra = ['Content-Range', `bytes */${file.size}`, 'Accept-Ranges', 'bytes']
          if (resource.varyValue !== undefined) extra.push('Vary', resource.varyValue)
          return replyOf(416, extra)
        }
        if (wanted !== 'ignore') {
          status = 206
          start = wanted.start
          end = wanted.end
          headers = [
            ...variant.headers.map((value, i, all) => (i % 2 === 1 && all[i - 1] === 'Content-Length' ? String(end - start + 1) : value)),
            'Content-Range',
            `bytes ${start}-${end}/${file.size}`,
          ]
        }
      }
    }

    const answer = (body: FileAnswer['body']): FileAnswer => ({ kind: 'file', status, headers, vary: variant.vary, path: resource.path, body })
    if (request.method === 'HEAD' || file.size === 0) return answer(undefined)
    if (file.body !== undefined) return answer(status === 206 ? file.body.subarray(start, end + 1) : file.body)
    return source.stream(file, start, end).then((stream) => {
      if (stream === null) {
        // Deleted since indexing: as unknown as any other missing file.
        void reloadOnce().catch(() => undefined)
        return NOT_FOUND
      }
      if (stream === 'stale') {
        if (retried) return replyOf(503, ['Retry-After', '1'])
        return reloadOnce().then(() => lookup(request, path, true))
      }
      return answer(stream)
    })
  }

  return {
    prefix,
    mode: 'collected',
    ready,
    reload: rebuild,
    close() {
      closed = true
      watching?.close()
      watching = undefined
    },
    answer(request) {
      const path = pathOf(request.url, prefix)
      return typeof path === 'string' ? lookup(request, path, false) : path
    },
  }
}

/**
 * The delta to answer with (RFC 9842), or `undefined` for today's negotiation: only for a request without `Range`
 * whose `Available-Dictionary` names a dictionary this file has deltas against, and whose `Accept-Encoding` names
 * `dcb` or `dcz`. Among those, the highest q wins, then the fewest bytes; a delta must beat `chosen` (the sibling or
 * identity negotiation picked, at q `q`; `undefined` when none was acceptable) on q, or match its q with fewer bytes.
 */
function deltaFor(
  request: StaticRequest,
  accepted: AcceptedCodings,
  deltas: ReadonlyMap<string, DeltaVariantsOf>,
  q: number,
  chosen: Variant | undefined,
): Variant | undefined {
  if (!(accepted.dcb > 0 || accepted.dcz > 0)) return undefined
  // A part of a delta is of no use without the rest; a range request gets a range of what it would get without one.
  if (request.header('range') !== undefined) return undefined
  const hash = parseAvailableDictionary(request.header('available-dictionary'))
  const against = hash === undefined ? undefined : deltas.get(hash)
  if (against === undefined) return undefined
  let best: Variant | undefined
  let bestQ = q
  let bestSize = chosen?.file.size ?? Infinity
  for (const name of DELTA_ENCODING_NAMES) {
    const delta = against[name]
    const wanted = accepted[name]
    if (delta === undefined || !(wanted > 0)) continue
    if (wanted > bestQ || (wanted === bestQ && delta.file.size < bestSize)) {
      best = delta
      bestQ = wanted
      bestSize = delta.file.size
    }
  }
  return best
}

/** The manifest file to watch for `options`, or `undefined` when there is none to watch (or watching is off). */
function watchedManifest(options: StaticFilesOptions, packageName: string): string | undefined {
  const cannot = options.root === undefined ? 'a `storage`' : typeof options.manifest === 'object' ? 'a manifest object' : undefined
  if (cannot !== undefined) {
    if (options.watch === true) {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: watch: true needs \`root\` and a manifest on disk; ${cannot} cannot be watched (call reload() instead)`)
    }
    return undefined
  }
  if (options.watch === false) return undefined
  return typeof options.manifest === 'string' ? resolve(options.manifest) : join(resolve(options.root ?? '.'), MANIFEST_FILE)
}

/** `createStaticFiles({ sources })`: development, straight from the source directories. */
function sourcesFiles(options: StaticFilesOptions, sources: readonly string[], prefix: string, packageName: string): StaticFiles {
  if (!Array.isArray(sources) || sources.length === 0 || sources.some((source) => typeof source !== 'string' || source.trim() === '')) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `${packageName}: \`sources\` must be a non-empty list of directories, in the order \`convoy collect\` reads them`)
  }
  const misplaced = COLLECTED_ONLY.filter((name) => options[name] !== undefined)
  if (misplaced.length > 0) {
    throw new ConvoyError(
      'ERR_CONVOY_CONFIG',
      `${packageName}: ${misplaced.map((name) => `\`${name}\``).join(', ')} ${misplaced.length === 1 ? 'applies' : 'apply'} only to collected files (\`root\` or \`storage\`); ` +
        'with `sources` every file is read from disk at each request and sent with `Cache-Control: no-cache`',
    )
  }
  const answers = createSourceAnswers(sources)
  return {
    prefix,
    mode: 'sources',
    get ready() {
      return answers.ready
    },
    reload: answers.reload,
    close: () => undefined,
    answer(request) {
      const path = pathOf(request.url, prefix)
      return typeof path === 'string' ? answers.answer(request, path) : path
    },
  }
}
