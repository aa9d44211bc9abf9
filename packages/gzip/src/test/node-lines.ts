// What the Node.js running the tests is expected to be able to do, from its version number: the expectations of the
// capability tests. The code itself never looks at the version; it finds out by trying (see `unavailable()`).
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)

/** node:zlib has zstd from Node 22.15 (and 23.8). */
export const EXPECT_ZSTD = major >= 24 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15)

/** node:zlib uses a brotli `dictionary` on Node 24; Node 22 and 20 take it and ignore it. */
export const EXPECT_BROTLI_DICTIONARY = major >= 24
