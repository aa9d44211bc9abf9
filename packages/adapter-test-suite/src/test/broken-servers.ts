// Deliberately broken adapters, each with one classic bug, for suite-catches-bugs.test.ts: the suite is only worth
// something if its checks fail on them. Plain node:http, no Convoy package.
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { extname, join, sep } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import type { AdapterUnderTest, CompressedRoute } from '../adapter.js'
import { listen } from '../listen.js'

const IMMUTABLE = 'public, max-age=31536000, immutable'

const TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
}

const typeOf = (path: string): string => TYPES[extname(path.replace(/\.(gz|br)$/, '').replace(/\.[0-9a-f]{16}\.dc[bz]$/, ''))] ?? 'application/octet-stream'

export { listen }

function fallback(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' })
  res.end('fallback')
}

function send(req: IncomingMessage, res: ServerResponse, bytes: Buffer, headers: OutgoingHttpHeaders): void {
  res.writeHead(200, { 'content-length': String(bytes.length), 'x-content-type-options': 'nosniff', 'cache-control': IMMUTABLE, ...headers })
  res.end(req.method === 'HEAD' ? undefined : bytes)
}

/** The path under `prefix` of a request, as sent (not decoded), or `undefined` when it is outside. */
function underPrefix(req: IncomingMessage, prefix: string): string | undefined {
  const target = (req.url ?? '/').split('?')[0] ?? ''
  return target.startsWith(prefix) ? target.slice(prefix.length) : undefined
}

/**
 * Bug: joins the decoded URL path to the root and reads whatever is there — `..` (encoded or not), dotfiles and
 * symlinks out of the root all work. Real files are served fine.
 */
export function naiveJoinStatic(): AdapterUnderTest {
  return {
    name: 'joins the path naively',
    startStatic: ({ root, prefix }) =>
      listen((req, res) => {
        const rest = underPrefix(req, prefix)
        if (rest === undefined) return fallback(res)
        let path: string
        try {
          path = decodeURIComponent(rest)
        } catch {
          res.writeHead(400).end()
          return
        }
        readFile(join(root, path)).then(
          (bytes) => send(req, res, bytes, { 'content-type': typeOf(path) }),
          () => fallback(res),
        )
      }),
  }
}

/** Every file under `dir`, following symlinks (files and folders), dotfiles included: storage path → absolute path. */
async function walkEverything(dir: string, into = new Map<string, string>(), base = '', depth = 0): Promise<Map<string, string>> {
  if (depth > 8) return into
  for (const name of await readdir(dir)) {
    const absolute = join(dir, name)
    const path = base === '' ? name : `${base}/${name}`
    const info = await stat(absolute).catch(() => undefined)
    if (info?.isDirectory()) await walkEverything(absolute, into, path, depth + 1)
    else if (info?.isFile()) into.set(path, absolute)
  }
  return into
}

/**
 * Bug: indexes what it finds in the root by exact path (so `..` tricks find nothing), but keeps dotfiles and follows
 * symlinks that leave the root.
 */
export function walksEverythingStatic(): AdapterUnderTest {
  return {
    name: 'serves dotfiles and symlinks out',
    startStatic: async ({ root, prefix }) => {
      const index = await walkEverything(root)
      return listen((req, res) => {
        const rest = underPrefix(req, prefix)
        let path: string | undefined
        try {
          path = rest === undefined ? undefined : decodeURIComponent(rest)
        } catch {
          path = undefined
        }
        const file = path === undefined ? undefined : index.get(path)
        if (file === undefined || path === undefined) return fallback(res)
        const type = typeOf(path)
        readFile(file).then(
          (bytes) => send(req, res, bytes, { 'content-type': type }),
          () => fallback(res),
        )
      })
    },
  }
}

/**
 * Bug: picks the precompressed sibling by looking for `br` or `gzip` anywhere in Accept-Encoding, so q-values
 * (`gzip;q=0`, `br;q=0.5, gzip;q=0.8`), `*` and `identity;q=0` are ignored. Safe lookup (regular files, no
 * dotfiles), right headers otherwise.
 */
