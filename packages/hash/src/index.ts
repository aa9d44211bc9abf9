export {
  contentHash,
  hashFile,
  integrity,
  integrityOfFile,
  DEFAULT_HASH_OPTIONS,
  type HashOptions,
  type HashInput,
  type IntegrityAlgorithm,
} from './hash.js'
export { fingerprintedName, splitExtension, type FingerprintOptions } from './names.js'
