import type { PutObjectCommandInput } from '@aws-sdk/client-s3'
import { ConvoyError } from '@convoy/errors'
import { contentEncodingOfPath, contentTypeOf, deltaOfPath, type StorageWriteOptions } from '@convoy/storage'

/** HTTP headers by name (any case), e.g. `{ 'Content-Disposition': 'inline', 'x-amz-meta-team': 'web' }`. */
export type S3ObjectHeaders = Readonly<Record<string, string>>

/**
 * Extra object headers: the same for every object, or a function that decides per object. The function gets the
 * object's path and the headers it will have so far (a fresh copy each call), and returns headers to set on top of
 * them (`''` removes one), or `undefined` for none.
 */
export type S3HeadersOption = S3ObjectHeaders | ((path: string, headers: S3ObjectHeaders) => S3ObjectHeaders | undefined)

/** The header part of a PutObject / CreateMultipartUpload request. */
export type ObjectParams = Pick<
  PutObjectCommandInput,
  | 'ContentType'
  | 'ContentEncoding'
  | 'CacheControl'
  | 'ContentDisposition'
  | 'ContentLanguage'
  | 'Expires'
  | 'Metadata'
  | 'ACL'
  | 'StorageClass'
  | 'ServerSideEncryption'
  | 'SSEKMSKeyId'
  | 'Tagging'
  | 'WebsiteRedirectLocation'
>

type ParamName = Exclude<keyof ObjectParams, 'Metadata'>

/** The headers S3 stores with an object, by lower-case name; `x-amz-meta-*` go to `Metadata`. */
const PARAMS: Readonly<Record<string, ParamName>> = {
  'content-type': 'ContentType',
  'content-encoding': 'ContentEncoding',
  'cache-control': 'CacheControl',
  'content-disposition': 'ContentDisposition',
  'content-language': 'ContentLanguage',
  expires: 'Expires',
  'x-amz-acl': 'ACL',
  'x-amz-storage-class': 'StorageClass',
  'x-amz-server-side-encryption': 'ServerSideEncryption',
  'x-amz-server-side-encryption-aws-kms-key-id': 'SSEKMSKeyId',
  'x-amz-tagging': 'Tagging',
  'x-amz-website-redirect-location': 'WebsiteRedirectLocation',
}

const META_PREFIX = 'x-amz-meta-'

/** Checks user headers and gives them lower-cased; throws `ERR_CONVOY_CONFIG` naming the first bad one. */
export function normalizeHeaders(headers: unknown, where: string): Map<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: ${where} must be an object of header names and values, e.g. { 'Content-Disposition': 'inline' }`)
  }
  const normalized = new Map<string, string>()
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    const lower = name.toLowerCase()
    if (typeof value !== 'string') {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: ${where}: the value of header "${name}" must be a string`)
    }
    const metaName = lower.startsWith(META_PREFIX) ? lower.slice(META_PREFIX.length) : undefined
    if (PARAMS[lower] === undefined && (metaName === undefined || metaName === '')) {
      throw new ConvoyError(
        'ERR_CONVOY_CONFIG',
        `@convoy/storage-s3: ${where}: S3 does not store the header "${name}" with an object (known: ${Object.keys(PARAMS).join(', ')}, x-amz-meta-*)`,
      )
    }
    if (lower === 'expires' && value !== '' && Number.isNaN(Date.parse(value))) {
      throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/storage-s3: ${where}: "${name}" must be an HTTP date, e.g. "Wed, 21 Oct 2026 07:28:00 GMT"`)
    }
    normalized.set(lower, value)
  }
  return normalized
}

/**
 * The headers of one object, built afresh for every write (nothing is shared between writes), from lowest to highest
 * precedence: derived from the path, the static `headers` option, the write's own options, the `headers` function.
 */
export function objectHeaders(path: string, write: StorageWriteOptions, headers: Map<string, string> | ((path: string, headers: S3ObjectHeaders) => S3ObjectHeaders | undefined) | undefined): Map<string, string> {
  const result = new Map<string, string>()
  // Derived headers go together: a caller that names the type has said what the object is, encoding included.
  // A sibling (`.gz`, `.br`, `.zst`) or a delta (`.<hash>.dcb`, `.<hash>.dcz`) has its encoding and the type of the
  // file inside it.
  if (write.contentType === undefined) {
    result.set('content-type', contentTypeOf(path))
    const encoding = write.contentEncoding === undefined ? (deltaOfPath(path)?.encoding ?? contentEncodingOfPath(path)) : undefined
    if (encoding !== undefined) result.set('content-encoding', encoding)
  }
  if (headers instanceof Map) for (const [name, value] of headers) result.set(name, value)
  if (write.contentType !== undefined) result.set('content-type', write.contentType)
  if (write.contentEncoding !== undefined) result.set('content-encoding', write.contentEncoding)
  if (write.cacheControl !== undefined) result.set('cache-control', write.cacheControl)
  if (typeof headers === 'function') {
    const extra = headers(path, Object.fromEntries(result))
    if (extra !== undefined) for (const [name, value] of normalizeHeaders(extra, `the headers function's result for ${path}`)) result.set(name, value)
  }
  for (const [name, value] of result) if (value === '') result.delete(name)
  return result
}

/** The PutObject parameters for a set of headers. */
export function toParams(headers: ReadonlyMap<string, string>): ObjectParams {
  const params: Record<string, unknown> = {}
  const metadata: Record<string, string> = {}
  for (const [name, value] of headers) {
    if (name.startsWith(META_PREFIX)) metadata[name.slice(META_PREFIX.length)] = value
    else if (name === 'expires') params.Expires = new Date(value)
    else params[PARAMS[name]!] = value
  }
  if (Object.keys(metadata).length > 0) params.Metadata = metadata
  return params
}
