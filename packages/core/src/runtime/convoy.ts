import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { isOldMsie } from '@convoy/gzip'
import {
  carpoolName,
  createCarpoolBuilder,
  createCarpoolHtml,
  isCarpoolKind,
  type CarpoolBuilder,
  type BuiltCarpool,
  type CarpoolBuilderOptions,
  type CarpoolHtmlOptions,
  type CarpoolKind,
  type CarpoolRequest,
  type CarpoolTag,
} from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import { createImportMap, openManifest, type ImportMap, type Manifest, type ManifestCarpool, type ManifestReader } from '@convoy/manifest'
import { DEFAULT_BASE_URL } from '../config.js'
import type { Storage } from '@convoy/storage'
import { acceptsGzip } from './accept-encoding.js'
import { resolveManifestSource, type ManifestInput, type ManifestSource } from './manifest-source.js'

/** How carpools are rendered and built at request time. */
export interface ConvoyCarpoolOptions extends CarpoolHtmlOptions {
  /**
   * `.gz`/`.br` siblings of request-time bundles (`@convoy/gzip` options), or `false` for none. Default: gzip 9 and
   * brotli 11, as `collect` does; compression runs on libuv's thread pool, once per bundle, never in a request.
   */
  readonly compress?: CarpoolBuilderOptions['compress']
  /** After a failed request-time build, how long to wait before trying again, in milliseconds. Default `60000`. */
  readonly retryAfterMs?: number
}

/** Options of `createConvoy()`. */
export interface CreateConvoyOptions {
  /**
   * The manifest: a path to `convoy-manifest.json` (or to its folder), a `file:` URL, a `Storage` holding it at its
   * root, or a manifest object. Required, except in debug mode without `duringDebug`, where it is not read.
   */
  readonly manifest?: ManifestInput
  /**
   * Where request-time carpool bundles are read and written. Default: the manifest's folder on the local disk
   * (manifest given as a path or URL), or the `Storage` the manifest came from. With a manifest object and no
   * `storage`, bundles are not built at request time (only those built by `collect` are used).
   */
  readonly storage?: Storage
  /** URL prefix of the stored files. Default: the manifest's `baseUrl`, else `/static/`. A missing final `/` is added. */
  readonly baseUrl?: string
  /**
   * Link the `.gz` sibling when the request accepts gzip (`acceptEncoding` given to `url()`/`carpool()`), for
   * storages that cannot negotiate, like S3. The page's response must then carry `Vary: Accept-Encoding`. Default `false`.
   */
  readonly gzipInTemplate?: boolean
  /**
   * Development mode: link the original files (`baseUrl + logicalPath`), no `collect` and no manifest needed; serve
   * the source directories with `serveStatic({ sources })` from `@convoy/serve`. Default `false`.
   */
  readonly debug?: boolean
  /**
   * In debug mode, link the processed files as in production (needs a manifest). A manifest on the local disk (a
   * path, a `file:` URL, or a Storage with a `localDirectory`) is checked at every lookup and read again as soon as
   * it changes, so `convoy collect --watch` shows without `watch` or `reload()`. Default `false`.
   */
  readonly duringDebug?: boolean
  /** Build bundles from the original files instead of the processed (minified) ones. Default `false`. */
  readonly combineOriginals?: boolean
  /** Build missing bundles in the background when a page first renders them. Default `true`. */
  readonly combineDuringRequest?: boolean
  /** In debug mode, render bundles too; requires `duringDebug`. Default `false`. */
  readonly combineDuringDebug?: boolean
  /** Carpool tags, comments, integrity and request-time compression. */
  readonly carpool?: ConvoyCarpoolOptions
  /** Receives warnings (a bundle that cannot be built). Default: `console.warn`, once per message. */
  readonly onWarning?: (message: string) => void
  /**
   * Reload by itself whenever the manifest file changes (after each `convoy collect` into a running server's
   * output). Only for a manifest on the local disk (a path, a `file:` URL, or a Storage with a `localDirectory`);
   * stop it with `close()`. Not needed with `debug` + `duringDebug`, which checks the file at every lookup.
   * Default `false`.
   */
  readonly watch?: boolean
  /**
   * Legacy, from django-asset-convoy's `CONVOY_CONSERVATIVE_MSIE_GZIP`: with `gzipInTemplate`, never link `.gz` files
   * for Internet Explorer 6 and older (pass `userAgent` to `url()`/`carpool()`; the page must then also vary on
   * `User-Agent`). Default `false`.
   */
  readonly conservativeMsieGzip?: boolean
}

