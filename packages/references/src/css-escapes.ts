// CSS Syntax Level 3 §4.3.7 "consume an escaped code point" and §4.3.6 "consume a url token", applied to one
// already isolated token (the inside of a string or of an unquoted url()), never to a whole stylesheet.

const HEX = /[0-9a-fA-F]{1,6}/y
const MAX_CODE_POINT = 0x10ffff

function isNewline(char: string | undefined): boolean {
  return char === '\n' || char === '\r' || char === '\f'
}

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || isNewline(char)
}

/** U+0000–U+0008, U+000B, U+000E–U+001F, U+007F: not allowed raw in an unquoted url(). */
function isNonPrintable(code: number): boolean {
  return code <= 0x08 || code === 0x0b || (code >= 0x0e && code <= 0x1f) || code === 0x7f
}

/** Length of the escape starting at `raw[index]` (a backslash), hex digits and their terminating whitespace included. */
function escapeLength(raw: string, index: number): number {
  HEX.lastIndex = index + 1
  const hex = HEX.exec(raw)
  if (hex === null) return 1 + (raw.codePointAt(index + 1)! > 0xffff ? 2 : 1)
  let length = 1 + hex[0].length
  const after = raw[index + length]
  if (after === '\r' && raw[index + length + 1] === '\n') length += 2
  else if (isWhitespace(after)) length += 1
  return length
}

/**
 * Decodes the CSS escapes of one token. In a string, an escaped newline is a line continuation and vanishes.
 *
 * @example
 * decodeCssEscapes('my\\ file\\2e png', false) // 'my file.png'
 */
export function decodeCssEscapes(raw: string, inString: boolean): string {
  if (!raw.includes('\\')) return raw
  let out = ''
  let index = 0
  while (index < raw.length) {
    const char = raw[index]!
    if (char !== '\\') {
      out += char
      index++
      continue
    }
    const next = raw[index + 1]
    if (next === undefined) {
      // A backslash at the end: dropped in a string, U+FFFD elsewhere.
      if (!inString) out += '\uFFFD'
      break
    }
    if (isNewline(next)) {
      index += next === '\r' && raw[index + 2] === '\n' ? 3 : 2
      continue
    }
    const length = escapeLength(raw, index)
    HEX.lastIndex = index + 1
    const hex = HEX.exec(raw)
    if (hex === null) {
      out += raw.slice(index + 1, index + length)
    } else {
      const code = Number.parseInt(hex[0], 16)
      const invalid = code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > MAX_CODE_POINT
      out += invalid ? '\uFFFD' : String.fromCodePoint(code)
    }
    index += length
  }
  return out
}

/**
 * Reads the inside of an unquoted `url( … )` as CSS Syntax's "consume a url token" does: whitespace around the
 * value is dropped; a "bad url" (`url(a b)`, `url(a"b)`, `url(a(b)`, a control character) gives `undefined`, as
 * browsers drop it together with its declaration. `start`/`end` delimit the value inside `inner`.
 */
export function unquotedUrlRange(inner: string): { start: number; end: number; text: string } | undefined {
  let start = 0
  while (isWhitespace(inner[start])) start++
  let index = start
  while (index < inner.length) {
    const char = inner[index]!
    if (char === '\\') {
      const next = inner[index + 1]
      if (next === undefined || isNewline(next)) return undefined
      index += escapeLength(inner, index)
      continue
    }
    if (isWhitespace(char)) {
      // Whitespace may only come before the closing parenthesis.
      for (let rest = index; rest < inner.length; rest++) if (!isWhitespace(inner[rest])) return undefined
      break
    }
    if (char === '"' || char === "'" || char === '(' || char === ')' || isNonPrintable(char.charCodeAt(0))) return undefined
    index++
  }
  return { start, end: index, text: inner.slice(start, index) }
}

function hexEscape(char: string): string {
  return `\\${char.codePointAt(0)!.toString(16)} `
}

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f
}

/** Escapes a URL for the inside of an unquoted `url()`: whitespace, quotes, parentheses, backslash, control characters. */
export function escapeCssUnquotedUrl(url: string): string {
  let out = ''
  for (const char of url) {
    if ('\\"\'() \t'.includes(char)) out += `\\${char}`
    else if (isControl(char.charCodeAt(0))) out += hexEscape(char)
    else out += char
  }
  return out
}

/** Escapes a URL for the inside of a CSS string delimited by `quote`: backslash, that quote, control characters. */
export function escapeCssString(url: string, quote: '"' | "'"): string {
  let out = ''
  for (const char of url) {
    if (char === '\\' || char === quote) out += `\\${char}`
    else if (isControl(char.charCodeAt(0))) out += hexEscape(char)
    else out += char
  }
  return out
}
