import type * as Crypto from 'node:crypto'
import { createRequire } from 'node:module'

// Required on first use, not imported: node:crypto loads streams and webcrypto, which a web process that only reads
// manifests never needs.
const requireBuiltin = createRequire(import.meta.url)

/** `node:crypto`, loaded by the first call. */
export const crypto = (): typeof Crypto => requireBuiltin('node:crypto') as typeof Crypto
