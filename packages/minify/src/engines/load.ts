import { ConvoyError } from '@convoy/errors'

/** Imports a module; injectable so tests can simulate a missing optional engine without uninstalling it. */
export type ModuleLoader<T> = () => Promise<T>

/**
 * Loads an optional peer dependency on first use. A missing package becomes an `ERR_CONVOY_CONFIG` that says
 * how to install it; the loaded module is memoized, a failed load is retried next time (the user may install it).
 */
export function lazyModule<T>(packageName: string, engine: string, kind: 'JS' | 'CSS', load: ModuleLoader<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined
      throw missingEngineError(packageName, engine, kind, error)
    })
    return loaded
  }
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
