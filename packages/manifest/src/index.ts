export {
  MANIFEST_VERSION,
  MANIFEST_FILE,
  type EncodedVariant,
  type EncodedVariants,
  type DeltaVariants,
  type ManifestDictionary,
  type Manifest,
  type ManifestCarpool,
  type ManifestEntry,
  type ManifestHistoryEntry,
} from './types.js'
export { parseManifest, serializeManifest, createManifest, lookup, type CreateManifestOptions } from './manifest.js'
export { storagePathsOf, entryStoragePaths, supersede, pathsNamedByNewest, supersededSince, type SupersedeOptions } from './history.js'
export { createImportMap, type ImportMap, type ImportMapOptions } from './import-map.js'
export { openManifest, type ManifestReader } from './reader.js'
export { readManifestFile, openManifestFile, writeManifestFile, TEMP_FILE_PREFIX } from './file.js'
export { contentTypeOf } from './deprecated.js'
