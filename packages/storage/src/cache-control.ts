/**
 * `Cache-Control` for content-addressed files (fingerprinted names, carpool bundles and their `.gz`/`.br` siblings):
 * their bytes can never change under that name, so browsers and CDNs may keep them for a year without asking again.
 *
 * @example
 * await storage.write('css/base.25b23dfca187.css', bytes, { cacheControl: IMMUTABLE_CACHE_CONTROL })
 */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'

/**
 * `Cache-Control` for names whose bytes change between deploys (the originals, e.g. `css/base.css`): a short
 * max-age, so a deploy is visible within a minute.
 *
 * @example
 * await storage.write('css/base.css', bytes, { cacheControl: SHORT_CACHE_CONTROL })
 */
export const SHORT_CACHE_CONTROL = 'public, max-age=60'