/** Per-request options of `url()` and `carpool()`. */
export interface ConvoyUrlOptions {
  /** The request's `Accept-Encoding` header; used only with `gzipInTemplate`. */
  readonly acceptEncoding?: string | undefined
  /** The request's `User-Agent`, for `conservativeMsieGzip`. */
  readonly userAgent?: string | undefined
}

/** The request-time half of Convoy: logical paths to URLs, integrity, carpool HTML and import maps. */
export interface Convoy {
  /**
   * The URL of a logical path: the served (fingerprinted, minified) file, or its `.gz` sibling with `gzipInTemplate`
   * when `acceptEncoding` allows gzip. One in-memory lookup.
   *
   * @throws {ConvoyError} `ERR_CONVOY_MISSING_ASSET` when the manifest does not know the path (not in debug mode).
   */
  url(logicalPath: string, options?: ConvoyUrlOptions): string
  /**
   * The SRI integrity (`sha384-…`) of the served file; `''` in debug mode without `duringDebug` (originals change
   * while you work, and an empty `integrity` attribute checks nothing).
   *
   * @throws {ConvoyError} `ERR_CONVOY_MISSING_ASSET` as {@link url}.
   */
  integrity(logicalPath: string): string
  /**
   * The HTML of a carpool, synchronously: the bundle's tag when the bundle exists, else one tag per member while
   * the bundle is built in the background (never waited for). Start and end comments around the tags.
   *
   * @throws {ConvoyError} `ERR_CONVOY_MISSING_ASSET` for a member the manifest does not know.
   */
  carpool(kind: CarpoolKind, logicalPaths: readonly string[], options?: ConvoyUrlOptions): string
  /**
   * Builds (or finds in storage) a bundle now, and resolves with its URL; later `carpool()` calls render it
   * (wherever bundles are rendered: not in debug mode without `combineDuringDebug`). With a single member, resolves
   * with that member's URL.
   *
   * @throws {ConvoyError} `ERR_CONVOY_CARPOOL` when the bundle cannot be built (or there is no manifest or storage).
   */
  prepareCarpool(kind: CarpoolKind, logicalPaths: readonly string[]): Promise<string>
  /** A browser import map for the ES modules of the manifest (`@convoy/manifest`'s `createImportMap`); frozen. */
  importMap(): ImportMap
  /** Reads the manifest again; lookups switch to it all at once. On failure the current manifest stays. */
  reload(): Promise<void>
  /** Stops watching the manifest (`watch: true`); the resolver keeps answering from the manifest it has. */
  close(): void
  /** The manifest in use; `undefined` in debug mode without `duringDebug`. */
  readonly manifest: Manifest | undefined
  /** The URL prefix in use, ending in `/`. */
  readonly baseUrl: string
}

interface Asset {
  readonly logicalPath: string
  readonly served: string
  readonly sourceHash: string
  readonly url: string
  readonly gzipUrl: string | undefined
  readonly integrity: string
}

/** A bundle that can be linked. */
interface ReadyBundle {
  readonly path: string
  readonly integrity: string | undefined
  /** Storage path of the `.gz` sibling, linked instead with `gzipInTemplate`. */
  readonly gzip: string | undefined
}

interface Plan {
  readonly kind: CarpoolKind
  readonly logicalPaths: readonly string[]
  /** What to build; `undefined` when there is nothing to bundle (one member, or no manifest). */
  readonly request: CarpoolRequest | undefined
  /** The URL of the one member, when there is only one. */
  readonly single: string | undefined
  readonly memberHtml: string
  readonly memberHtmlGzip: string
  bundleUrl: string | undefined
  bundleHtml: string | undefined
  bundleHtmlGzip: string | undefined
}

