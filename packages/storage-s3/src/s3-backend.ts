import { constants as bufferConstants } from 'node:buffer'
import { isIP } from 'node:net'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type * as ClientS3 from '@aws-sdk/client-s3'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import type * as LibStorageModule from '@aws-sdk/lib-storage'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { bodyChunks, BodyStreamError, type StorageBody, type StorageEntry } from '@convoy/storage'
import { normalizeHeaders, type ObjectParams, type S3HeadersOption, type S3ObjectHeaders } from './headers.js'
import pLimit from 'p-limit'
import { checkPath, checkPrefix, isListable } from './paths.js'

/** Options of `createS3Storage()`. */
export interface S3StorageOptions {
  /** The bucket that holds the objects. */
  readonly bucket: string
  /** Key prefix of every object, e.g. `static` (stored as `static/css/a.css`). Default: none (the bucket root). */
  readonly prefix?: string
  /** AWS region. Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`. */
  readonly region?: string
  /** The service's URL, for S3-compatible services (R2, MinIO…), e.g. `http://127.0.0.1:9000`. Default: AWS S3. */
  readonly endpoint?: string
  /** Address the bucket in the path (`endpoint/bucket/key`) rather than in the host name. Default `false`. */
  readonly forcePathStyle?: boolean
  /** Credentials or a credentials provider. Default: the SDK's chain (environment, shared files, instance roles…). */
  readonly credentials?: S3ClientConfig['credentials']
  /** Your own `S3Client`: then `region`, `endpoint`, `forcePathStyle` and `credentials` are not used to make one. */
  readonly client?: S3Client
  /** Extra headers for every object, or a function that decides them per object. */
  readonly headers?: S3HeadersOption
  /** Most requests (or multipart uploads) in flight at once. Default `16`. */
  readonly concurrency?: number
  /** Size of a multipart upload's parts; larger objects are uploaded in parts. Default 8 MiB, at least 5 MiB. */
  readonly partSize?: number
  /** The public URL of the prefix (a CDN, a website endpoint), for `url()`. Default: the bucket's own URL. */
  readonly publicUrl?: string
  /**
   * Most attempts of one request, the first included: resets, timeouts, 500/502/503/504 and throttling (`SlowDown`)
   * are retried with exponential backoff and full jitter. Default: `AWS_MAX_ATTEMPTS`, else `5`. Not with `client`.
   */
  readonly maxAttempts?: number
  /** Milliseconds to wait for a TCP connection to the service before the attempt fails (and is retried). Default `5000`. Not with `client`. */
  readonly connectionTimeout?: number
  /**
   * Milliseconds a request may go without a single byte moving on its socket, sent or received, before the attempt
   * is abandoned as stalled (and retried). A slow transfer that keeps moving is never cut. Default `30000`. Not with `client`.
   */
  readonly requestTimeout?: number
}

/** What `put` is asked to check on the service, atomically with the write (S3 conditional writes). */
export interface WriteConditions {
  /** The object's current ETag must be this one. */
  readonly ifMatch?: string
  /** No object may exist at the key. */
  readonly ifNoneMatch?: '*'
}

type Sdk = typeof ClientS3
type LibStorage = typeof LibStorageModule

// Loaded on first use, so importing this package (to read a config file, say) costs nothing.
let sdk: Promise<Sdk> | undefined
let libStorage: Promise<LibStorage> | undefined
const loadSdk = (): Promise<Sdk> => (sdk ??= import('@aws-sdk/client-s3'))
const loadLibStorage = (): Promise<LibStorage> => (libStorage ??= import('@aws-sdk/lib-storage'))

