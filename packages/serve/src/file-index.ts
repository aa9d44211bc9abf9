import { createHash } from 'node:crypto'
import { ENCODING_NAMES, encodingOfPath, type DeltaCoding, type EncodingName } from '@convoy/gzip'
import { DICTIONARY_VARY, dictionaryMatchPattern, useAsDictionaryHeader } from '@convoy/http'
import { MANIFEST_FILE, type Manifest } from '@convoy/manifest'
import { DELTA_ENCODING_NAMES, contentTypeOf, encodedSiblingPath, withoutEncodingExtension } from '@convoy/storage'
import { IMMUTABLE, MANIFEST, SHORT, isDeltaPath, listedCandidates, manifestCandidates, type Caching, type Candidates, type DictionaryInfo } from './candidates.js'
import { eachLimit, isServablePath, type FileSource, type FoundFile, type SourceListing } from './sources.js'

/** A file of the index, with its bytes when they are held in memory. */
export interface IndexedFile extends FoundFile {
  /** The whole file, when it is small enough for the memory cache. */
  readonly body: Buffer | undefined
  /** Strong validator of these bytes. */
  readonly etag: string
  /** `Last-Modified` value, when the time is known. */
  readonly lastModified: string | undefined
}

/** One way of answering a URL: a file plus every header of a 200, precomputed. */
export interface Variant {
  readonly file: IndexedFile
  /** Flat `[name, value, name, value, …]` list for `res.writeHead(200, …)`. */
  readonly headers: readonly string[]
  /** The headers of a 304 for this variant (RFC 9110 §15.4.5: those a 200 would have that describe caching). */
  readonly notModified: readonly string[]
  /** Whether `Range` is honoured: not for a coding chosen by negotiation. */
  readonly rangeable: boolean
  readonly contentType: string
  /** A sibling's encoding, a delta's (`dcb`, `dcz`), or `undefined` for the file itself. */
  readonly contentEncoding: EncodingName | DeltaCoding | undefined
  readonly cacheControl: string
  /** Whether the answer depends on request headers (`headers` then hold a `Vary`). */
  readonly vary: boolean
}

/** The deltas of a file against one dictionary, by delta coding: those that were found. */
export type DeltaVariantsOf = Readonly<Partial<Record<DeltaCoding, Variant>>>

/** Everything known about one URL path. */
export interface Resource {
  /** Storage path: what the `headers` hook receives. */
  readonly path: string
  readonly identity: Variant
  /** The precompressed siblings, by encoding (a name in `ENCODINGS` of `@convoy/gzip`). */
  readonly variants: Readonly<Partial<Record<EncodingName, Variant>>>
  /**
   * The size in bytes of each sibling `variants` has, by encoding: precomputed for `chooseCoding` (which sends the
   * smallest of equally wanted codings) so negotiation allocates nothing per request.
   */
  readonly available: Readonly<Partial<Record<EncodingName, number>>>
  /** True when `variants` has any: the answer is negotiated and carries `Vary: Accept-Encoding`. */
  readonly negotiated: boolean
  /**
   * The deltas found (RFC 9842), by the hash of the dictionary each was made against (standard base64, as
   * `Available-Dictionary` names it once parsed), or `undefined` when there are none: most files.
   */
  readonly deltas: ReadonlyMap<string, DeltaVariantsOf> | undefined
  /**
   * The `Vary` of every answer for this URL (200, 206, 304, 406, 416): `Accept-Encoding` for a negotiated file,
   * `Accept-Encoding, Available-Dictionary` for one the manifest gives a dictionary or deltas, `undefined` otherwise.
   */
  readonly varyValue: string | undefined
}

export interface FileIndex {
  /** Decoded storage path (no leading slash) → resource, for every path resolved so far. */
  readonly resources: Map<string, Resource>
  /**
   * Every path this index may serve (those the manifest names, or every file the listing found) → its caching.
   * A path is resolved — found, stat'ed, read when small, its headers built — at its first request, with its
   * precompressed siblings (see {@link resolvePath}): a build is then the manifest and this map, whatever the
   * number of files, and a process only ever pays for the files its pages ask for.
   */
  readonly candidates: Candidates
  /** Candidates resolved and found missing: not looked for again until the next index. */
  readonly absent: Set<string>
  /** Resolutions in progress, by the path their family is named after, so concurrent requests share one. */
  readonly pending: Map<string, Promise<void>>
  /** What this build saw of the source: files added later are found through the same resolved root. */
  readonly listing: SourceListing
  /** Bytes of the memory cache still free. */
  memoryLeft: number
}

