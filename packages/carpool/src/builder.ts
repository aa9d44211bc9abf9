import { ConvoyError, isConvoyError } from '@convoy/errors'
import type { CompressOptions } from '@convoy/gzip'
import { integrity as integrityOf } from '@convoy/hash'
import { CONTENT_ENCODING_NAMES, contentTypeOf, encodedSiblingPath, IMMUTABLE_CACHE_CONTROL, type ContentEncoding, type Storage } from '@convoy/storage'
import type { CarpoolMember } from './build.js'
import { carpoolRecordPath, type CarpoolKind } from './name.js'

/** What the builder needs of a storage: any `Storage` (`createFsStorage`, `createS3Storage`, …) fits. */
export type CarpoolStorage = Pick<Storage, 'name' | 'read' | 'write' | 'exists' | 'stat'>

/** What to build: the bundle's path (from `carpoolName()`) and the storage paths of its members, in order. */
export interface CarpoolRequest {
  readonly kind: CarpoolKind
  /** Storage path of the bundle, `CARPOOL/<kind>/<hash>.cmin.<kind>`. */
  readonly path: string
  /** Storage paths of the members' bytes, in order. */
  readonly members: readonly string[]
}

/** A bundle that exists in the storage. */
export interface BuiltCarpool {
  readonly path: string
  readonly size: number
  /** SRI integrity (sha384); `undefined` for a bundle found in storage when `integrity` is off. */
  readonly integrity: string | undefined
  /** Storage path of each precompressed sibling there is, by content encoding (`{ gzip: '….gz', br: '….br' }`). */
  readonly encodings: Readonly<Partial<Record<ContentEncoding, string>>>
  /** @deprecated Use `encodings.gzip`. Storage path of the `.gz` sibling, when there is one. */
  readonly gzip: string | undefined
  /** @deprecated Use `encodings.br`. Storage path of the `.br` sibling, when there is one. */
  readonly br: string | undefined
  /** `built` by this builder, or `found` in the storage (written by another process, or by `collect`). */
  readonly origin: 'built' | 'found'
}

/** Where a bundle stands in this process. */
export type CarpoolStatus =
  | { readonly state: 'ready'; readonly bundle: BuiltCarpool }
  | { readonly state: 'building' }
  | { readonly state: 'failed'; readonly error: ConvoyError; readonly retryAt: number }

export interface CarpoolBuilderOptions {
  /** Where members are read from and bundles are written to. */
  readonly storage: CarpoolStorage
  /**
   * Options of `@convoy/gzip`'s `compress` for the precompressed siblings, or `false` for none. Default: gzip level 9
   * and brotli quality 11, the same as `collect`, so a bundle's siblings are the same bytes whoever builds them.
   */
  readonly compress?: CompressOptions | false
  /** Compute the integrity of bundles found in the storage (one read each). Built bundles always have it. Default `false`. */
  readonly integrity?: boolean
  /** After a failed build, how long `ensure()` waits before trying again, in milliseconds. Default `60000`. */
  readonly retryAfterMs?: number
  /** Called once per bundle and cause of failure. Default `console.warn`. */
  readonly onWarning?: (message: string, error: ConvoyError) => void
}

/** Builds request-time bundles: at most one build per name at a time, never in the caller's way. */
export interface CarpoolBuilder {
  /**
   * Synchronous and instant: the bundle's status. When it is neither ready nor building (nor failed less than
   * `retryAfterMs` ago), a build starts in the background, after the caller has returned; concurrent calls for
   * the same name share that one build.
   */
  ensure(request: CarpoolRequest): CarpoolStatus
  /** The bundle, built (or found) now if needed; joins a build in progress. Rejects with `ERR_CONVOY_CARPOOL`. */
  prepare(request: CarpoolRequest): Promise<BuiltCarpool>
  /** The status of a bundle path, without starting anything; `undefined` when it was never requested. */
  status(path: string): CarpoolStatus | undefined
}

interface Entry {
  status: CarpoolStatus
  /** The build in progress. */
  job: Promise<BuiltCarpool> | undefined
}

const BUILDING: CarpoolStatus = Object.freeze({ state: 'building' })

/**
 * The request-time bundle builder. A build first looks for the bundle in the storage (another process may have
 * written it: names are content-addressed, so an existing file is the right one); otherwise it reads the members,
 * joins them with `buildCarpool` (`@convoy/carpool/build`), compresses, and writes the precompressed siblings (one per
 * encoding of the `compress` options) and then the bundle, each atomically through `storage.write` — so once the
 * bundle exists, its siblings do too. The joiner (postcss) and the compressors are imported by the first build. A failure is reported once
 * per cause through `onWarning`, and the bundle is tried again only after `retryAfterMs`.
 *
 * @example
 * const builder = createCarpoolBuilder({ storage })
 * const request = { kind: 'css', path: carpoolName('css', served), members: served } as const
 * const status = builder.ensure(request) // { state: 'building' } the first time, { state: 'ready', bundle } later
 * await builder.prepare(request)         // or wait for it
 */