export function ignoresQValuesStatic(): AdapterUnderTest {
  return {
    name: 'ignores q-values',
    startStatic: async ({ root, prefix }) => {
      const files = new Map<string, Buffer>()
      const realRoot = await realpath(root)
      for (const found of await readdir(root, { recursive: true })) {
        const path = found.split(sep).join('/')
        if (path.split('/').some((segment) => segment.startsWith('.'))) continue
        // Regular files whose real path is inside the root: no symlink out is followed.
        const file = join(root, found)
        if ((await lstat(file)).isFile() && (await realpath(file)).startsWith(`${realRoot}${sep}`)) files.set(path, await readFile(file))
      }
      return listen((req, res) => {
        const rest = underPrefix(req, prefix)
        const bytes = rest === undefined ? undefined : files.get(rest)
        if (rest === undefined || bytes === undefined) return fallback(res)
        const type = typeOf(rest)
        const siblings = { br: files.get(`${rest}.br`), gzip: files.get(`${rest}.gz`) }
        if (siblings.br === undefined && siblings.gzip === undefined) return send(req, res, bytes, { 'content-type': type, 'accept-ranges': 'bytes' })
        const accept = (req.headers['accept-encoding'] ?? '').toLowerCase()
        const coding = accept.includes('br') && siblings.br ? 'br' : accept.includes('gzip') && siblings.gzip ? 'gzip' : undefined
        const headers = { 'content-type': type, vary: 'Accept-Encoding' }
        if (coding === undefined) send(req, res, bytes, { ...headers, 'accept-ranges': 'bytes' })
        else send(req, res, siblings[coding]!, { ...headers, 'content-encoding': coding })
      })
    },
  }
}

// ─── compressors ────────────────────────────────────────────────────────────────────────────────────────────────

export interface CompressorBugs {
  /** Picks `br` or `gzip` by substring, ignoring q-values. */
  readonly ignoresQValues?: boolean
  /** Leaves a strong ETag strong on a compressed body. */
  readonly keepsStrongEtag?: boolean
}

/** Accept-Encoding negotiation as the contract has it: q-values, `*`, `identity;q=0`; br wins a tie. */
function negotiate(header: string | undefined): { coding: 'br' | 'gzip' | undefined; identityRefused: boolean } {
  if (header === undefined) return { coding: undefined, identityRefused: false }
  const q = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
    if (name === '') continue
    const qParam = params.find((param) => param.startsWith('q='))
    q.set(name, qParam === undefined ? 1 : Number(qParam.slice(2)))
  }
  const of = (name: string): number => q.get(name) ?? q.get('*') ?? 0
  const br = of('br')
  const gzip = of('gzip')
  const identityRefused = (q.get('identity') ?? (q.has('*') ? q.get('*') : 1)) === 0
  const coding = br > 0 && br >= gzip ? 'br' : gzip > 0 ? 'gzip' : undefined
  return { coding, identityRefused }
}

/**
 * A small compressor over the suite's routes that gets the plain-HTTP rules right (q-values, threshold, no-transform,
 * event streams, encoded bodies, 204, HEAD, Vary, weak ETags) — with the bug that matters most: it never looks for a
 * sign of HTTPS, so it compresses behind a TLS-terminating proxy (`X-Forwarded-Proto: https`…). `bugs` adds others.
 */
export function compressesOnHttps(bugs: CompressorBugs = {}): AdapterUnderTest {
  const name = ['compresses on HTTPS', bugs.ignoresQValues === true ? 'ignores q-values' : '', bugs.keepsStrongEtag === true ? 'keeps strong ETags' : '']
    .filter(Boolean)
    .join(', ')
  return {
    name,
    startCompressed: ({ routes }) =>
      listen((req, res) => {
        const route: CompressedRoute | undefined = routes.find((candidate) => candidate.path === req.url)
        if (route === undefined) return fallback(res)
        const headers: Record<string, string> = Object.fromEntries(Object.entries(route.headers).map(([key, value]) => [key.toLowerCase(), value]))
        let body = Buffer.from(route.body)
        const type = (headers['content-type'] ?? '').split(';')[0]!.trim()
        const compressible = /^text\//.test(type) && type !== 'text/event-stream' ? true : type === 'application/json'
        const eligible = ![204, 205, 206, 304].includes(route.status) && !/no-transform/i.test(headers['cache-control'] ?? '') && compressible
        if (eligible) {
          headers.vary = headers.vary === undefined ? 'Accept-Encoding' : `${headers.vary}, Accept-Encoding`
          const accept = req.headers['accept-encoding']?.toLowerCase()
          const choice = bugs.ignoresQValues
            ? { coding: accept?.includes('br') ? ('br' as const) : accept?.includes('gzip') ? ('gzip' as const) : undefined, identityRefused: false }
            : negotiate(accept)
          const small = body.length < 1024 && !choice.identityRefused
          if (choice.coding !== undefined && !small && headers['content-encoding'] === undefined && req.method !== 'HEAD') {
            body = choice.coding === 'br' ? brotliCompressSync(body) : gzipSync(body)
            headers['content-encoding'] = choice.coding
            const etag = headers.etag
            if (etag !== undefined && !etag.startsWith('W/') && bugs.keepsStrongEtag !== true) headers.etag = `W/${etag}`
          }
        }
        res.writeHead(route.status, route.status === 204 ? headers : { ...headers, 'content-length': String(body.length) })
        res.end(req.method === 'HEAD' || route.status === 204 ? undefined : body)
      }),
  }
}

