import { basename } from 'node:path'
import { isConvoyError } from '@convoy/errors'
import { assertEnginesInstalled, engineVersions, isMinifiedName, minifiedSibling, type CssEngineName, type JsEngineName } from '@convoy/minify'
import { addOutput, outputOf, type Asset } from '../asset.js'
import type { Stage, StageContext } from '../stage.js'
import type { TaskRunner } from '../../work/runner.js'

export interface MinifyStageOptions {
  /** JS engine, or `false` for no JS minification. */
  readonly js: JsEngineName | false
  /** CSS engine, or `false` for no CSS minification. */
  readonly css: CssEngineName | false
  /** Use a shipped `foo.min.css` (references rewritten) as the minified form of `foo.css`. */
  readonly useExistingMin: boolean
  readonly runner: TaskRunner
}

const JS = /\.(?:m?js|cjs)$/i
const CSS = /\.css$/i
/** Written by the minifier where the map's name goes, then replaced once the name is known. */
const MAP_PLACEHOLDER = 'convoy-source-map-placeholder.map'

/**
 * Minifies JS and CSS into `<stem>.<h>.cmin.<ext>`, with a source map `….cmin.js.map` for JS pointing at the
 * fingerprinted original. A file whose code does not parse is a warning with `file:line:col` and is served unminified.
 *
 * For JS with a source map, `<h>` covers the minified code before its last line (`//# sourceMappingURL=<name>.map`),
 * which is itself derived from `<h>`: the name still changes whenever any byte of the file does.
 */
export function createMinifyStage(options: MinifyStageOptions): Stage {
  const versions = engineVersions()
  const signature = { js: options.js, css: options.css, versions }
  const engineOf = (asset: Asset): { kind: 'js'; engine: JsEngineName } | { kind: 'css'; engine: CssEngineName } | undefined => {
    if (isMinifiedName(asset.logicalPath)) return undefined
    if (options.js !== false && JS.test(asset.logicalPath)) return { kind: 'js', engine: options.js }
    if (options.css !== false && CSS.test(asset.logicalPath)) return { kind: 'css', engine: options.css }
    return undefined
  }
  const shippedMinOf = (asset: Asset, context: StageContext): string | undefined => {
    if (!options.useExistingMin) return undefined
    const sibling = minifiedSibling(asset.logicalPath)
    return sibling !== asset.logicalPath && context.has(sibling) ? sibling : undefined
  }

  return {
    name: 'minify',
    phase: 'output',
    signature: JSON.stringify(signature),
    // A file not held in memory (above the stream threshold, hashed and copied as a stream) is served as it is: a
    // minifier needs the whole text, and its parse tree many times that.
    applies: (asset) => !asset.binary && asset.contents !== null && engineOf(asset) !== undefined,
    dependencies: (asset, context) => {
      const sibling = shippedMinOf(asset, context)
      return sibling === undefined ? [] : [sibling]
    },
    servedMarker: 'cmin',
    // `minify: { js: 'swc' }` without @swc/core is a config error (exit 2) before any work, not a warning per file.
    prepare: () => assertEnginesInstalled({ js: options.js, css: options.css }),
    async run(asset, context) {
      const engine = engineOf(asset)!
      const original = asset.contents!
      const sibling = shippedMinOf(asset, context)
      const shipped = sibling === undefined ? undefined : context.fingerprintedContentsOf(sibling)
      if (shipped !== undefined) {
        // The shipped .min file, with its own references already rewritten, stands in for our minifier.
        addOutput(asset, { role: 'served', name: context.outputName(asset, shipped, 'cmin'), bytes: shipped })
        return
      }
      const fingerprinted = outputOf(asset, 'fingerprinted')!.name
      const source = basename(fingerprinted)
      let parts: readonly Uint8Array[]
      try {
        parts = await context.cached({
          // When the reference stage changed nothing, the source hash already identifies these bytes: no second pass.
          input: asset.contents === asset.original ? { hash: asset.sourceHash } : { bytes: original },
          key: { engine, source },
          compute: () => minify(engine, original, asset, source),
          encode: (result) => result,
          decode: (cached) => (cached.length === 0 ? undefined : cached),
        })
      } catch (error) {
        // An engine that cannot load (a broken install) fails the run; only the file's own problems are warnings.
        if (!isConvoyError(error) || error.code === 'ERR_CONVOY_CONFIG') throw error
        context.warn({ kind: 'minify-error', message: `not minified, served as it is: ${error.message.replace(/^@convoy\/minify: /, '')}`, file: asset.sourceFile, ...(error.line === undefined ? {} : { line: error.line }), ...(error.column === undefined ? {} : { column: error.column }) })
        // In a reference cycle the served name was promised already: it must exist, holding the unminified bytes.
        const promised = context.promisedServedName(asset)
        if (promised !== undefined) addOutput(asset, { role: 'served', name: promised, bytes: original })
        return
      }
      const [code, map] = parts as [Uint8Array, Uint8Array?]
      const path = context.outputName(asset, code, 'cmin')
      // An empty file minifies to nothing, and a map of nothing helps nobody.
      if (map === undefined || code.byteLength === 0) {
        addOutput(asset, { role: 'served', name: path, bytes: code })
        return
      }
      const mapPath = `${path}.map`
      const withComment = Buffer.concat([code, Buffer.from(`\n//# sourceMappingURL=${encodeURIComponent(basename(mapPath))}\n`)])
      const mapJson = JSON.parse(Buffer.from(map).toString('utf8')) as Record<string, unknown>
      mapJson.file = basename(path)
      addOutput(asset, { role: 'served', name: path, bytes: withComment })
      addOutput(asset, { role: 'map', name: mapPath, bytes: Buffer.from(JSON.stringify(mapJson)) })
    },
  }

  /**
   * Runs the engine; JS comes back without its sourceMappingURL line, which depends on the name. The code goes as
   * bytes, decoded by the worker: no string copy of it waits in the runner's queue.
   */
  async function minify(engine: NonNullable<ReturnType<typeof engineOf>>, code: Uint8Array, asset: Asset, source: string): Promise<readonly Uint8Array[]> {
    if (engine.kind === 'css') {
      const result = await options.runner.run({ kind: 'minify-css', code, options: { filename: asset.logicalPath, engine: engine.engine } })
      if (result.kind !== 'minified') throw new Error('unexpected task result')
      return [Buffer.from(result.code)]
    }
    const result = await options.runner.run({
      kind: 'minify-js',
      code,
      options: { filename: asset.logicalPath, engine: engine.engine, sourceMap: { source, url: MAP_PLACEHOLDER } },
    })
    if (result.kind !== 'minified' || result.map === undefined) throw new Error('unexpected task result')
    const comment = result.code.lastIndexOf('//# sourceMappingURL=')
    const body = (comment === -1 ? result.code : result.code.slice(0, comment)).trimEnd()
    return [Buffer.from(body), Buffer.from(result.map)]
  }
}
