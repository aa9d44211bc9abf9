export interface FingerprintOptions {
  /** An extra marker placed after the hash, e.g. `'cmin'` for minified output: `base.<h>.cmin.css`. */
  readonly marker?: string
}

/**
 * Splits a path's file name at its last extension. A leading dot (`.htaccess`) is not an extension.
 *
 * @example
 * splitExtension('css/jquery.min.js') // { stem: 'css/jquery.min', extension: '.js' }
 * splitExtension('Makefile')          // { stem: 'Makefile', extension: '' }
 */
export function splitExtension(path: string): { stem: string; extension: string } {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  if (dot <= slash + 1) return { stem: path, extension: '' }
  return { stem: path.slice(0, dot), extension: path.slice(dot) }
}

/**
 * The fingerprinted name of a path: the hash goes before the last extension, or is appended when there is none.
 *
 * @example
 * fingerprintedName('css/base.css', '25b23dfca187')                      // 'css/base.25b23dfca187.css'
 * fingerprintedName('main.css.map', '25b23dfca187')                      // 'main.css.25b23dfca187.map'
 * fingerprintedName('Makefile', '25b23dfca187')                          // 'Makefile.25b23dfca187'
 * fingerprintedName('css/base.css', '25b23dfca187', { marker: 'cmin' })  // 'css/base.25b23dfca187.cmin.css'
 */
export function fingerprintedName(path: string, hash: string, options?: FingerprintOptions): string {
  if (!/^[0-9A-Za-z_-]+$/.test(hash)) {
    throw new RangeError(`@convoy/hash: a fingerprint must be made of [0-9A-Za-z_-], got "${hash}"`)
  }
  const { stem, extension } = splitExtension(path)
  const marker = options?.marker ? `.${options.marker}` : ''
  return `${stem}.${hash}${marker}${extension}`
}
