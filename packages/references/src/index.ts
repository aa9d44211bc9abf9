export { findCssReferences, type FindCssReferencesOptions } from './css.js'
export { findJsReferences, type FindJsReferencesOptions } from './js.js'
export { replaceReferences } from './replace.js'
export { resolveReference, relativeUrl, type ResolveReferenceOptions } from './resolve.js'
export { rebaseCssUrls } from './rebase.js'
export type {
  Reference,
  ReferenceType,
  ReferenceQuote,
  ReferenceReplacement,
  ResolvedReference,
  SkipReason,
} from './types.js'
