function lastSeparator(path: string): number {
  return Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
}

/**
 * True for a file name that contains `.min.` (any case): a shipped minified file, never minified again.
 * Only the last path segment counts.
 *
 * @example
 * isMinifiedName('vendor/jquery.min.js')  // true
 * isMinifiedName('js.min.d/app.js')       // false
 */
export function isMinifiedName(path: string): boolean {
  return path.slice(lastSeparator(path) + 1).toLowerCase().includes('.min.')
}

/**
 * The name of the shipped minified sibling of a file (`.min` before the last extension), used with
 * `useExistingMin`. A name that already is a `.min.` name is returned unchanged.
 *
 * @example
 * minifiedSibling('css/foo.css')     // 'css/foo.min.css'
 * minifiedSibling('js/app.bundle.js') // 'js/app.bundle.min.js'
 */
export function minifiedSibling(path: string): string {
  if (isMinifiedName(path)) return path
  const slash = lastSeparator(path)
  const dot = path.lastIndexOf('.')
  if (dot <= slash + 1) return `${path}.min`
  return `${path.slice(0, dot)}.min${path.slice(dot)}`
}
