// What an adapter hands the suite, and the running servers the checks talk to.
import { createFixture, type Fixture } from './fixture.js'
import { COMPRESSED_ROUTES } from './routes.js'

/** What `startStatic` is given. */
export interface StaticServerOptions {
  /** A collected tree with `convoy-manifest.json` at its top, made by the suite (see `createFixture`). */
  readonly root: string
  /** The URL prefix to serve `root` under: `'/static/'`. */
  readonly prefix: string
}

/** One route of the compressed server: GET and HEAD of `path` answer `status` with exactly these headers and body. */
export interface CompressedRoute {
  readonly path: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What `startCompressed` is given. */
export interface CompressedServerOptions {
  readonly routes: readonly CompressedRoute[]
}

/** A server an adapter started for the suite. */
export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:41234` (no trailing slash, no path). */
  readonly url: string
  /**
   * Stops it (closing open connections) and whatever the adapter started with it (a manifest watch…); the suite calls
   * it once, after the last check, and removes the fixture afterwards.
   */
  readonly close: () => Promise<void> | void
}

/**
 * The adapter under test: a name and how to start each kind of server it offers. Leave a hook out when the adapter
 * has no such part; its checks are then reported as skipped.
 */
export interface AdapterUnderTest {
  /** Shown in the test names, e.g. `'@convoy/fastify'`. */
  readonly name: string
  /**
   * Serves `root` under the URL prefix `prefix` with the adapter's static serving, default options, fallthrough on.
   * Any request the adapter does not answer must reach the framework's own not-found handler, answering 404 with
   * the body `fallback` (text/plain).
   */
  readonly startStatic?: (options: StaticServerOptions) => Promise<RunningServer>
  /**
   * A plain-HTTP server on 127.0.0.1 whose routes answer through the adapter's BREACH-safe compression, default
   * options: for each route, GET and HEAD of its `path` answer its `status` with exactly its headers and body (the
   * framework's normal reply: set the headers, send the string).
   */
  readonly startCompressed?: (options: CompressedServerOptions) => Promise<RunningServer>
}

/** What the static checks talk to: the adapter's server and the fixture it serves. */
export interface StaticTarget {
  readonly url: string
  /** The URL prefix the fixture is served under (`'/static/'`). */
  readonly prefix: string
  readonly fixture: Fixture
}

/** What the compression checks talk to: the adapter's server answering {@link COMPRESSED_ROUTES}. */
export interface CompressedTarget {
  readonly url: string
}

/** One check: registered as `it(title)` inside `describe(group)`; `run` rejects when the adapter fails it. */
export interface AdapterCheck<Target> {
  readonly group: string
  readonly title: string
  readonly run: (target: Target) => Promise<void>
}

/** The URL prefix the suite serves the fixture under. */
export const STATIC_PREFIX = '/static/'

const PACKAGE = '@convoy/adapter-test-suite'

/**
 * Builds the fixture in a temporary folder and starts the adapter's static server on it. `close()` stops the server
 * and removes the fixture. For running a check by hand: `await check.run(target)`.
 */
export async function startStaticTarget(adapter: AdapterUnderTest): Promise<StaticTarget & { close(): Promise<void> }> {
  const start = adapter.startStatic
  if (start === undefined) throw new TypeError(`${PACKAGE}: ${adapter.name} has no startStatic`)
  const fixture = await createFixture()
  let server: RunningServer
  try {
    server = await checkServer(await start({ root: fixture.root, prefix: STATIC_PREFIX }), adapter.name, 'startStatic')
  } catch (error) {
    await fixture.cleanup()
    throw error
  }
  return {
    url: server.url,
    prefix: STATIC_PREFIX,
    fixture,
    close: async () => {
      try {
        await server.close()
      } finally {
        await fixture.cleanup()
      }
    },
  }
}

/** Starts the adapter's compressed server on `routes` (default: the suite's). `close()` stops it. */
export async function startCompressedTarget(adapter: AdapterUnderTest, routes: readonly CompressedRoute[] = COMPRESSED_ROUTES): Promise<CompressedTarget & { close(): Promise<void> }> {
  const start = adapter.startCompressed
  if (start === undefined) throw new TypeError(`${PACKAGE}: ${adapter.name} has no startCompressed`)
  const server = await checkServer(await start({ routes }), adapter.name, 'startCompressed')
  return { url: server.url, close: async () => server.close() }
}

/** `server` as the suite uses it; an invalid one is closed (when it can be) and refused. */
async function checkServer(server: RunningServer, name: string, hook: string): Promise<RunningServer> {
  const usable = typeof server === 'object' && server !== null
  const url = usable && typeof server.url === 'string' ? server.url.replace(/\/$/, '') : undefined
  if (url !== undefined && /^http:\/\/[^/]+$/.test(url) && typeof server.close === 'function') return { url, close: () => server.close() }
  if (usable && typeof server.close === 'function') await Promise.resolve(server.close()).catch(() => undefined)
  throw new TypeError(`${PACKAGE}: ${name}'s ${hook}() must resolve to { url: 'http://127.0.0.1:PORT', close }, got ${describe(server)}`)
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return 'an object'
  }
}
