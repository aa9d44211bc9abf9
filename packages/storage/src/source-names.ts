// Which names of a source tree never become storage keys. `collect` skips them when it walks the sources, and
// `@convoy/serve` in development (serving the sources directly) refuses them, so both agree on what exists.

/**
 * A backslash (a separator on Windows and in many URL parsers), a control character, or U+FFFD (Node's stand-in for
 * bytes that are not UTF-8, so the file could not be opened again by that name).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME = /[\\\u0000-\u001f\u007f-\u009f\ufffd]/

/**
 * True for a file or folder name that cannot be stored and served safely everywhere (see {@link UNSAFE_NAME}).
 *
 * @example
 * isUnsafeName('a\\b.css')  // true
 * isUnsafeName('base.css')  // false
 */
export function isUnsafeName(name: string): boolean {
  return UNSAFE_NAME.test(name)
}

/**
 * The file names nobody means to publish, in any folder: editor leftovers (`*~`, `*.swp`, `*.swo`, `*.swx`, `#*#`)
 * and OS droppings (`Thumbs.db`, `desktop.ini`). Dotfiles are refused separately, by the storage path checks.
 *
 * @example
 * isIgnoredByDefault('app.js~')   // true
 * isIgnoredByDefault('Thumbs.db') // true
 * isIgnoredByDefault('app.js')    // false
 */
export function isIgnoredByDefault(name: string): boolean {
  return (
    name.endsWith('~') ||
    name.endsWith('.swp') ||
    name.endsWith('.swo') ||
    name.endsWith('.swx') ||
    (name.length >= 2 && name.startsWith('#') && name.endsWith('#')) ||
    name === 'Thumbs.db' ||
    name === 'desktop.ini'
  )
}
