export { ENCODINGS, ENCODING_NAMES, DEFAULT_ENCODINGS, isEncodingName, encodingOfPath, type Encoding, type EncodingName, type EncodeHints } from './encodings.js'
export {
  compress,
  compressSync,
  resolveCompressOptions,
  compressorVersions,
  COMPRESS_DEFAULTS,
  type CompressOptions,
  type ResolvedCompressOptions,
  type EncodingLevels,
  type CompressedVariants,
} from './compress.js'
export { compressFile, TEXT_SNIFF_BYTES, type CompressFileOptions, type CompressedFile, type CompressedFiles } from './compress-file.js'
export { isCompressible, COMPRESSIBLE_EXTENSIONS, type CompressibleOptions } from './compressible.js'
export { parseAcceptEncoding, chooseCoding, createAcceptEncodingCache, isOldMsie, type AcceptedCodings, type Coding, type DeltaCoding } from './accept-encoding.js'
export { DELTA_ENCODERS, dictionaryHash, type DeltaEncoder } from './delta.js'
