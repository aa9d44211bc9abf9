import { describe, expect, it } from 'vitest'
import { decideCompression, planCompression, resolveCompressionOptions, weakenEtag, type CompressionResponse } from './compression.js'
import { hasHttpsHeader, isHttpsRequest } from './is-https-request.js'

const policy = resolveCompressionOptions({}, 'test')
const page: CompressionResponse = {
  method: 'GET',
  status: 200,
  contentType: 'text/html; charset=utf-8',
  contentEncoding: undefined,
  contentRange: undefined,
  cacheControl: undefined,
  contentLength: 5000,
}
const plain = planCompression(policy, { https: false, acceptEncoding: 'gzip, br', userAgent: undefined })
const secure = planCompression(policy, { https: true, acceptEncoding: 'gzip, br', userAgent: undefined })

describe('decideCompression', () => {
  it('compresses an HTML page on plain HTTP with the preferred coding, varying on Accept-Encoding', () => {
    expect(decideCompression(policy, plain, page)).toEqual({ encoding: 'br', vary: ['Accept-Encoding'] })
  })

  it('leaves an HTTPS response alone, Vary included, unless allowedOnHttps says yes', () => {
    expect(decideCompression(policy, secure, page)).toEqual({ encoding: undefined, vary: [] })
    expect(decideCompression(policy, secure, page, () => true)).toEqual({ encoding: 'br', vary: ['Accept-Encoding'] })
    const throwing = (): boolean => {
      throw new Error('broken opt-in')
    }
    expect(decideCompression(policy, secure, page, throwing)).toEqual({ encoding: undefined, vary: [] })
  })

  it.each<[string, Partial<CompressionResponse>]>([
    ['204', { status: 204 }],
    ['206', { status: 206 }],
    ['304', { status: 304 }],
    ['a Content-Range', { contentRange: 'bytes 0-1/5000' }],
    ['no-transform', { cacheControl: 'public, no-transform' }],
    ['an event stream', { contentType: 'text/event-stream' }],
    ['an image', { contentType: 'image/png' }],
    ['no Content-Type', { contentType: undefined }],
  ])('leaves alone %s', (_, change) => {
    expect(decideCompression(policy, plain, { ...page, ...change })).toEqual({ encoding: undefined, vary: [] })
  })

  it.each<[string, Partial<CompressionResponse>]>([
    ['a body below the threshold', { contentLength: 100 }],
    ['an already encoded body', { contentEncoding: 'gzip' }],
    ['HEAD', { method: 'HEAD' }],
  ])('varies but does not compress %s', (_, change) => {
    expect(decideCompression(policy, plain, { ...page, ...change })).toEqual({ encoding: undefined, vary: ['Accept-Encoding'] })
  })

  it('compresses a small body when identity is refused, and a stream of unknown length', () => {
    const refusing = planCompression(policy, { https: false, acceptEncoding: 'gzip, identity;q=0', userAgent: undefined })
    expect(decideCompression(policy, refusing, { ...page, contentLength: 10 }).encoding).toBe('gzip')
    expect(decideCompression(policy, plain, { ...page, contentLength: undefined }).encoding).toBe('br')
  })

  it('sends old MSIE nothing compressed with conservativeMsieGzip, varying on User-Agent', () => {
    const conservative = resolveCompressionOptions({ conservativeMsieGzip: true }, 'test')
    const msie = planCompression(conservative, { https: false, acceptEncoding: 'gzip', userAgent: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)' })
    expect(decideCompression(conservative, msie, page)).toEqual({ encoding: undefined, vary: ['Accept-Encoding', 'User-Agent'] })
  })

  it('weakens strong ETags only', () => {
    expect(weakenEtag('"x"')).toBe('W/"x"')
    expect(weakenEtag('W/"x"')).toBe('W/"x"')
    expect(weakenEtag(undefined)).toBeUndefined()
  })
})

describe('resolveCompressionOptions', () => {
  it.each([
    [{ threshold: -1 }, /threshold must be/],
    [{ encodings: ['deflate'] }, /encodings may only contain/],
    [{ gzipLevel: 10 }, /gzipLevel must be/],
    [{ brotliQuality: 1.5 }, /brotliQuality must be/],
    [{ nope: 1 }, /unknown option "nope"/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveCompressionOptions(options, '@convoy/test')).toThrow(message)
  })

  it('accepts the framework options it is told about', () => {
    expect(resolveCompressionOptions({ allowOnHttps: () => true }, 'x', ['allowOnHttps']).threshold).toBe(1024)
  })
})

describe('Web Headers', () => {
  it('are read like Node header objects', () => {
    expect(hasHttpsHeader(new Headers({ 'X-Forwarded-Proto': 'http, HTTPS' }))).toBe(true)
    expect(hasHttpsHeader(new Headers({ 'X-Forwarded-Proto': 'http' }))).toBe(false)
    expect(isHttpsRequest({ headers: new Headers(), socket: { encrypted: true } })).toBe(true)
  })
})