export interface IndexOptions {
  /** A manifest object, a path to one, `false` for none, or `undefined` for `convoy-manifest.json` when present. */
  readonly manifest: Manifest | string | false | undefined
  readonly maxAge: number
  readonly immutableMaxAge: number
  readonly memoryCacheBytes: number
  readonly memoryCacheMaxFileBytes: number
}

async function loadManifest(listing: SourceListing, option: IndexOptions['manifest']): Promise<Manifest | undefined> {
  if (option === false) return undefined
  if (typeof option === 'object') return option
  return (await listing.readManifest(option ?? MANIFEST_FILE, option !== undefined)) ?? undefined
}

/** Which files fit in the memory cache: immutable ones first, then compressed ones, then small before large. */
function pickCached(files: readonly FoundFile[], immutable: (path: string) => boolean, budget: number, options: IndexOptions): FoundFile[] {
  const rank = (file: FoundFile): number => (immutable(file.path) ? 0 : 2) + (encodingOfPath(file.path) === undefined && !isDeltaPath(file.path) ? 1 : 0)
  const candidates = files.filter((file) => file.size <= options.memoryCacheMaxFileBytes).sort((a, b) => rank(a) - rank(b) || a.size - b.size)
  const picked: FoundFile[] = []
  for (const file of candidates) {
    if (file.size > budget) break
    picked.push(file)
    budget -= file.size
  }
  return picked
}

function hashEtag(bytes: Uint8Array): string {
  return `"${bytes.byteLength.toString(16)}-${createHash('sha1').update(bytes).digest('base64url').slice(0, 22)}"`
}

async function hashStream(source: FileSource, file: FoundFile): Promise<string | undefined> {
  const stream = await source.stream(file, 0, Math.max(file.size - 1, 0))
  if (stream === null || stream === 'stale') return undefined
  const hash = createHash('sha1')
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
  }
  return `"${size.toString(16)}-${hash.digest('base64url').slice(0, 22)}"`
}

/**
 * Builds an index: reads and checks the manifest (a bad one fails here, naming the file) and notes every path it
 * names, or, without a manifest, lists the files there are (a walk of the directory's folders, with no `stat` per
 * file, or the storage's listing). Nothing is opened or stat'ed per file: each path is resolved at its first
 * request ({@link resolvePath}), and a request after that is a `Map` lookup.
 */
export async function buildIndex(source: FileSource, options: IndexOptions): Promise<FileIndex> {
  const listing = await source.begin()
  const manifest = await loadManifest(listing, options.manifest)
  const candidates = manifest === undefined ? listedCandidates(await listing.enumerate()) : manifestCandidates(manifest)
  return { resources: new Map(), candidates, absent: new Set(), pending: new Map(), listing, memoryLeft: options.memoryCacheBytes }
}

/** Whether `path` may still be resolved in `index`: a candidate not yet resolved, and servable. */
export function isUnresolved(index: FileIndex, path: string): boolean {
  return index.candidates.cachingOf(path) !== undefined && !index.resources.has(path) && !index.absent.has(path)
}

/**
 * Resolves `path` (a candidate of `index`) and the rest of its family — the file a precompressed sibling belongs
 * to, and that file's siblings and deltas — so a file and its siblings are always found together and negotiated.
 * Afterwards each of them but the deltas is in `index.resources` or in `index.absent`; a delta found is part of its
 * file's resource (never one of its own), a delta missing is simply not offered. Concurrent calls for one family
 * share one resolution. Rejects when the source fails (not when a file is missing); nothing is remembered then, the
 * next request tries again.
 */
export function resolvePath(source: FileSource, index: FileIndex, path: string, options: IndexOptions): Promise<void> {
  const { candidates } = index
  const inner = encodingOfPath(path) === undefined ? undefined : withoutEncodingExtension(path)
  const base = inner !== undefined && candidates.cachingOf(inner) !== undefined ? inner : path
  let job = index.pending.get(base)
  if (job !== undefined) return job
  const family = [base]
  const addSiblings = (of: string): void => {
    for (const name of ENCODING_NAMES) {
      const sibling = encodedSiblingPath(of, name)
      if (candidates.cachingOf(sibling) !== undefined && !family.includes(sibling)) family.push(sibling)
    }
  }
  addSiblings(base)
  if (base !== path) {
    if (!family.includes(path)) family.push(path)
    addSiblings(path)
  }
  // A delta is cached as its file is; it is looked for only while its file is not resolved yet.
  const deltas = index.resources.has(base) ? [] : deltaPathsOf(candidates.dictionaryOf(base)).filter((delta) => !family.includes(delta))
  const cachingOf = (member: string): Caching | undefined => candidates.cachingOf(deltas.includes(member) ? base : member)
  // Paths a manifest may name but that are never served (dotfiles, dot-folders) are not looked for.
  const wanted = [...family.filter((member) => !index.resources.has(member) && !index.absent.has(member)), ...deltas].filter(isServablePath)
  const immutable = (member: string): boolean => cachingOf(member) === IMMUTABLE
  job = (async () => {
    const found = await index.listing.find(wanted)
    // Deltas of a file that is not there are of no use, and must never become resources of their own.
    if (!found.has(base)) for (const delta of deltas) found.delete(delta)
    await addFiles(source, index, found.values(), immutable, (member) => cacheControlOf(cachingOf(member) ?? SHORT, options), options)
    for (const member of family) if (!index.resources.has(member)) index.absent.add(member)
  })().finally(() => index.pending.delete(base))
  index.pending.set(base, job)
  return job
}