/** Everything derived from one manifest version; replaced as a whole by `reload()`. */
interface State {
  /** The manifest for lookups (entries parsed at their first lookup); `undefined` in debug mode without `duringDebug`. */
  readonly manifest: ManifestReader | undefined
  /** The stat of the manifest file this state was read from (debug with `duringDebug` only), see `fileSignature`. */
  readonly signature: string | undefined
  readonly baseUrl: string
  /**
   * Logical path → asset, filled by the first lookup of each path (see `assetOf`): loading a manifest of 100,000
   * entries then costs no URL building at all, and a process holds assets only for the paths its pages name.
   */
  readonly assets: Map<string, Asset>
  /** Bundles built by `collect`, by storage path. */
  readonly bundles: Map<string, ManifestCarpool>
  readonly plans: Map<string, Plan>
  readonly originalUrls: Map<string, string>
  importMap: ImportMap | undefined
}

const EMPTY_IMPORT_MAP: ImportMap = Object.freeze({ imports: Object.freeze({}), integrity: Object.freeze({}) })

/** Characters `encodeURIComponent` leaves as they are, and `/`: most storage paths are made of nothing else. */
const URL_SAFE = /^[A-Za-z0-9\-_.!~*'()/]*$/

function encodePath(path: string): string {
  return URL_SAFE.test(path) ? path : path.split('/').map(encodeURIComponent).join('/')
}

function withSlash(baseUrl: string): string {
  return baseUrl === '' || baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
}

function warnOncePerMessage(): (message: string) => void {
  const seen = new Set<string>()
  return (message) => {
    if (seen.has(message)) return
    seen.add(message)
    console.warn(message)
  }
}

/** The work of `createConvoy()` (`create-convoy.ts`), imported by its first call. */
export async function loadConvoy(options: CreateConvoyOptions): Promise<Convoy> {
  const {
    debug = false,
    duringDebug = false,
    gzipInTemplate = false,
    combineOriginals = false,
    combineDuringRequest = true,
    combineDuringDebug = false,
    carpool: carpoolOptions = {},
  } = options
  if (debug && combineDuringDebug && !duringDebug) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/core: combineDuringDebug needs duringDebug: without it, debug mode links the original files, which are not bundled')
  }
  // Debug without duringDebug: originals only, no manifest needed.
  const originals = debug && !duringDebug
  // Whether bundles are rendered at all.
  const combine = !debug || combineDuringDebug
  if (!originals && options.manifest === undefined) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/core: createConvoy() needs a manifest (only debug mode without duringDebug runs without one)')
  }
  const source: ManifestSource | undefined = originals || options.manifest === undefined ? undefined : await resolveManifestSource(options.manifest)
  const storage = options.storage ?? source?.storage
  const warn = options.onWarning ?? warnOncePerMessage()
  const html = createCarpoolHtml(carpoolOptions)
  const builder: CarpoolBuilder | undefined =
    storage === undefined || originals
      ? undefined
      : createCarpoolBuilder({
          storage,
          integrity: carpoolOptions.integrity ?? false,
          onWarning: (message) => warn(message),
          ...(carpoolOptions.compress === undefined ? {} : { compress: carpoolOptions.compress }),
          ...(carpoolOptions.retryAfterMs === undefined ? {} : { retryAfterMs: carpoolOptions.retryAfterMs }),
        })
  let warnedNoStorage = false

  // Debug with duringDebug and the manifest on disk: lookups never answer from a manifest older than the file.
  const liveFile = debug && duringDebug ? source?.file : undefined

  const empty = (): Pick<State, 'plans' | 'originalUrls' | 'importMap'> => ({ plans: new Map(), originalUrls: new Map(), importMap: undefined })

  const load = async (): Promise<State> => {
    if (source === undefined) {
      return { ...empty(), manifest: undefined, signature: undefined, baseUrl: withSlash(options.baseUrl ?? DEFAULT_BASE_URL), assets: new Map(), bundles: new Map() }
    }
    // Taken before the read: a change during the read is then seen by the next lookup, never missed.
    const signature = liveFile === undefined ? undefined : fileSignature(liveFile)
    return build(await source.load(), signature)
  }

  const build = (manifest: ManifestReader, signature: string | undefined): State => {
    const baseUrl = withSlash(options.baseUrl ?? manifest.baseUrl)
    const bundles = new Map<string, ManifestCarpool>()
    for (const bundle of Object.values(manifest.carpools)) bundles.set(bundle.served, bundle)
    return { ...empty(), manifest, signature, baseUrl, assets: new Map(), bundles }
  }

  /**
   * The asset of a logical path: from `assets` after its first lookup, else built from the manifest entry (an own
   * key of `files`, a hash lookup) and kept. `undefined` when the manifest does not name the path.
   */
  const assetOf = (current: State, logicalPath: string): Asset | undefined => {
    const known = current.assets.get(logicalPath)
    if (known !== undefined || current.manifest === undefined) return known
    const entry = current.manifest.entry(logicalPath)
    if (entry === undefined) return undefined
    const gzip = entry.encodings?.gzip
    const asset: Asset = {
      logicalPath,
      served: entry.served,
      sourceHash: entry.sourceHash,
      url: current.baseUrl + encodePath(entry.served),
      gzipUrl: gzip === undefined ? undefined : current.baseUrl + encodePath(gzip.path),
      integrity: entry.integrity,
    }
    current.assets.set(logicalPath, asset)
    return asset
  }

  let state = await load()

  /** The signature of a changed manifest that could not be used (warned once): not read again until it changes. */
  let refused: string | undefined
  let checkedThisTurn = false
  /**
   * The state to answer from. With `liveFile`, one `stat` per synchronous run of lookups (a page render sees one
   * manifest throughout); a changed file is read and parsed at once, synchronously, since lookups are synchronous.
   * A file that cannot be used is reported and the previous manifest stays, as with `reload()`.
   */
  const fresh = (): State => {
    if (liveFile === undefined || checkedThisTurn) return state
    checkedThisTurn = true
    queueMicrotask(() => {
      checkedThisTurn = false
    })
    const signature = fileSignature(liveFile)
    if (signature === state.signature || signature === refused) return state
    try {
      let text: string
      try {
        text = readFileSync(liveFile, 'utf8')
      } catch (error) {
        throw new ConvoyError('ERR_CONVOY_MANIFEST', `@convoy/core: cannot read the manifest ${liveFile} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
          cause: error,
          file: liveFile,
        })
      }
      state = build(openManifest(text, liveFile), signature)
      refused = undefined
    } catch (error) {
      refused = signature
      warn(`@convoy/core: the changed manifest was not loaded, the previous one stays in use: ${(error as Error).message}`)
    }
    return state
  }

  const missing = (logicalPath: string): ConvoyError =>
    new ConvoyError(
      'ERR_CONVOY_MISSING_ASSET',
      `@convoy/core: ${JSON.stringify(logicalPath)} is not in the manifest ${source?.description ?? ''} ` +
        '(is it in a source directory, and has `convoy collect` run since it was added?)',
      source === undefined ? {} : { file: source.description },
    )

  const originalUrl = (current: State, logicalPath: string): string => {
    let url = current.originalUrls.get(logicalPath)
    if (url === undefined) {
      url = current.baseUrl + encodePath(logicalPath)
      current.originalUrls.set(logicalPath, url)
    }
    return url
  }

  const link = (current: State, plan: Plan, bundle: ReadyBundle): void => {
    const url = current.baseUrl + encodePath(bundle.path)
    plan.bundleUrl = url
    plan.bundleHtml = html.render(plan.kind, [{ url, integrity: bundle.integrity }], plan.logicalPaths)
    plan.bundleHtmlGzip =
      bundle.gzip === undefined
        ? plan.bundleHtml
        : html.render(plan.kind, [{ url: current.baseUrl + encodePath(bundle.gzip), integrity: bundle.integrity }], plan.logicalPaths)
  }

  const createPlan = (current: State, kind: CarpoolKind, logicalPaths: readonly string[], key: string): Plan => {
    if (!isCarpoolKind(kind)) {
      throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/core: unknown carpool kind ${JSON.stringify(kind)} (expected "css" or "js")`)
    }
    const paths = [...logicalPaths]
    let plan: Plan
    if (paths.length === 0) {
      plan = { kind, logicalPaths: paths, request: undefined, single: undefined, memberHtml: '', memberHtmlGzip: '', bundleUrl: undefined, bundleHtml: undefined, bundleHtmlGzip: undefined }
    } else if (current.manifest === undefined) {
      const tags = paths.map((path) => ({ url: originalUrl(current, path) }))
      const memberHtml = html.render(kind, tags, paths)
      plan = { kind, logicalPaths: paths, request: undefined, single: tags.length === 1 ? tags[0]!.url : undefined, memberHtml, memberHtmlGzip: memberHtml, bundleUrl: undefined, bundleHtml: undefined, bundleHtmlGzip: undefined }
    } else {
      const assets = paths.map((path) => {
        const asset = assetOf(current, path)
        if (asset === undefined) throw missing(path)
        return asset
      })
      const tags: CarpoolTag[] = assets.map((asset) => ({ url: asset.url, integrity: asset.integrity }))
      const gzipTags: CarpoolTag[] = assets.map((asset) => ({ url: asset.gzipUrl ?? asset.url, integrity: asset.integrity }))
      let request: CarpoolRequest | undefined
      if (assets.length > 1) {
        const hash = current.manifest.hash
        const path = combineOriginals
          ? carpoolName(kind, assets.map((asset) => ({ path: asset.logicalPath, sourceHash: asset.sourceHash })), hash)
          : carpoolName(kind, assets.map((asset) => asset.served), hash)
        request = { kind, path, members: combineOriginals ? paths : assets.map((asset) => asset.served) }
      }
      plan = {
        kind,
        logicalPaths: paths,
        request,
        single: assets.length === 1 ? assets[0]!.url : undefined,
        memberHtml: html.render(kind, tags, paths),
        memberHtmlGzip: html.render(kind, gzipTags, paths),
        bundleUrl: undefined,
        bundleHtml: undefined,
        bundleHtmlGzip: undefined,
      }
      const built = request === undefined ? undefined : current.bundles.get(request.path)
      if (built !== undefined) link(current, plan, { path: built.served, integrity: built.integrity, gzip: built.encodings?.gzip?.path })
    }
    current.plans.set(key, plan)
    return plan
  }

  const planOf = (current: State, kind: CarpoolKind, logicalPaths: readonly string[]): Plan => {
    // NUL cannot occur in a storage path, so two different lists never share a key.
    const key = `${kind}\0${logicalPaths.join('\0')}`
    return current.plans.get(key) ?? createPlan(current, kind, logicalPaths, key)
  }

  /** Links the bundle once this process knows it exists; starts a background build when allowed. */
  const refresh = (current: State, plan: Plan, request: CarpoolRequest): void => {
    if (builder === undefined) {
      if (combineDuringRequest && !warnedNoStorage) {
        warnedNoStorage = true
        warn('@convoy/core: carpool bundles cannot be built at request time without a storage (pass `storage` to createConvoy()); pages link the members one by one')
      }
      return
    }
    const status = combineDuringRequest ? builder.ensure(request) : builder.status(request.path)
    if (status?.state === 'ready') link(current, plan, readyBundle(status.bundle))
  }

  const conservativeMsieGzip = options.conservativeMsieGzip ?? false
  const wantsGzip = (urlOptions: ConvoyUrlOptions | undefined): boolean =>
    gzipInTemplate && urlOptions !== undefined && acceptsGzip(urlOptions.acceptEncoding) && !(conservativeMsieGzip && isOldMsie(urlOptions.userAgent))

  let reloading: Promise<unknown> = Promise.resolve()
  const reload = async (): Promise<void> => {
    // One load at a time, in call order, so an older manifest never replaces a newer one.
    const next = reloading.then(load)
    reloading = next.catch(() => undefined)
    state = await next
  }
  const watcher = options.watch === true && !originals ? watchManifest(source, reload, warn) : undefined

  return {
    url(logicalPath, urlOptions) {
      const now = fresh()
      const asset = now.assets.get(logicalPath) ?? assetOf(now, logicalPath)
      if (asset === undefined) {
        if (originals) return originalUrl(now, logicalPath)
        throw missing(logicalPath)
      }
      if (asset.gzipUrl !== undefined && wantsGzip(urlOptions)) return asset.gzipUrl
      return asset.url
    },

    integrity(logicalPath) {
      const asset = assetOf(fresh(), logicalPath)
      if (asset !== undefined) return asset.integrity
      if (originals) return ''
      throw missing(logicalPath)
    },

    carpool(kind, logicalPaths, urlOptions) {
      const now = fresh()
      const plan = planOf(now, kind, logicalPaths)
      const gzip = wantsGzip(urlOptions)
      if (combine && plan.request !== undefined) {
        if (plan.bundleHtml === undefined) refresh(now, plan, plan.request)
        if (plan.bundleHtml !== undefined) return gzip ? plan.bundleHtmlGzip! : plan.bundleHtml
      }
      return gzip ? plan.memberHtmlGzip : plan.memberHtml
    },

    async prepareCarpool(kind, logicalPaths) {
      const now = fresh()
      if (now.manifest === undefined) {
        throw new ConvoyError('ERR_CONVOY_CARPOOL', '@convoy/core: prepareCarpool() needs a manifest: debug mode without duringDebug links the original files')
      }
      const plan = planOf(now, kind, logicalPaths)
      if (plan.single !== undefined) return plan.single
      if (plan.bundleUrl !== undefined) return plan.bundleUrl
      if (plan.request === undefined) throw new ConvoyError('ERR_CONVOY_CARPOOL', '@convoy/core: prepareCarpool() needs at least one member')
      if (builder === undefined) {
        throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/core: cannot build ${plan.request.path}: no storage to write it to (pass \`storage\` to createConvoy())`)
      }
      link(now, plan, readyBundle(await builder.prepare(plan.request)))
      return plan.bundleUrl!
    },

    importMap() {
      const now = fresh()
      if (now.manifest === undefined) return EMPTY_IMPORT_MAP
      if (now.importMap === undefined) {
        const map = createImportMap(now.manifest.manifest(), { baseUrl: now.baseUrl })
        now.importMap = Object.freeze({ imports: Object.freeze(map.imports), integrity: Object.freeze(map.integrity) })
      }
      return now.importMap
    },

    reload,

    close() {
      watcher?.close()
    },

    get manifest() {
      // Parsed whole at the first read of this property (a lookup parses only its own entry).
      return fresh().manifest?.manifest()
    },

    get baseUrl() {
      return fresh().baseUrl
    },
  }
}

