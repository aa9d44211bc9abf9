import type { CompressConfig, MinifyConfig } from '../config.js'
import { createCompressStep } from '../steps/compress.js'
import { createMinifyStep } from '../steps/minify.js'
import { createReferencesStep } from '../steps/references.js'
import type { TaskCache } from '../work/cache.js'
import type { TaskRunner } from '../work/runner.js'
import type { Step } from './step.js'

export interface DefaultStepsOptions {
  /** `false` for none; `true` for terser + clean-css; or the engines. */
  readonly minify: boolean | MinifyConfig
  /** `false` for none; `true` for gzip 9 + brotli 11; or the levels. */
  readonly compress: boolean | CompressConfig
  readonly useExistingMin: boolean
  readonly rewriteJsModules: boolean
  readonly baseUrl: string
  /** Where minification and compression run (`createTaskRunner()`: worker threads). */
  readonly runner: TaskRunner
  /** Persistent cache of their outputs (`createDiskCache(dir)` or `NO_CACHE`). */
  readonly cache: TaskCache
}

/** The standard steps of `convoy collect`, in order: reference rewriting, minification, precompression. */
export function createDefaultSteps(options: DefaultStepsOptions): Step[] {
  const minify = options.minify === false ? { js: false as const, css: false as const } : options.minify === true ? {} : options.minify
  const compress = options.compress === false ? { gzip: false as const, brotli: false as const } : options.compress === true ? {} : options.compress
  return [
    createReferencesStep({ baseUrl: options.baseUrl, rewriteJsModules: options.rewriteJsModules, cache: options.cache }),
    createMinifyStep({ js: minify.js ?? 'terser', css: minify.css ?? 'clean-css', useExistingMin: options.useExistingMin, runner: options.runner, cache: options.cache }),
    createCompressStep({ gzip: compress.gzip ?? 9, brotli: compress.brotli ?? 11, runner: options.runner, cache: options.cache }),
  ]
}
