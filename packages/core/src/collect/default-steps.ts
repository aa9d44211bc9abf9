import type { CompressConfig, MinifyConfig } from '../config.js'
import { createReferencesStep } from '../steps/references.js'
import type { Step } from './step.js'

export interface DefaultStepsOptions {
  readonly minify: boolean | MinifyConfig
  readonly compress: boolean | CompressConfig
  readonly useExistingMin: boolean
  readonly rewriteJsModules: boolean
  readonly baseUrl: string
}

/** The standard steps of `convoy collect`, in order: reference rewriting, then minification and precompression. */
export function createDefaultSteps(options: DefaultStepsOptions): Step[] {
  return [createReferencesStep({ baseUrl: options.baseUrl, rewriteJsModules: options.rewriteJsModules })]
}
