import { createRequire } from 'node:module'
import { ConvoyError } from '@convoy/errors'

/** Imports a module; injectable so tests can simulate a missing optional engine without uninstalling it. */
export type ModuleLoader<T> = () => Promise<T>

/**
 * Finds a package without loading it (returns where it is, throws `ERR_MODULE_NOT_FOUND` when it is not installed);
 * injectable like {@link ModuleLoader}.
 */
export type ModuleResolver = () => string

/** An optional peer dependency, loaded on first call. */
export interface LazyModule<T> {
  (): Promise<T>
  /** Throws the `ERR_CONVOY_CONFIG` that says how to install the package when it cannot be found; loads nothing. */
  readonly assertInstalled: () => void
}

/**
 * Loads an optional peer dependency on first use. A missing package becomes an `ERR_CONVOY_CONFIG` that says
 * how to install it; the loaded module is memoized, a failed load is retried next time (the user may install it).
 * `assertInstalled()` finds the package without loading it, so a run can fail before doing any work (resolving
 * costs well under a millisecond; loading `@swc/core` costs about 50).
 */
export function lazyModule<T>(packageName: string, engine: string, kind: 'JS' | 'CSS', load: ModuleLoader<T>, resolve: ModuleResolver = () => resolvePackage(packageName)): LazyModule<T> {
  let loaded: Promise<T> | undefined
  const lazy = (): Promise<T> => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined
      throw missingEngineError(packageName, engine, kind, error)
    })
    return loaded
  }
  const assertInstalled = (): void => {
    try {
      resolve()
    } catch (error) {
      throw missingEngineError(packageName, engine, kind, error)
    }
  }
  return Object.assign(lazy, { assertInstalled })
}

/**
 * Where `import(name)` from this package would find `name`. `import.meta.resolve` goes through the same resolver and
 * module hooks as `import()`; where it is missing (some test runners), `require.resolve` finds the same package.
 */
function resolvePackage(name: string): string {
  return typeof import.meta.resolve === 'function' ? import.meta.resolve(name) : createRequire(import.meta.url).resolve(name)
}

function missingEngineError(packageName: string, engine: string, kind: string, cause: unknown): ConvoyError {
  const code = (cause as { code?: unknown } | null)?.code
  const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
  const hint = `npm install -D ${packageName}`
  const message = missing
    ? `@convoy/minify: the '${engine}' ${kind} engine needs ${packageName}: ${hint}`
    : `@convoy/minify: the '${engine}' ${kind} engine could not load ${packageName} (${cause instanceof Error ? cause.message : String(cause)}); reinstall it: ${hint}`
  return new ConvoyError('ERR_CONVOY_CONFIG', message, { cause })
}

/** CommonJS packages imported from ESM expose their API as named exports or only on `default`, depending on the loader. */
export function interop<T extends object>(module: T | { default: T }): T {
  return 'default' in module && typeof module.default === 'object' && module.default !== null ? module.default : (module as T)
}
