// Builders and error catchers shared by the tests (not exported from the package).
import { createHash } from 'node:crypto'
import { isConvoyError, type ConvoyError } from '@convoy/errors'
import { createManifest } from './manifest.js'
import type { Manifest, ManifestCarpool, ManifestEntry } from './types.js'

const hex = (text: string, length = 12): string => createHash('md5').update(text).digest('hex').slice(0, length)
const sri = (text: string): string => `sha384-${createHash('sha384').update(text).digest('base64')}`
/** A dictionary hash as collect records it: the SHA-256 of the served bytes, base64. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64')

/** Inserts a hash before the last extension, as `@convoy/hash` does. */
function withHash(path: string, hash: string, infix = ''): string {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  return dot > slash + 1 ? `${path.slice(0, dot)}.${hash}${infix}${path.slice(dot)}` : `${path}.${hash}`
}

/**
 * A realistic entry for `logicalPath` whose content is `content`: minified, gzip and brotli siblings, a map for JS;
 * with `deltasFrom`, a dictionary and deltas against those earlier contents, as `compress.deltas` makes them.
 */
export function entryFor(logicalPath: string, content = 'v1', options: { minified?: boolean; deltasFrom?: readonly string[] } = {}): ManifestEntry {
  const fingerprinted = withHash(logicalPath, hex(`${logicalPath}:${content}`))
  const minified = options.minified ?? /\.(?:css|js|mjs)$/.test(logicalPath)
  const served = minified ? withHash(logicalPath, hex(`${logicalPath}:${content}:min`), '.cmin') : fingerprinted
  return {
    served,
    size: 1000 + content.length,
    integrity: sri(served),
    fingerprinted,
    sourceHash: hex(`${logicalPath}:${content}`, 32),
    contentType: logicalPath.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
    ...(minified ? { encodings: { gzip: { path: `${served}.gz`, size: 400 }, br: { path: `${served}.br`, size: 350 } } } : {}),
    ...(logicalPath.endsWith('.js') ? { map: `${served}.map` } : {}),
    ...(options.deltasFrom === undefined ? {} : deltasOf(logicalPath, served, options.deltasFrom)),
  }
}

function deltasOf(logicalPath: string, served: string, earlier: readonly string[]): Pick<ManifestEntry, 'dictionary' | 'deltas'> {
  const hashes = earlier.map((content) => sha256(entryFor(logicalPath, content).served)).sort()
  const deltas = Object.fromEntries(
    hashes.map((hash, i) => {
      const name = Buffer.from(hash, 'base64').toString('hex').slice(0, 16)
      return [hash, { ...(i % 2 === 0 ? { dcb: { path: `${served}.${name}.dcb`, size: 60 + i } } : {}), dcz: { path: `${served}.${name}.dcz`, size: 70 + i } }]
    }),
  )
  return { dictionary: { hash: sha256(served), match: served.replace(/\.[0-9a-f]{12}\./, '.*.') }, deltas }
}

/** A carpool of CSS members as `collect` would record it. */
export function carpoolOf(members: readonly string[], content = 'v1'): ManifestCarpool {
  const served = `CARPOOL/css/${hex(`${members.join('\n')}:${content}`)}.cmin.css`
  return {
    kind: 'css',
    members,
    served,
    size: 2048,
    integrity: sri(served),
    contentType: 'text/css; charset=utf-8',
    encodings: { gzip: { path: `${served}.gz`, size: 700 } },
  }
}

/** A manifest of logical path → content version (`'v1'`, `'v2'`…). */
export function manifestOf(versions: Readonly<Record<string, string>>, carpools: Readonly<Record<string, ManifestCarpool>> = {}): Manifest {
  const files = Object.fromEntries(Object.entries(versions).map(([path, content]) => [path, entryFor(path, content)]))
  return createManifest({ files, carpools, baseUrl: '/static/', hash: { algorithm: 'md5', length: 12 } })
}

/** The ConvoyError `run` throws; any other error is rethrown, and throwing nothing fails the test. */
export function caught(run: () => unknown): ConvoyError {
  try {
    run()
  } catch (error) {
    if (isConvoyError(error)) return error
    throw error
  }
  throw new Error('expected a ConvoyError')
}

/** The ConvoyError `promise` rejects with; resolving, or rejecting with anything else, fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ConvoyError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (!isConvoyError(error)) throw new Error(`expected a ConvoyError, got ${String(error)}`)
  return error
}