const MIB = 1024 * 1024
/** S3's smallest part (but the last). */
const MIN_PART_SIZE = 5 * MIB
const DEFAULT_PART_SIZE = 8 * MIB
const DEFAULT_CONCURRENCY = 16
const DEFAULT_MAX_ATTEMPTS = 5
const DEFAULT_CONNECTION_TIMEOUT = 5_000
const DEFAULT_REQUEST_TIMEOUT = 30_000
/** The largest body of one PutObject: S3's limit, or what one Buffer can hold if that is less. */
const MAX_SINGLE_PUT = Math.min(5 * 1024 * MIB, bufferConstants.MAX_LENGTH)
/** Parts of one multipart upload sent at once. */
const PART_QUEUE = 4

/** What a GetObject gave: the body, or why there is none. */
export type GetResult =
  | { readonly status: 'found'; readonly body: Readable; readonly etag: string | undefined; readonly cacheControl: string | undefined }
  | { readonly status: 'missing' }
  | { readonly status: 'not-modified' }

/** What a whole-body GetObject gave: the bytes, or why there are none. */
export type WholeResult<T> =
  | { readonly status: 'found'; readonly value: T; readonly etag: string | undefined; readonly cacheControl: string | undefined }
  | { readonly status: 'missing' }
  | { readonly status: 'not-modified' }

/** The S3 operations both storages share: keys, limits and error messages in one place. */
export interface S3Backend {
  readonly name: string
  /** Identifies the bucket and prefix across processes (for the local cache). */
  readonly identity: string
  readonly partSize: number
  key(path: string): string
  /** Uploads; with `conditions`, in one PutObject whose conditions the service checks (`ERR_CONVOY_CONFLICT` when they fail). */
  put(path: string, body: StorageBody, params: ObjectParams, conditions?: WriteConditions): Promise<{ etag: string | undefined }>
  /** A GetObject whose body the caller streams (a failure midway is the caller's). */
  get(path: string, ifNoneMatch?: string): Promise<GetResult>
  /**
   * A GetObject whose body `consume` reads to the end; when the body fails midway (a reset, a stalled socket), the
   * whole GetObject is sent again, up to `maxAttempts` times.
   */
  getWhole<T>(path: string, consume: (body: AsyncIterable<Uint8Array>) => Promise<T>, ifNoneMatch?: string): Promise<WholeResult<T>>
  head(path: string): Promise<StorageEntry | null>
  remove(path: string): Promise<void>
  list(prefix: string): AsyncGenerator<StorageEntry>
  url(path: string): string
  /** The headers option, checked: a static set (lower-cased) or the function. */
  readonly headers: Map<string, string> | ((path: string, headers: S3ObjectHeaders) => S3ObjectHeaders | undefined) | undefined
  /** A ConvoyError for a failed operation, e.g. `cannot write css/a.css to s3://bucket/prefix: <reason>`. */
  readonly failure: (action: string, path: string, cause: unknown) => ConvoyError
}


/** Bytes as a Buffer over the same memory (only the view's own bytes). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

interface SdkError {
  readonly name?: unknown
  readonly message?: unknown
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number }
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode
}

/** A response body that failed midway on every attempt of a whole-body GetObject. */
class ResponseBodyError extends Error {
  constructor(
    cause: unknown,
    readonly attempts: number,
  ) {
    super(`the response body failed midway: ${reasonOf(cause)}`, { cause })
  }
}

/** How many attempts a failed request took, when the SDK (or our own retry of a body) says. */
function attemptsOf(error: unknown): number | undefined {
  if (error instanceof ResponseBodyError) return error.attempts
  return (error as SdkError | null)?.$metadata?.attempts
}

/** A failure of a request to the service (rather than of the caller's body stream or the local disk). */
function isRequestFailure(error: unknown): boolean {
  return error instanceof ResponseBodyError || (typeof error === 'object' && error !== null && '$metadata' in error)
}

/** The service refused a conditional write: 412 PreconditionFailed, or 409 ConditionalRequestConflict (a concurrent one won). */
function isConditionFailure(error: unknown): boolean {
  const name = (error as SdkError | null)?.name
  return statusOf(error) === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || name === 'OperationAborted'
}

/** An ETag without `W/` and quotes, to compare what services spell differently. */
function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1')
}

