// The light entry: names, storage layout, HTML tags, the request-time builder, the template-scanner contract and the
// engine-independent half of the template tags. It loads no postcss: the builder imports the joiner
// (`@convoy/carpool/build`) and the compressors on its first build, so a web process pays for them only if it ever
// builds a bundle.
export {
  carpoolName,
  carpoolFiles,
  carpoolRecordPath,
  isCarpoolKind,
  isCarpoolPath,
  parseCarpoolPath,
  parseCarpoolRecordPath,
  CARPOOL_DIRECTORY,
  CARPOOL_FORMAT,
  type CarpoolKind,
  type CarpoolNameMember,
  type CarpoolPath,
} from './name.js'
export { isTemplateScanner, type CarpoolBlock, type TemplateScanner } from './template-scanner.js'
export {
  acceptEncodingFromContext,
  createTemplateTagRuntime,
  carpoolMembers,
  carpoolBlockMessages,
  describeTemplateValue,
  type ConvoyRenderer,
  type ConvoyLookupOptions,
  type ConvoyTemplateContext,
  type TemplateTagOptions,
  type TemplateTagSettings,
  type TemplateTagRuntime,
  type CarpoolBlockSpelling,
  type CarpoolBlockMessages,
} from './template-tags.js'
export {
  createCarpoolHtml,
  escapeHtml,
  DEFAULT_CSS_TAG,
  DEFAULT_JS_TAG,
  DEFAULT_START_COMMENT,
  DEFAULT_END_COMMENT,
  type CarpoolHtml,
  type CarpoolHtmlOptions,
  type CarpoolTag,
  type CarpoolTagContext,
  type CarpoolTagTemplate,
  type CarpoolCommentContext,
  type CarpoolCommentTemplate,
} from './html.js'
export {
  createCarpoolBuilder,
  carpoolRecord,
  type CarpoolBuilder,
  type CarpoolStorage,
  type CarpoolBuilderOptions,
  type CarpoolRequest,
  type CarpoolStatus,
  type BuiltCarpool,
} from './builder.js'
