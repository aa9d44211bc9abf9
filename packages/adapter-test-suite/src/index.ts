export { runAdapterTestSuite, type AdapterTestSuiteOptions } from './run-adapter-test-suite.js'
export {
  startStaticTarget,
  startCompressedTarget,
  STATIC_PREFIX,
  type AdapterUnderTest,
  type AdapterCheck,
  type StaticServerOptions,
  type CompressedServerOptions,
  type CompressedRoute,
  type RunningServer,
  type StaticTarget,
  type CompressedTarget,
} from './adapter.js'
export {
  STATIC_CHECKS,
  PRECOMPRESSED_NEGOTIATION_CASES,
  IMMUTABLE_CACHE_CONTROL,
  FALLBACK_BODY,
  DELTA_NEGOTIATION_CASES,
  hostileUnderPrefix,
  type PrecompressedNegotiationCase,
  type DeltaNegotiationCase,
  type AvailableDictionaryCase,
} from './static-checks.js'
export { COMPRESSION_CHECKS, COMPRESSION_NEGOTIATION_CASES, type CompressionNegotiationCase } from './compression-checks.js'
export { COMPRESSED_ROUTES, COMPRESSED_PAGE } from './routes.js'
export { HOSTILE, RAW_HOSTILE_TARGETS, SECRETS, expectNothingLeaked } from './hostile-paths.js'
export { HTTPS_SIGN_CASES, type HttpsSignCase } from './https-signs.js'
export { createFixture, type Fixture, type FixtureManifest, type FixtureManifestEntry, type FixtureVariant } from './fixture.js'
export { request, rawRequest, rawStatus, decodeBody, type Reply, type RequestOptions } from './client.js'
export { listen, type ListeningServer } from './listen.js'
export { runTemplateEngineSuite, type TemplateEngineSuiteOptions } from './template-engine-suite.js'
export {
  startTemplateTarget,
  type TemplateEngineUnderTest,
  type TemplateSyntax,
  type TemplateRender,
  type TemplateRenderer,
  type TemplateConvoy,
  type TemplateConvoyOptions,
  type TemplateLookupOptions,
  type TemplateCarpoolKind,
  type TemplateScannerUnderTest,
  type TemplateScannedBlock,
  type TemplateServeOptions,
  type TemplateRequestListener,
  type TemplateContextLike,
  type TemplateTagOptionsLike,
  type TemplateCollectOptions,
  type TemplateTarget,
  type TemplateCheck,
  type TemplatePart,
  type TemplateEngineCases,
  type TemplateScannerCase,
  type TemplateMalformedCase,
} from './template-engine.js'
export { TEMPLATE_CHECKS, TEMPLATE_ACCEPT_ENCODING_CASES, engineCaseChecks, type TemplateAcceptEncodingCase } from './template-checks.js'
export { createTemplateFixture, TEMPLATE_ASSETS, type TemplateFixture, type TemplateAsset } from './template-fixture.js'
export { createFakeConvoy, type FakeConvoy, type FakeConvoyCall, type FakeConvoyOptions } from './fake-convoy.js'