/** The q-value of each coding an `Accept-Encoding` names (no `*` expansion: enough for the delta rows). */
function qValues(header: string | undefined): Map<string, number> {
  const q = new Map<string, number>()
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
    const qParam = params.find((param) => param.startsWith('q='))
    if (name !== '' && !q.has(name)) q.set(name, qParam === undefined ? 1 : Number(qParam.slice(2)))
  }
  return q
}

/**
 * Bug: sends a delta to any request that names `dcb` or `dcz`, without looking at `Available-Dictionary` (a client
 * without the dictionary cannot decode it) or `Range`, and serves delta files by their own URL. Safe exact lookup,
 * q-values and sizes, `Vary` and `Use-As-Dictionary` right otherwise.
 */
export function sendsDeltasBlindlyStatic(): AdapterUnderTest {
  return {
    name: 'sends deltas blindly',
    startStatic: async ({ root, prefix }) => {
      const manifest = JSON.parse(await readFile(join(root, 'convoy-manifest.json'), 'utf8')) as {
        files: Record<string, { served: string; encodings?: { br?: { path: string } }; dictionary?: { match: string }; deltas?: Record<string, { dcb?: { path: string }; dcz?: { path: string } }> }>
      }
      const withDeltas = new Map(Object.values(manifest.files).filter((entry) => entry.deltas !== undefined).map((entry) => [entry.served, entry]))
      return listen((req, res) => {
        const rest = underPrefix(req, prefix)
        if (rest === undefined || rest.split('/').some((segment) => segment.startsWith('.') || segment === '')) return fallback(res)
        const entry = withDeltas.get(rest)
        const type = typeOf(rest)
        if (entry === undefined) {
          readFile(join(root, rest)).then(
            (bytes) => send(req, res, bytes, { 'content-type': type }),
            () => fallback(res),
          )
          return
        }
        const q = qValues(req.headers['accept-encoding'])
        const deltas = Object.values(entry.deltas ?? {})[0] ?? {}
        const options = [
          { coding: 'dcz', path: deltas.dcz?.path },
          { coding: 'dcb', path: deltas.dcb?.path },
          { coding: 'br', path: entry.encodings?.br?.path },
        ]
        // `*` covers br, never a delta coding.
        const weight = (coding: string): number => q.get(coding) ?? (coding === 'br' ? q.get('*') : undefined) ?? 0
        // Highest q, then the order above (smallest first in the fixture).
        const acceptable = options.filter((option) => option.path !== undefined && weight(option.coding) > 0).sort((a, b) => weight(b.coding) - weight(a.coding))
        const chosen = acceptable[0]
        const headers = {
          'content-type': type,
          vary: 'Accept-Encoding, Available-Dictionary',
          'use-as-dictionary': `match="${(entry.dictionary?.match ?? '').split('/').pop()!}", match-dest=("script")`,
        }
        readFile(join(root, chosen?.path ?? rest)).then(
          (bytes) => send(req, res, bytes, chosen === undefined ? { ...headers, 'accept-ranges': 'bytes' } : { ...headers, 'content-encoding': chosen.coding }),
          () => fallback(res),
        )
      })
    },
  }
}
