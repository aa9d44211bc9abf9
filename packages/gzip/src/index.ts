export { compress, compressSync, compressorVersions, COMPRESS_DEFAULTS, type CompressOptions, type CompressedVariants } from './compress.js'
export { isCompressible, COMPRESSIBLE_EXTENSIONS, type CompressibleOptions } from './compressible.js'
export { parseAcceptEncoding, chooseCoding, createAcceptEncodingCache, isOldMsie, type AcceptedCodings, type Coding } from './accept-encoding.js'