/**
 * Reloads when the manifest file is replaced. `collect` writes it with a rename, so the folder is watched (a watch
 * on the file itself would follow the old inode); events are debounced, and the watcher never keeps the process alive.
 */
function watchManifest(source: ManifestSource | undefined, reload: () => Promise<void>, warn: (message: string) => void): FSWatcher {
  if (source?.file === undefined) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/core: watch: true needs a manifest on the local disk (a file path, a file: URL, or a Storage with a localDirectory)')
  }
  const name = basename(source.file)
  let timer: NodeJS.Timeout | undefined
  const watcher = watch(dirname(source.file), (_event, changed) => {
    if (changed !== null && changed !== name) return
    clearTimeout(timer)
    timer = setTimeout(() => {
      reload().catch((error: unknown) => warn(`@convoy/core: the changed manifest was not loaded, the previous one stays in use: ${(error as Error).message}`))
    }, 50)
    timer.unref()
  })
  watcher.unref()
  return watcher
}

/**
 * What tells one version of a file from another without reading it: device, inode (a file replaced by rename, as
 * `collect` writes the manifest), size and times in nanoseconds. `'missing'` when there is no file.
 */
function fileSignature(file: string): string {
  const info = statSync(file, { bigint: true, throwIfNoEntry: false })
  return info === undefined ? 'missing' : `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`
}

function readyBundle(built: BuiltCarpool): ReadyBundle {
  return { path: built.path, integrity: built.integrity, gzip: built.encodings.gzip }
}