/** The other spelling of an ETag for `If-Match`: quoted (RFC 9110, AWS) or bare (what Ceph RGW 16 compares against). */
function otherSpelling(etag: string): string {
  const bare = bareEtag(etag)
  return etag === bare ? `"${bare}"` : bare
}

/** Full-jitter exponential backoff before attempt `attempt + 1` of a whole-body read. */
function backoff(attempt: number): Promise<void> {
  return sleep(Math.floor(Math.random() * Math.min(5_000, 100 * 2 ** attempt)))
}

/** The whole body of a write, for requests that must be able to send it again (a conditional PutObject). */
async function wholeBody(body: StorageBody): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return asBuffer(body)
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for await (const chunk of bodyChunks(body)) {
      size += chunk.byteLength
      if (size > MAX_SINGLE_PUT) throw new RangeError(`a conditional write is one PutObject, of at most ${MAX_SINGLE_PUT} bytes; this body is larger`)
      chunks.push(chunk)
    }
  } catch (error) {
    body.destroy()
    throw error
  }
  return Buffer.concat(chunks)
}

/** True when S3 says there is no such object (but not when the bucket itself is missing). */
export function isMissingObject(error: unknown): boolean {
  const name = (error as SdkError | null)?.name
  if (name === 'NoSuchBucket') return false
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404
}

/** The SDK's error as one line: its name (S3's error code) and message, or the HTTP status when it has neither. */
function reasonOf(error: unknown): string {
  if (error instanceof BodyStreamError) return error.message
  if (!(error instanceof Error)) return String(error)
  const { name, message } = error
  const status = statusOf(error)
  // HEAD responses have no body, so the SDK can only say "UnknownError": the status says more.
  const text = message === '' || message === 'UnknownError' ? (status === undefined ? 'no details' : `HTTP ${status}`) : message
  return name !== 'Error' && name !== '' && !text.includes(name) ? `${name}: ${text}` : text
}

function positiveInteger(value: unknown, name: string, minimum: number, example: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: \`${name}\` must be an integer of at least ${minimum}, e.g. ${example}`)
  }
  return value
}

function optionalString(value: unknown, name: string, example: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: \`${name}\` must be a non-empty string, e.g. ${example}`)
  }
  return value
}

/** `AWS_MAX_ATTEMPTS` when it is a positive integer. */
function maxAttemptsFromEnv(): number | undefined {
  const value = Number(process.env.AWS_MAX_ATTEMPTS)
  return Number.isInteger(value) && value >= 1 ? value : undefined
}

/** `static/` for `static`, `/static/` or `static/`; `''` for none. Throws `ERR_CONVOY_CONFIG` for an unsafe one. */
function keyPrefixOf(prefix: unknown): string {
  if (prefix === undefined) return ''
  if (typeof prefix !== 'string') throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-s3: `prefix` must be a string, e.g. "static"')
  const trimmed = prefix.replace(/^\/+|\/+$/g, '')
  if (trimmed === '') return ''
  try {
    checkPath(trimmed)
  } catch (error) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: \`prefix\` ${(error as Error).message.replace(/^.*?unsafe path /, '')}`, { cause: error })
  }
  return `${trimmed}/`
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

function isIpAddress(hostname: string): boolean {
  return isIP(hostname.replace(/^\[|\]$/g, '')) !== 0
}

/** The URL of the prefix: `publicUrl`, else the bucket's own URL (virtual-hosted or path-style, as the client addresses it). */
function baseUrlOf(options: S3StorageOptions, region: string, keyPrefix: string): string {
  if (options.publicUrl !== undefined) return options.publicUrl.endsWith('/') ? options.publicUrl : `${options.publicUrl}/`
  const bucket = encodeURIComponent(options.bucket)
  const prefix = encodePath(keyPrefix)
  if (options.endpoint === undefined) {
    return options.forcePathStyle === true ? `https://s3.${region}.amazonaws.com/${bucket}/${prefix}` : `https://${bucket}.s3.${region}.amazonaws.com/${prefix}`
  }
  const endpoint = new URL(options.endpoint)
  const path = endpoint.pathname.replace(/\/+$/, '')
  // The SDK addresses an IP address by path, whatever forcePathStyle says: there is no host name to put the bucket in.
  if (options.forcePathStyle === true || isIpAddress(endpoint.hostname)) return `${endpoint.origin}${path}/${bucket}/${prefix}`
  return `${endpoint.protocol}//${bucket}.${endpoint.host}${path}/${prefix}`
}

