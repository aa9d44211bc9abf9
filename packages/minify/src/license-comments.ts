/**
 * The `/*! … *\/` comments of a stylesheet, in order, skipping anything that only looks like one inside a string
 * or an unquoted `url(…)`.
 */
export function licenseComments(css: string): string[] {
  const found: string[] = []
  let index = 0
  while (index < css.length) {
    const char = css[index]
    if (char === '/' && css[index + 1] === '*') {
      const end = css.indexOf('*/', index + 2)
      const stop = end === -1 ? css.length : end + 2
      if (css[index + 2] === '!' && end !== -1) found.push(css.slice(index, stop))
      index = stop
    } else if (char === '"' || char === "'") {
      index = skipString(css, index)
    } else if ((char === 'u' || char === 'U') && startsUnquotedUrl(css, index)) {
      const close = css.indexOf(')', index)
      index = close === -1 ? css.length : close + 1
    } else {
      index += 1
    }
  }
  return found
}

const unquotedUrl = /url\(\s*[^\s"')]/iy

function startsUnquotedUrl(css: string, index: number): boolean {
  unquotedUrl.lastIndex = index
  return unquotedUrl.test(css)
}

function skipString(css: string, start: number): number {
  const quote = css[start]
  let index = start + 1
  while (index < css.length) {
    const char = css[index]
    if (char === '\\') index += 2
    else if (char === quote || char === '\n') return index + 1
    else index += 1
  }
  return index
}

/**
 * Puts back the license comments an engine dropped (lightningcss keeps only those at the very top), after the
 * ones it kept at the top of its output, in source order.
 */
export function keepLicenseComments(source: string, minified: string): string {
  const missing = licenseComments(source).filter((comment) => !minified.includes(comment))
  if (missing.length === 0) return minified
  const leading = /^(?:\s*\/\*![\s\S]*?\*\/)*\s*/.exec(minified)?.[0] ?? ''
  const head = leading.trimEnd()
  return `${head}${head ? '\n' : ''}${missing.join('\n')}\n${minified.slice(leading.length)}`
}
