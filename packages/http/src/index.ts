export { isHttpsRequest, hasHttpsHeader, type HttpsDetectableRequest, type HeaderReader } from './is-https-request.js'
export { negotiateEncoding, HTTP_ENCODINGS, type HttpEncoding, type EncodingChoice } from './accept-encoding.js'
export {
  resolveCompressionOptions,
  checkAllowOnHttps,
  planCompression,
  isEligibleForCompression,
  decideCompression,
  weakenEtag,
  type CompressionOptions,
  type CompressionPolicy,
  type CompressionRequest,
  type CompressionPlan,
  type CompressionResponse,
  type CompressionDecision,
} from './compression.js'
export { requestPath, normalizePrefix, mergeVary, NOT_OURS, MALFORMED } from './request-path.js'
export { parseAvailableDictionary, useAsDictionaryHeader, dictionaryMatchPattern, DICTIONARY_VARY } from './dictionary.js'
export {
  bindConvoyToRequest,
  checkConvoyResolver,
  type ConvoyResolver,
  type RequestConvoy,
  type ConvoyLookupOptions,
  type CarpoolKind,
} from './request-convoy.js'
