// Names, storage layout and the template-scanner contract, also importable alone from `@convoy/carpool/layout`.
export * from './layout.js'
export { buildCarpool, type CarpoolMember } from './build.js'
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
