// The runtime face of @convoy/core: what a web process imports. It loads no CLI, no pipeline and no minifier, and
// createConvoy() imports the runtime on its first call;
// `collect()` lives in '@convoy/core/collect' and the command line in '@convoy/core/cli'.
export { createConvoy } from './runtime/create-convoy.js'
export type { Convoy, CreateConvoyOptions, ConvoyCarpoolOptions, ConvoyUrlOptions } from './runtime/convoy.js'
export type { ManifestInput } from './runtime/manifest-source.js'
export { defineConfig, DEFAULT_BASE_URL, type ConvoyConfig, type MinifyConfig, type CompressConfig } from './config.js'
export type { Storage, StorageBody, StorageCapabilities, StorageEntry, StorageWriteOptions, StorageLock, StorageLockOptions, VersionedObject } from '@convoy/storage'
export { ConvoyError, isConvoyError, ERROR_CODES, type ConvoyErrorCode, type ConvoyErrorOptions } from '@convoy/errors'
