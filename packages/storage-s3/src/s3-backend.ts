import { isIP } from 'node:net'
import { Readable } from 'node:stream'
import type * as ClientS3 from '@aws-sdk/client-s3'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import type * as LibStorageModule from '@aws-sdk/lib-storage'
import type { StorageBody, StorageEntry } from '@convoy/core'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import { bodyChunks, BodyStreamError } from '@convoy/manifest'
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
/** Parts of one multipart upload sent at once. */
const PART_QUEUE = 4

/** What a GetObject gave: the body, or why there is none. */
export type GetResult =
  | { readonly status: 'found'; readonly body: Readable; readonly etag: string | undefined; readonly cacheControl: string | undefined }
  | { readonly status: 'missing' }
  | { readonly status: 'not-modified' }

/** The S3 operations both storages share: keys, limits and error messages in one place. */
export interface S3Backend {
  readonly name: string
  /** Identifies the bucket and prefix across processes (for the local cache). */
  readonly identity: string
  readonly partSize: number
  key(path: string): string
  put(path: string, body: StorageBody, params: ObjectParams): Promise<{ etag: string | undefined }>
  get(path: string, ifNoneMatch?: string): Promise<GetResult>
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
  readonly $metadata?: { readonly httpStatusCode?: number }
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode
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
    }))
  }

  const failure = (action: string, path: string, cause: unknown): ConvoyError => {
    if (isConvoyError(cause)) return cause
    const preposition = action === 'write' ? 'to' : action === 'list' ? 'in' : 'from'
    return new ConvoyError('ERR_CONVOY_STORAGE', `@convoy/storage-s3: cannot ${action} ${path} ${preposition} ${name}: ${reasonOf(cause)}`, {
      cause: cause instanceof BodyStreamError ? cause.cause : cause,
      file: path,
    })
  }

  const key = (path: string): string => keyPrefix + checkPath(path).join('/')

  const put = async (path: string, body: StorageBody, params: ObjectParams): Promise<{ etag: string | undefined }> => {
    const Key = key(path)
    const [{ PutObjectCommand }, s3] = await Promise.all([loadSdk(), client()])
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Uint8Array ? asBuffer(body) : undefined
    if (bytes !== undefined && bytes.byteLength <= partSize) {
      const output = await limit(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: bytes, ...params })))
      return { etag: output.ETag }
    }
    // A stream, or bytes too big for one request: lib-storage reads up to one part, then sends a single PutObject if
    // that was all, else a multipart upload (aborted on failure, so no orphaned parts are left behind).
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
    head,
    remove,
    list,
    url: (path) => baseUrl + encodePath(checkPath(path).join('/')),
    headers,
    failure,
  }
}