/** Checks the options and prepares the S3 operations; nothing is loaded or sent until the first operation. */
export function createS3Backend(options: S3StorageOptions): S3Backend {
  if (typeof options !== 'object' || options === null) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-s3: options must be an object, e.g. { bucket: "my-assets", prefix: "static" }')
  }
  const bucket = optionalString(options.bucket, 'bucket', '"my-assets"')
  if (bucket === undefined) throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-s3: `bucket` is required, e.g. { bucket: "my-assets" }')
  const keyPrefix = keyPrefixOf(options.prefix)
  const region = optionalString(options.region, 'region', '"eu-west-1"') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
  const endpoint = optionalString(options.endpoint, 'endpoint', '"http://127.0.0.1:9000"')
  if (endpoint !== undefined && !/^https?:$/.test(URL.canParse(endpoint) ? new URL(endpoint).protocol : '')) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: \`endpoint\` must be a URL, e.g. "https://<account>.r2.cloudflarestorage.com"; got ${JSON.stringify(endpoint)}`)
  }
  optionalString(options.publicUrl, 'publicUrl', '"https://cdn.example.com/static/"')
  if (options.client !== undefined && typeof (options.client as { send?: unknown } | null)?.send !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/storage-s3: `client` must be an S3Client from @aws-sdk/client-s3')
  }
  const concurrency = positiveInteger(options.concurrency, 'concurrency', 1, '16') ?? DEFAULT_CONCURRENCY
  const partSize = positiveInteger(options.partSize, 'partSize', MIN_PART_SIZE, '8 * 1024 * 1024') ?? DEFAULT_PART_SIZE
  const maxAttemptsOption = positiveInteger(options.maxAttempts, 'maxAttempts', 1, '5')
  const connectionTimeout = positiveInteger(options.connectionTimeout, 'connectionTimeout', 1, '5000') ?? DEFAULT_CONNECTION_TIMEOUT
  const requestTimeout = positiveInteger(options.requestTimeout, 'requestTimeout', 1, '30000') ?? DEFAULT_REQUEST_TIMEOUT
  if (options.client !== undefined) {
    const set = (['maxAttempts', 'connectionTimeout', 'requestTimeout'] as const).filter((option) => options[option] !== undefined)
    if (set.length > 0) {
      throw new ConvoyError(
        'ERR_CONVOY_CONFIG',
        `@convoy/storage-s3: \`${set.join('`, `')}\` configure the S3Client this storage makes; with your own \`client\`, set them on it: new S3Client({ maxAttempts: 5, requestHandler: { connectionTimeout: 5000, socketTimeout: 30000 } })`,
      )
    }
  }
  const maxAttempts = maxAttemptsOption ?? maxAttemptsFromEnv() ?? DEFAULT_MAX_ATTEMPTS
  const headers = typeof options.headers === 'function' ? options.headers : options.headers === undefined ? undefined : normalizeHeaders(options.headers, '`headers`')
  const name = `s3://${bucket}${keyPrefix === '' ? '' : `/${keyPrefix.slice(0, -1)}`}`
  const baseUrl = baseUrlOf({ ...options, bucket }, region, keyPrefix)
  const limit = pLimit(concurrency)

  let created: S3Client | undefined
  const client = async (): Promise<S3Client> => {
    if (options.client !== undefined) return options.client
    const { S3Client } = await loadSdk()
    return (created ??= new S3Client({
      region,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      // Services other than AWS often reject the SDK's default CRC32 checksums and aws-chunked bodies: send them
      // only where the operation requires them. AWS itself keeps the SDK's defaults.
      ...(endpoint === undefined ? {} : { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
      // The SDK's standard retry strategy: resets (ECONNRESET, EPIPE), timeouts, 500/502/503/504 and throttling
      // (SlowDown) are retried with exponential backoff and full jitter. Without timeouts a stalled socket would
      // hang the deploy: the SDK has none by default. `socketTimeout` is an inactivity limit, so a large upload that
      // keeps moving is never cut.
      maxAttempts,
      retryMode: 'standard',
      requestHandler: { connectionTimeout, socketTimeout: requestTimeout, httpAgent: { keepAlive: true, maxSockets: Math.max(50, concurrency * PART_QUEUE) } },
    }))
  }
  /** Attempts of a whole-body read: ours, or those your own client is configured with. */
  const bodyAttempts = async (s3: S3Client): Promise<number> => {
    if (options.client === undefined) return maxAttempts
    const configured = await (s3.config as { maxAttempts?: () => Promise<number> }).maxAttempts?.()
    return typeof configured === 'number' && configured >= 1 ? configured : DEFAULT_MAX_ATTEMPTS
  }

  const key = (path: string): string => keyPrefix + checkPath(path).join('/')

  const failure = (action: string, path: string, cause: unknown): ConvoyError => {
    if (isConvoyError(cause)) return cause
    const preposition = action === 'write' ? 'to' : action === 'list' ? 'in' : 'from'
    // A failed request names the object's key and, when it was retried, how often it was tried.
    const attempts = attemptsOf(cause)
    const details = [action === 'list' || !isRequestFailure(cause) ? undefined : `key ${key(path)}`, attempts !== undefined && attempts > 1 ? `${attempts} attempts` : undefined].filter(
      (detail): detail is string => detail !== undefined,
    )
    return new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/storage-s3: cannot ${action} ${path} ${preposition} ${name}: ${reasonOf(cause)}${details.length === 0 ? '' : ` (${details.join(', ')})`}`, {
      cause: cause instanceof BodyStreamError || cause instanceof ResponseBodyError ? cause.cause : cause,
      file: path,
    })
  }

  /** `ERR_CONVOY_CONFLICT` for a conditional write the service refused, naming the object and the condition. */
  const conflict = (path: string, conditions: WriteConditions, cause: unknown): ConvoyError => {
    const refused = (cause as SdkError | null)?.name
    const code = typeof refused === 'string' && refused !== '' && refused !== 'Error' ? refused : `HTTP ${statusOf(cause) ?? 412}`
    const what =
      code === 'ConditionalRequestConflict' || code === 'OperationAborted'
        ? `another conditional write to it was in progress (${code})`
        : conditions.ifNoneMatch === '*' && conditions.ifMatch === undefined
          ? `it already exists (If-None-Match: * failed: ${code}): another writer created it`
          : `it is no longer version ${conditions.ifMatch ?? ''} (If-Match failed: ${code}): another writer replaced or deleted it`
    return new ConvoyError('ERR_CONVOY_CONFLICT', `@convoy/storage-s3: did not write ${path} to ${name} (key ${key(path)}): ${what}`, { cause, file: path })
  }

  /** Which spelling of an ETag this service compares `If-Match` against: learned from the first refusal that proves it. */
  let ifMatchSpelling: 'as-read' | 'other' = 'as-read'

  /**
   * One PutObject with S3's conditions. The SDK retries it like any request (a 503 was not applied; a reset may have
   * been). A refusal after a retry is not taken at its word: when the object now holds exactly our bytes, an
   * attempt that failed on the way back was applied, and the write succeeded. A refused `If-Match` whose ETag is
   * still the object's is sent once more in the other spelling (Ceph RGW 16 compares bare ETags only).
   */
  const putConditional = async (path: string, body: StorageBody, params: ObjectParams, conditions: WriteConditions): Promise<{ etag: string | undefined }> => {
    const Key = key(path)
    const [{ PutObjectCommand, HeadObjectCommand }, s3] = await Promise.all([loadSdk(), client()])
    const bytes = await wholeBody(body)
    const send = (ifMatch: string | undefined) =>
      limit(() =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key,
            Body: bytes,
            ...params,
            ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }),
            ...(conditions.ifNoneMatch === undefined ? {} : { IfNoneMatch: conditions.ifNoneMatch }),
          }),
        ),
      )
    const ours = async (): Promise<string | undefined | false> => {
      const current = await getWhole(path, async (chunks) => {
        const parts: Uint8Array[] = []
        for await (const chunk of chunks) parts.push(chunk)
        return Buffer.concat(parts)
      })
      return current.status === 'found' && current.value.equals(bytes) ? current.etag : false
    }
    const order: readonly ('as-read' | 'other')[] = ifMatchSpelling === 'as-read' ? ['as-read', 'other'] : ['other', 'as-read']
    const spell = (spelling: 'as-read' | 'other', etag: string): string => (spelling === 'as-read' ? etag : otherSpelling(etag))
    const spellings = conditions.ifMatch === undefined ? [undefined] : order.map((spelling) => spell(spelling, conditions.ifMatch!))
    for (const [index, ifMatch] of spellings.entries()) {
      try {
        const output = await send(ifMatch)
        if (conditions.ifMatch !== undefined) ifMatchSpelling = order[index]!
        return { etag: output.ETag }
      } catch (error) {
        if (!isConditionFailure(error)) throw error
        if ((attemptsOf(error) ?? 1) > 1) {
          const etag = await ours()
          if (etag !== false) return { etag }
        }
        const last = index === spellings.length - 1
        if (last || conditions.ifMatch === undefined || statusOf(error) !== 412) throw conflict(path, conditions, error)
        // Still the version we were given? Then the service misread the ETag's spelling, not the object.
        const head = await limit(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key }))).catch((headError: unknown) => {
          if (isMissingObject(headError)) return undefined
          throw headError
        })
        if (head?.ETag === undefined || bareEtag(head.ETag) !== bareEtag(conditions.ifMatch)) throw conflict(path, conditions, error)
      }
    }
    throw new Error('unreachable: every spelling returned or threw')
  }

  const put = async (path: string, body: StorageBody, params: ObjectParams, conditions: WriteConditions = {}): Promise<{ etag: string | undefined }> => {
    if (conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined) return putConditional(path, body, params, conditions)
    const Key = key(path)
    const [{ PutObjectCommand }, s3] = await Promise.all([loadSdk(), client()])
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Uint8Array ? asBuffer(body) : undefined
    if (bytes !== undefined && bytes.byteLength <= partSize) {
      // A Buffer body: the SDK's retries send it again whole.
      const output = await limit(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: bytes, ...params })))
      return { etag: output.ETag }
    }
    // A stream, or bytes too big for one request: lib-storage reads up to one part, then sends a single PutObject if
    // that was all, else a multipart upload (aborted on failure, so no orphaned parts are left behind). Either way
    // each request carries a Buffer of its part, which a retry sends again whole: a stream is read only once.
    const source = bytes ?? (body as Readable)
    // lib-storage reports a failed abort rather than the failure that caused it: remember the body's own failure.
    let bodyFailure: unknown
    const chunks = async function* (stream: Readable): AsyncGenerator<Uint8Array> {
      try {
        yield* bodyChunks(stream)
      } catch (error) {
        bodyFailure = error
        throw error
      }
    }
    const { Upload } = await loadLibStorage()
    try {
      const output = await limit(async () => {
        const upload = new Upload({
          client: s3,
          params: { Bucket: bucket, Key, Body: bytes ?? Readable.from(chunks(source as Readable)), ...params },
          partSize,
          queueSize: PART_QUEUE,
          leavePartsOnError: false,
        })
        return upload.done()
      })
      return { etag: (output as { ETag?: string }).ETag }
    } catch (error) {
      // A stream that was not read to the end would stay open (a file descriptor, a socket).
      if (source instanceof Readable) source.destroy()
      throw bodyFailure ?? error
    }
  }

  const get = async (path: string, ifNoneMatch?: string): Promise<GetResult> => {
    const Key = key(path)
    const [{ GetObjectCommand }, s3] = await Promise.all([loadSdk(), client()])
    try {
      // The slot is held until the response starts; reading the body is the caller's.
      const output = await limit(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key, ...(ifNoneMatch === undefined ? {} : { IfNoneMatch: ifNoneMatch }) })))
      const body = output.Body
      if (!(body instanceof Readable)) throw new TypeError('the response has no readable body')
      return { status: 'found', body, etag: output.ETag, cacheControl: output.CacheControl }
    } catch (error) {
      if (statusOf(error) === 304) return { status: 'not-modified' }
      if (isMissingObject(error)) return { status: 'missing' }
      throw error
    }
  }

  const getWhole = async <T>(path: string, consume: (body: AsyncIterable<Uint8Array>) => Promise<T>, ifNoneMatch?: string): Promise<WholeResult<T>> => {
    const attempts = await bodyAttempts(await client())
    for (let attempt = 1; ; attempt++) {
      const result = await get(path, ifNoneMatch)
      if (result.status !== 'found') return result
      // Only a failure of the response body is retried here; one of `consume` itself (the local disk) is not.
      let broken: { error: unknown } | undefined
      const chunks = async function* (): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of result.body as AsyncIterable<Uint8Array>) yield chunk
        } catch (error) {
          broken = { error }
          throw error
        }
      }
      try {
        return { status: 'found', value: await consume(chunks()), etag: result.etag, cacheControl: result.cacheControl }
      } catch (error) {
        result.body.destroy()
        if (broken === undefined) throw error
        if (attempt >= attempts) throw new ResponseBodyError(broken.error, attempt)
        await backoff(attempt)
      }
    }
  }

  const head = async (path: string): Promise<StorageEntry | null> => {
    const Key = key(path)
    const [{ HeadObjectCommand }, s3] = await Promise.all([loadSdk(), client()])
    try {
      const output = await limit(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key })))
      return { path, size: output.ContentLength ?? 0, ...(output.LastModified === undefined ? {} : { lastModified: output.LastModified }) }
    } catch (error) {
      if (isMissingObject(error)) return null
      throw error
    }
  }

  const remove = async (path: string): Promise<void> => {
    const Key = key(path)
    const [{ DeleteObjectCommand }, s3] = await Promise.all([loadSdk(), client()])
    try {
      await limit(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key })))
    } catch (error) {
      if (!isMissingObject(error)) throw error
    }
  }

  /** One paginated ListObjectsV2 walk of the prefix: up to 1000 keys a request, whatever the bucket holds. */
  async function* list(prefix: string): AsyncGenerator<StorageEntry> {
    checkPrefix(prefix)
    const [{ ListObjectsV2Command }, s3] = await Promise.all([loadSdk(), client()])
    let token: string | undefined
    do {
      const continuation = token
      const page = await limit(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix + prefix, ...(continuation === undefined ? {} : { ContinuationToken: continuation }) })))
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(keyPrefix)) continue
        const path = object.Key.slice(keyPrefix.length)
        // Keys other tools made that no path can name (`a//b`, `folder/` markers of a console) are not objects here.
        if (!isListable(path)) continue
        yield { path, size: object.Size ?? 0, ...(object.LastModified === undefined ? {} : { lastModified: object.LastModified }) }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  return {
    name,
    identity: `${endpoint ?? `aws:${region}`}\0${bucket}\0${keyPrefix}`,
    partSize,
    key,
    put,
    get,
    getWhole,
    head,
    remove,
    list,
    url: (path) => baseUrl + encodePath(checkPath(path).join('/')),
    headers,
    failure,
  }
}
