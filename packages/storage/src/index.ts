export type {
  Storage,
  StorageBody,
  StorageCapabilities,
  StorageEntry,
  StorageLock,
  StorageLockOptions,
  StorageWriteOptions,
  VersionedObject,
} from './storage.js'
export { isStorage } from './is-storage.js'
export { storagePathProblem, createStoragePathChecks, type StoragePathChecks } from './storage-path.js'
export { contentTypeOf } from './content-type.js'
export {
  CONTENT_ENCODINGS,
  CONTENT_ENCODING_NAMES,
  contentEncodingOfPath,
  encodedSiblingPath,
  withoutEncodingExtension,
  DELTA_ENCODINGS,
  DELTA_ENCODING_NAMES,
  deltaPath,
  deltaOfPath,
  type ContentEncoding,
  type ContentEncodingInfo,
  type DeltaEncoding,
} from './content-encodings.js'
export { IMMUTABLE_CACHE_CONTROL, SHORT_CACHE_CONTROL } from './cache-control.js'
export { isIgnoredByDefault, isUnsafeName } from './source-names.js'
export { bodyChunks, BodyStreamError } from './body.js'
