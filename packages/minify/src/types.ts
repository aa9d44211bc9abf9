/** The JS engines: terser (default, dependency) or swc (optional peer dependency `@swc/core`). */
export type JsEngineName = 'terser' | 'swc'

/** The CSS engines: clean-css (default, dependency) or lightningcss (optional peer dependency `lightningcss`). */
export type CssEngineName = 'clean-css' | 'lightningcss'

/** Asks for a source map of the minified JS. Names are written as given: make them relative to the map's location. */
export interface JsSourceMapOptions {
  /** The original file the map points at (its `sources`), e.g. `'app.3f2a9c1d4b5e.js'`. */
  readonly source: string
  /** The map's own URL, written as `//# sourceMappingURL=<url>` at the end of the code, e.g. `'app.3f2a9c1d4b5e.cmin.js.map'`. */
  readonly url: string
  /** The map's `file`, the minified file's name. Default: the last segment of `url` without `.map`. */
  readonly file?: string | undefined
}

export interface MinifyJsOptions {
  /** The file's name, used in error messages only (e.g. the logical path `js/app.js`). */
  readonly filename: string
  /** Default `'terser'`. */
  readonly engine?: JsEngineName | undefined
  /** Produce a source map. Default: none. */
  readonly sourceMap?: JsSourceMapOptions | undefined
  /** Parse as an ES module (`import`/`export`, strict mode, top-level names mangled). Default: `true` for `.mjs`, else `false`. */
  readonly module?: boolean | undefined
}

export interface MinifyJsResult {
  readonly code: string
  /** The source map as JSON, present exactly when `sourceMap` was asked for. */
  readonly map?: string
}

/** lightningcss browser targets: `{ safari: (14 << 16) }`, as returned by lightningcss' `browserslistToTargets()`. */
export type CssTargets = Readonly<Record<string, number>>

export interface MinifyCssOptions {
  /** The file's name, used in error messages only (e.g. the logical path `css/base.css`). */
  readonly filename: string
  /** Default `'clean-css'`. */
  readonly engine?: CssEngineName | undefined
  /** clean-css optimization level: 1 (safe, default) or 2 (also merges and reorders rules). Ignored by lightningcss. */
  readonly level?: 1 | 2 | undefined
  /** lightningcss browser targets. Default {@link DEFAULT_CSS_TARGETS}. Ignored by clean-css. */
  readonly targets?: CssTargets | undefined
}

export interface MinifyCssResult {
  readonly code: string
  /** Non-fatal remarks of the engine (e.g. lightningcss' unknown at-rules, kept as written), prefixed with `file:line:col`. */
  readonly warnings: readonly string[]
}

/** One minifier behind one small shape, so adding an engine is one file in `engines/`. */
export interface Engine<Options, Result> {
  readonly name: string
  minify(code: string, options: Options): Promise<Result>
  /** For engines that are optional peer dependencies: throws `ERR_CONVOY_CONFIG` with the install command when missing. */
  assertInstalled?(): void
}

/** What a JS engine receives: options with the defaults applied. */
export interface JsEngineOptions {
  readonly filename: string
  readonly module: boolean
  readonly sourceMap: { readonly source: string; readonly url: string; readonly file: string } | undefined
}

/** What a CSS engine receives: options with the defaults applied. */
export interface CssEngineOptions {
  readonly filename: string
  readonly level: 1 | 2
  readonly targets: CssTargets
}

export type JsEngine = Engine<JsEngineOptions, MinifyJsResult>
export type CssEngine = Engine<CssEngineOptions, MinifyCssResult>
