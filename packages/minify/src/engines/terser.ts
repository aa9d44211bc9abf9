import { engineError, syntaxError } from '../errors.js'
import type { JsEngine } from '../types.js'

/** terser's parse errors carry a 1-based line and a 0-based column. */
interface TerserParseError {
  readonly message: string
  readonly line: number
  readonly col: number
}

function isParseError(error: unknown): error is TerserParseError {
  const candidate = error as Partial<TerserParseError> | null
  return typeof candidate?.line === 'number' && typeof candidate.col === 'number' && typeof candidate.message === 'string'
}

/** terser: compress + mangle, license comments (`/*!`, `@license`, `@preserve`, `@copyright`, `@cc_on`) kept. */
export const terserEngine: JsEngine = {
  name: 'terser',
  async minify(code, { filename, module, sourceMap }) {
    // Loaded on first use: a run whose outputs all come from the cache never pays for parsing terser.
    const { minify } = await import('terser')
    try {
      const result = await minify(
        // The input's key becomes the map's `sources` entry.
        { [sourceMap?.source ?? filename]: code },
        {
          module,
          compress: {},
          mangle: true,
          format: { comments: 'some' },
          sourceMap: sourceMap ? { filename: sourceMap.file, url: sourceMap.url } : false,
        },
      )
      const output = result.code ?? ''
      if (!sourceMap) return { code: output }
      const map = typeof result.map === 'string' ? result.map : JSON.stringify(result.map)
      return { code: output, map }
    } catch (error) {
      if (isParseError(error)) throw syntaxError(filename, error.message, { line: error.line, column: error.col + 1 }, error)
      throw engineError(filename, 'terser', error)
    }
  },
}
