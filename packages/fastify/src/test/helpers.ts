// Shared by the tests: a tree collected by the real `collect()`, Fastify apps listening on 127.0.0.1, a raw client.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import https from 'node:https'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { collect, createInlineRunner, NO_CACHE } from '@convoy/core/collect'
import { createFsStorage } from '@convoy/storage-fs'
import type { FastifyInstance } from 'fastify'
import { generate } from 'selfsigned'

/** A large, very compressible text (well over the default 1024-byte threshold). */
export const BIG_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(100)

/** The logical paths of the fixture and their contents. */
export const SOURCES: Readonly<Record<string, string | Buffer>> = {
  'css/site.css': `${Array.from({ length: 60 }, (_, i) => `.rule-${i} { color: #${String(i).padStart(6, '0')}; margin: ${i}px; }`).join('\n')}\n`,
  'css/tiny.css': '.t{color:red}\n',
  'js/app.js': `${Array.from({ length: 40 }, (_, i) => `window.value${i} = ${i} * 2;`).join('\n')}\n`,
  'img/logo.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<rect width="1" height="1"/>'.repeat(60)}</svg>\n`,
  'data/big.txt': `${'All work and no play makes Jack a dull boy.\n'.repeat(8000)}`,
}

export interface CollectedTree {
  /** The directory `collect` wrote: the root to serve. */
  readonly root: string
  /** The manifest `collect` wrote. */
  readonly manifest: {
    readonly files: Readonly<Record<string, { readonly served: string; readonly encodings?: Readonly<Record<string, { readonly path: string }>> }>>
  }
  remove(): Promise<void>
}

/** Writes {@link SOURCES} to a temporary folder and runs the real `collect()` on it (inline, no cache). */
export async function collectTree(extra: Readonly<Record<string, string | Buffer>> = {}): Promise<CollectedTree> {
  const base = await mkdtemp(join(tmpdir(), 'convoy-fastify-'))
  const source = join(base, 'static')
  const root = join(base, 'collected')
  for (const [path, contents] of Object.entries({ ...SOURCES, ...extra })) {
    await mkdir(dirname(join(source, path)), { recursive: true })
    await writeFile(join(source, path), contents)
  }
  const storage = createFsStorage({ root })
  // Siblings only: these tests assert the headers of negotiated siblings exactly, on every Node line; deltas and their
  // headers are the adapter test suite's delta group.
  await collect({ sources: [source], storage, baseUrl: '/static/', compress: { deltas: false }, runner: createInlineRunner(), cache: NO_CACHE })
  const manifest = JSON.parse(await readFile(join(root, 'convoy-manifest.json'), 'utf8')) as CollectedTree['manifest']
  return { root, manifest, remove: () => rm(base, { recursive: true, force: true }) }
}

/** The served storage path of a logical path. */
export function served(tree: CollectedTree, logicalPath: string): string {
  const entry = tree.manifest.files[logicalPath]
  if (entry === undefined) throw new Error(`not in the fixture's manifest: ${logicalPath}`)
  return entry.served
}

/** Listens on an ephemeral port of 127.0.0.1; returns the base URL (`https:` for an app made with `https`). */
export async function listen(app: FastifyInstance, scheme: 'http' | 'https' = 'http'): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return `${scheme}://127.0.0.1:${address.port}`
}

/** A self-signed certificate for 127.0.0.1. */
export async function certificate(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  })
  return { key: pems.private, cert: pems.cert }
}

export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** The bytes as sent. */
  readonly raw: Buffer
  /** The body after undoing `Content-Encoding`. */
  readonly text: string
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly body?: string
  /** The certificate to trust, for HTTPS. */
  readonly ca?: string
}

/** One request without a keep-alive agent; the body is collected raw and decoded separately. */
export async function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? https.request : http.request
  return new Promise<Reply>((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        // Node sends a body of DELETE or OPTIONS without framing unless told its length.
        headers: { ...(options.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(options.body) }), ...options.headers },
        agent: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const raw = Buffer.concat(chunks)
          try {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text: decode(raw, res.headers['content-encoding']) })
          } catch (error) {
            reject(new Error(`${url}: the body does not decode as its Content-Encoding ${String(res.headers['content-encoding'])} says`, { cause: error }))
          }
        })
      },
    )
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.end(options.body)
  })
}

export function decode(raw: Buffer, encoding: string | undefined): string {
  if (raw.length === 0) return ''
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8')
  if (encoding === 'br') return brotliDecompressSync(raw).toString('utf8')
  return raw.toString('utf8')
}
