export { minifyJs } from './js.js'
export { minifyCss, DEFAULT_CSS_TARGETS } from './css.js'
export { isMinifiedName, minifiedSibling } from './names.js'
export { engineVersions } from './versions.js'
export { assertEnginesInstalled } from './engines/index.js'
export type {
  JsEngineName,
  CssEngineName,
  JsSourceMapOptions,
  MinifyJsOptions,
  MinifyJsResult,
  MinifyCssOptions,
  MinifyCssResult,
  CssTargets,
} from './types.js'