/** The storage paths of every delta `info` names. */
function deltaPathsOf(info: DictionaryInfo | undefined): string[] {
  const paths: string[] = []
  if (info?.deltas === undefined) return paths
  for (const variants of info.deltas.values()) {
    for (const name of DELTA_ENCODING_NAMES) {
      const delta = variants[name]
      if (delta !== undefined) paths.push(delta.path)
    }
  }
  return paths
}

/** The `match-dest` of a dictionary of this type: scripts and stylesheets are what pages load by URL. */
function destinationOf(contentType: string): 'script' | 'style' | undefined {
  if (/^(?:text|application)\/(?:x-)?(?:java|ecma)script(?:;|$)/i.test(contentType)) return 'script'
  if (/^text\/css(?:;|$)/i.test(contentType)) return 'style'
  return undefined
}

function cacheControlOf(caching: Caching, options: IndexOptions): string {
  return caching === MANIFEST ? MANIFEST_CACHE_CONTROL : caching === IMMUTABLE ? immutableCacheControl(options) : shortCacheControl(options)
}

/**
 * `Cache-Control` of `convoy-manifest.json`: revalidated on every use (a 304 while it is unchanged), as `collect`
 * stores it on S3. The manifest is where a deploy switches over, so no cache may hold an old one for a minute.
 */
export const MANIFEST_CACHE_CONTROL = 'no-cache'

/** `Cache-Control` of a content-addressed name. */
export function immutableCacheControl(options: IndexOptions): string {
  return `public, max-age=${options.immutableMaxAge}, immutable`
}

function shortCacheControl(options: IndexOptions): string {
  return `public, max-age=${options.maxAge}`
}

/** The variants (and availability) of a resource without precompressed siblings: one shared empty object. */
const NO_VARIANTS = Object.freeze({})

/**
 * Adds `found` to the index (paths it already has are left as they are): the bytes of those that fit in what is
 * left of the memory cache (so the cache fills in the order files are first asked for), a validator for each, and
 * the headers of every way of answering every URL. A file and its precompressed siblings (`.gz`, `.br`, … of
 * `ENCODINGS`) and its deltas (which the index's candidates name) must be added together, so they are negotiated; a
 * delta becomes a variant of its file, never a resource of its own.
 */