export function createCarpoolBuilder(options: CarpoolBuilderOptions): CarpoolBuilder {
  const { storage, integrity = false, retryAfterMs = 60_000 } = options
  const compressOptions = options.compress ?? {}
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message))
  const entries = new Map<string, Entry>()
  const warned = new Set<string>()

  const start = (request: CarpoolRequest, entry: Entry): Promise<BuiltCarpool> => {
    entry.status = BUILDING
    // setImmediate: the caller (a page render) finishes before any of the build's own synchronous work runs.
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => run(request))
      .then(
        (bundle) => {
          entry.status = { state: 'ready', bundle }
          entry.job = undefined
          return bundle
        },
        (cause: unknown) => {
          const error = failure(request, cause)
          entry.status = { state: 'failed', error, retryAt: Date.now() + retryAfterMs }
          entry.job = undefined
          const key = `${request.path}\n${error.message}`
          if (!warned.has(key)) {
            warned.add(key)
            onWarning(`${error.message} (until it can be built, pages link its members one by one)`, error)
          }
          throw error
        },
      )
    // A background build that fails has already warned; nobody needs to catch it.
    job.catch(() => undefined)
    entry.job = job
    return job
  }

  const run = async (request: CarpoolRequest): Promise<BuiltCarpool> => {
    const found = await storage.stat(request.path)
    if (found !== null) {
      const [present, bytes] = await Promise.all([
        Promise.all(CONTENT_ENCODING_NAMES.map(async (encoding) => ((await storage.exists(encodedSiblingPath(request.path, encoding))) ? encoding : undefined))),
        integrity ? storage.read(request.path) : undefined,
      ])
      const encodings = siblingsOf(request.path, present)
      return { path: request.path, size: bytes?.byteLength ?? found.size, integrity: bytes ? integrityOf(bytes) : undefined, encodings, gzip: encodings.gzip, br: encodings.br, origin: 'found' }
    }
    const members = await Promise.all(
      request.members.map(async (path): Promise<CarpoolMember> => {
        const content = await storage.read(path)
        if (content === null) throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/carpool: member ${path} is not in ${storage.name}`, { file: path })
        return { path, content }
      }),
    )
    // Imported here, not at the top: a process that only links bundles never loads postcss or the compressors.
    const [{ buildCarpool }, { compress }] = await Promise.all([import('./build.js'), import('@convoy/gzip')])
    const bytes = buildCarpool(request.kind, members)
    const variants = compressOptions === false ? {} : await compress(bytes, compressOptions)
    const contentType = contentTypeOf(request.path)
    const written = CONTENT_ENCODING_NAMES.filter((encoding) => variants[encoding] !== undefined)
    await Promise.all([
      ...written.map((encoding) => storage.write(encodedSiblingPath(request.path, encoding), variants[encoding]!, { contentType, contentEncoding: encoding, cacheControl: IMMUTABLE_CACHE_CONTROL })),
      // Tells `convoy clean` what the bundle is made of, so it is kept exactly as long as all its members are.
      storage.write(carpoolRecordPath(request.path), carpoolRecord(request.members), { contentType: 'application/json; charset=utf-8', cacheControl: IMMUTABLE_CACHE_CONTROL }),
    ])
    // Last: readers that find the bundle can rely on its siblings.
    await storage.write(request.path, bytes, { contentType, cacheControl: IMMUTABLE_CACHE_CONTROL })
    const encodings = siblingsOf(request.path, written)
    return { path: request.path, size: bytes.byteLength, integrity: integrityOf(bytes), encodings, gzip: encodings.gzip, br: encodings.br, origin: 'built' }
  }

  const entryOf = (path: string): Entry => {
    let entry = entries.get(path)
    if (entry === undefined) {
      entry = { status: BUILDING, job: undefined }
      entries.set(path, entry)
    }
    return entry
  }

  return {
    ensure(request) {
      let entry = entries.get(request.path)
      if (entry === undefined) {
        entry = entryOf(request.path)
        void start(request, entry)
      } else if (entry.status.state === 'failed' && Date.now() >= entry.status.retryAt) {
        void start(request, entry)
      }
      return entry.status
    },
    prepare(request) {
      const entry = entryOf(request.path)
      if (entry.status.state === 'ready') return Promise.resolve(entry.status.bundle)
      return entry.job ?? start(request, entry)
    },
    status(path) {
      return entries.get(path)?.status
    },
  }
}

function failure(request: CarpoolRequest, cause: unknown): ConvoyError {
  const reason = isConvoyError(cause) ? cause.message.replace(/^@convoy\/[\w-]+: /, '') : cause instanceof Error ? cause.message : String(cause)
  return new ConvoyError(
    'ERR_CONVOY_CARPOOL',
    `@convoy/carpool: cannot build ${request.path} from ${request.members.join(', ')}: ${reason}`,
    { cause, file: isConvoyError(cause) && cause.file !== undefined ? cause.file : request.path },
  )
}

/** The `<bundle>.json` written beside a bundle: its members' storage paths, in order. */
export function carpoolRecord(members: readonly string[]): string {
  return `${JSON.stringify({ members })}\n`
}

function siblingsOf(bundle: string, encodings: readonly (ContentEncoding | undefined)[]): Partial<Record<ContentEncoding, string>> {
  return Object.fromEntries(encodings.flatMap((encoding) => (encoding === undefined ? [] : [[encoding, encodedSiblingPath(bundle, encoding)]])))
}
