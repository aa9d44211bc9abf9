import type * as Crypto from 'node:crypto'
import type * as Fs from 'node:fs'
import { createRequire } from 'node:module'

// node:crypto and node:fs are required on first use, not imported: importing them loads streams and webcrypto
// (some 8 ms), which a web process that imports Convoy but has nothing to hash yet need not pay at startup.
const requireBuiltin = createRequire(import.meta.url)
const crypto = (): typeof Crypto => requireBuiltin('node:crypto') as typeof Crypto
const createHash = (algorithm: string): Crypto.Hash => crypto().createHash(algorithm)
const createReadStream = (path: string): AsyncIterable<unknown> => (requireBuiltin('node:fs') as typeof Fs).createReadStream(path)

/** How a content fingerprint is computed. */
export interface HashOptions {
  /** Any algorithm `node:crypto` supports. Default `'md5'` (a cache key, not a security boundary). */
  readonly algorithm?: string
  /** Number of hex characters kept, 1 up to the digest length. Default `12`. */
  readonly length?: number
}

/** Bytes, text (hashed as UTF-8), or several of them hashed as one concatenated input. */
export type HashInput = Uint8Array | string | readonly (Uint8Array | string)[]

export const DEFAULT_HASH_OPTIONS: Required<HashOptions> = Object.freeze({ algorithm: 'md5', length: 12 })

export type IntegrityAlgorithm = 'sha256' | 'sha384' | 'sha512'

let supportedHashes: ReadonlySet<string> | undefined
const supported = (): ReadonlySet<string> => (supportedHashes ??= new Set(crypto().getHashes()))

function resolveOptions(options: HashOptions | undefined): Required<HashOptions> {
  const algorithm = options?.algorithm ?? DEFAULT_HASH_OPTIONS.algorithm
  const length = options?.length ?? DEFAULT_HASH_OPTIONS.length
  if (!supported().has(algorithm)) {
    throw new RangeError(`@convoy/hash: unknown hash algorithm "${algorithm}" (node:crypto supports ${[...supported()].filter((a) => !a.includes('-') && !a.startsWith('RSA')).join(', ')})`)
  }
  if (!Number.isInteger(length) || length < 1) {
    throw new RangeError(`@convoy/hash: hash length must be a positive integer, got ${String(length)}`)
  }
  return { algorithm, length }
}

function finish(hash: Crypto.Hash, length: number, algorithm: string): string {
  const hex = hash.digest('hex')
  if (length > hex.length) {
    throw new RangeError(`@convoy/hash: hash length ${length} exceeds the ${hex.length} hex characters of ${algorithm}`)
  }
  return hex.slice(0, length)
}

/**
 * The content fingerprint of some bytes: the first `length` hex characters of their digest.
 *
 * @example
 * contentHash('body{}') // '0c4bd3c4d8a9' (md5, 12 hex characters)
 */
export function contentHash(input: HashInput, options?: HashOptions): string {
  const { algorithm, length } = resolveOptions(options)
  const hash = createHash(algorithm)
  if (typeof input === 'string' || input instanceof Uint8Array) hash.update(input)
  else for (const part of input) hash.update(part)
  return finish(hash, length, algorithm)
}

/**
 * The content fingerprint of a file, streamed so large files never sit in memory whole.
 *
 * @example
 * await hashFile('static/video.mp4', { algorithm: 'sha256', length: 16 })
 */
export async function hashFile(path: string, options?: HashOptions): Promise<string> {
  const { algorithm, length } = resolveOptions(options)
  const hash = createHash(algorithm)
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return finish(hash, length, algorithm)
}

/**
 * A Subresource Integrity string (`sha384-<base64>` by default) for an `integrity` attribute.
 *
 * @example
 * integrity(cssBytes) // 'sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC'
 */
export function integrity(input: HashInput, algorithm: IntegrityAlgorithm = 'sha384'): string {
  const hash = createHash(algorithm)
  if (typeof input === 'string' || input instanceof Uint8Array) hash.update(input)
  else for (const part of input) hash.update(part)
  return `${algorithm}-${hash.digest('base64')}`
}

/** {@link integrity} of a file, streamed. */
export async function integrityOfFile(path: string, algorithm: IntegrityAlgorithm = 'sha384'): Promise<string> {
  const hash = createHash(algorithm)
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return `${algorithm}-${hash.digest('base64')}`
}
