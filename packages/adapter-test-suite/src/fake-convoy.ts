// A stand-in for the runtime in a template engine's own unit tests (its parser, its errors, its options), where the
// template suite's real runtime is more than the test needs. TEST-ONLY: it is no Convoy runtime.
import type { TemplateCarpoolKind, TemplateLookupOptions, TemplateRenderer } from './template-engine.js'

/** One call the tags made: the method and its arguments, exactly as passed (no options argument when none). */
export interface FakeConvoyCall {
  readonly method: 'url' | 'carpool'
  readonly args: readonly unknown[]
}

/** What {@link createFakeConvoy} returns: a `TemplateRenderer` that records its calls. */
export interface FakeConvoy extends TemplateRenderer {
  /** Logical path → served path; change it to "reload". */
  readonly files: Record<string, string>
  /** Every call, in order. */
  readonly calls: FakeConvoyCall[]
}

/** Options of {@link createFakeConvoy}. */
export interface FakeConvoyOptions {
  /**
   * The error an unknown logical path throws. Default: an `Error` with `code: 'ERR_CONVOY_MISSING_ASSET'`; pass
   * `(path) => new ConvoyError('ERR_CONVOY_MISSING_ASSET', …)` (`@convoy/errors`) where the engine tells a
   * `ConvoyError` from other errors, as the real runtime throws one.
   */
  readonly missingAsset?: (path: string) => Error
}

/**
 * A TEST-ONLY stand-in for the object `createConvoy()` returns: `url(path)` is `/static/<files[path]>`, with `.gz`
 * added whenever `acceptEncoding` mentions gzip; `carpool()` renders `<!-- carpool <kind> -->`, one tag per member,
 * `<!-- /carpool -->`; an unknown path throws `missingAsset(path)`. Every call is recorded.
 *
 * @example
 * const convoy = createFakeConvoy({ 'css/base.css': 'css/base.111.cmin.css' })
 * addConvoyExtension(env, convoy).renderString('{% convoy "css/base.css" %}', {}) // '/static/css/base.111.cmin.css'
 * convoy.calls // [{ method: 'url', args: ['css/base.css'] }]
 */
export function createFakeConvoy(files: Record<string, string> = { 'css/base.css': 'css/base.111.cmin.css' }, options: FakeConvoyOptions = {}): FakeConvoy {
  const missingAsset = options.missingAsset ?? ((path: string) => Object.assign(new Error(`@convoy/core: "${path}" is not in the manifest (fake)`), { code: 'ERR_CONVOY_MISSING_ASSET' }))
  const calls: FakeConvoyCall[] = []
  const resolve = (path: string, options?: TemplateLookupOptions): string => {
    const served = files[path]
    if (served === undefined) throw missingAsset(path)
    return `/static/${served}${options?.acceptEncoding?.includes('gzip') === true ? '.gz' : ''}`
  }
  return {
    files,
    calls,
    url(path: string, options?: TemplateLookupOptions): string {
      calls.push({ method: 'url', args: options === undefined ? [path] : [path, options] })
      return resolve(path, options)
    },
    carpool(kind: TemplateCarpoolKind, paths: readonly string[], options?: TemplateLookupOptions): string {
      calls.push({ method: 'carpool', args: options === undefined ? [kind, [...paths]] : [kind, [...paths], options] })
      const tags = paths.map((path) => (kind === 'css' ? `<link rel="stylesheet" href="${resolve(path, options)}">` : `<script src="${resolve(path, options)}"></script>`))
      return `<!-- carpool ${kind} -->${tags.join('')}<!-- /carpool -->`
    },
  }
}
