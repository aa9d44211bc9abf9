/** Cache-Control for content-addressed files: their bytes can never change under that name. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'
/** Cache-Control for names whose bytes change between deploys: originals. */
export const SHORT_CACHE_CONTROL = 'public, max-age=60'