export async function addFiles(
  source: FileSource,
  index: FileIndex,
  found: Iterable<FoundFile>,
  immutable: (path: string) => boolean,
  cacheControlOf: (path: string) => string,
  options: IndexOptions,
): Promise<void> {
  const all = [...found]
  const bodies = new Map<string, Buffer>()
  const cached = pickCached(all, immutable, index.memoryLeft, options)
  for (const file of cached) index.memoryLeft -= file.size
  await eachLimit(cached, 16, async (file) => {
    const bytes = await source.read(file)
    if (bytes === null) return
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    bodies.set(file.path, body)
  })

  const files = new Map<string, IndexedFile>()
  await eachLimit(all, 16, async (file) => {
    const body = bodies.get(file.path)
    // The size comes from the bytes when we have them, so headers and body always agree.
    const size = body === undefined ? file.size : body.length
    let etag: string | undefined
    if (body !== undefined) etag = hashEtag(body)
    else if (file.mtimeMs !== undefined) etag = `"${size.toString(16)}-${file.mtimeMs.toString(16)}"`
    else etag = await hashStream(source, file)
    if (etag === undefined) return
    const lastModified = file.mtimeMs === undefined ? undefined : new Date(file.mtimeMs).toUTCString()
    files.set(file.path, { ...file, size, body, etag, lastModified })
  })

  const { resources } = index
  // The dictionary and deltas of the files added (only the few the manifest gives them), and the deltas' paths.
  const dictionaries = new Map<string, DictionaryInfo>()
  const deltaFiles = new Set<string>()
  for (const path of files.keys()) {
    const info = index.candidates.dictionaryOf(path)
    if (info === undefined) continue
    dictionaries.set(path, info)
    for (const delta of deltaPathsOf(info)) deltaFiles.add(delta)
  }
  for (const [path, file] of files) {
    // A delta is a variant of its file (below), never a resource of its own, whoever hands it in.
    if (resources.has(path) || deltaFiles.has(path) || isDeltaPath(path)) continue
    const coding = encodingOfPath(path)
    const inner = coding === undefined ? undefined : withoutEncodingExtension(path)
    if (inner !== undefined && files.has(inner)) {
      // A precompressed sibling asked for by name: the inner file's type, with its Content-Encoding.
      const identity = variant(file, contentTypeOf(inner), coding, cacheControlOf(path), undefined, true)
      resources.set(path, { path, identity, variants: NO_VARIANTS, available: NO_VARIANTS, negotiated: false, deltas: undefined, varyValue: undefined })
      continue
    }
    const siblings: [EncodingName, IndexedFile][] = []
    for (const name of ENCODING_NAMES) {
      const sibling = files.get(encodedSiblingPath(path, name))
      if (sibling !== undefined) siblings.push([name, sibling])
    }
    const negotiated = siblings.length > 0
    const contentType = contentTypeOf(path)
    const cacheControl = cacheControlOf(path)
    const info = dictionaries.get(path)
    // Whether a delta may be sent depends on Available-Dictionary too; so does every answer for this URL, as shared
    // caches must keep a delta apart from the file.
    const varyValue = info !== undefined ? DICTIONARY_VARY : negotiated ? 'Accept-Encoding' : undefined
    // Every version of the file tells the browser to keep it as the dictionary for the next one.
    const dictionaryHeaders =
      info?.dictionary === undefined ? NO_HEADERS : ['Use-As-Dictionary', useAsDictionaryHeader(dictionaryMatchPattern(info.dictionary.match), destinationOf(contentType))]
    const variants: Partial<Record<EncodingName, Variant>> = {}
    const available: Partial<Record<EncodingName, number>> = {}
    for (const [name, sibling] of siblings) {
      variants[name] = variant(sibling, contentType, name, cacheControl, varyValue, false, dictionaryHeaders)
      available[name] = sibling.size
    }
    let deltas: Map<string, DeltaVariantsOf> | undefined
    for (const [hash, named] of info?.deltas ?? []) {
      const found: Partial<Record<DeltaCoding, Variant>> = {}
      let any = false
      for (const name of DELTA_ENCODING_NAMES) {
        const delta = named[name] === undefined ? undefined : files.get(named[name].path)
        if (delta === undefined) continue
        found[name] = variant(delta, contentType, name, cacheControl, varyValue, false, dictionaryHeaders)
        any = true
      }
      if (any) (deltas ??= new Map()).set(hash, found)
    }
    resources.set(path, {
      path,
      identity: variant(file, contentType, undefined, cacheControl, varyValue, true, dictionaryHeaders),
      variants: negotiated ? variants : NO_VARIANTS,
      available: negotiated ? available : NO_VARIANTS,
      negotiated,
      deltas,
      varyValue,
    })
  }
}

const NO_HEADERS: readonly string[] = Object.freeze([])

/**
 * One way of answering: `vary` is the `Vary` value (none when `undefined`), `dictionary` the `Use-As-Dictionary`
 * header when the file is offered as one (sent with 304s too, as a 200's caching headers are).
 */
function variant(
  file: IndexedFile,
  contentType: string,
  contentEncoding: EncodingName | DeltaCoding | undefined,
  cacheControl: string,
  vary: string | undefined,
  rangeable: boolean,
  dictionary: readonly string[] = NO_HEADERS,
): Variant {
  const validators = ['ETag', file.etag]
  if (file.lastModified !== undefined) validators.push('Last-Modified', file.lastModified)
  const caching = ['Cache-Control', cacheControl]
  if (vary !== undefined) caching.push('Vary', vary)
  caching.push(...dictionary)
  const headers = ['Content-Type', contentType, 'Content-Length', String(file.size), ...validators, ...caching]
  if (contentEncoding !== undefined) headers.push('Content-Encoding', contentEncoding)
  if (rangeable) headers.push('Accept-Ranges', 'bytes')
  headers.push('X-Content-Type-Options', 'nosniff')
  return {
    file,
    headers,
    notModified: [...validators, ...caching],
    rangeable,
    contentType,
    contentEncoding,
    cacheControl,
    vary: vary !== undefined,
  }
}
