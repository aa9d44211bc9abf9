import { ConvoyError, isConvoyError } from '@convoy/errors'
import { findJsReferences, rebaseCssUrls } from '@convoy/references'
import { CssSyntaxError, parse, type ChildNode } from 'postcss'
import { CARPOOL_DIRECTORY, isCarpoolKind, type CarpoolKind } from './name.js'

/** One file of a bundle. */
export interface CarpoolMember {
  /** Storage path the content was served from: a CSS member's relative URLs are resolved against it. */
  readonly path: string
  /** The bytes (UTF-8) or the text. */
  readonly content: Uint8Array | string
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

/**
 * The bytes of a bundle: the members joined in order, so the bundle behaves like the members linked one by one.
 * Pure and deterministic (the same members give the same bytes everywhere); `collect` uses it to prebuild bundles.
 *
 * CSS: relative `url()`s and `@import`s are rebased from each member's path to `CARPOOL/css/`; byte-order marks
 * are dropped; `@charset "UTF-8"` is kept once, at the top; `@import` rules at the top of the first member stay
 * (they are still at the top of the bundle); `sourceMappingURL` comments are dropped (the bundle has no map).
 * JS: members are joined with `\n;\n`, so a member without a final semicolon, or ending in a `// comment`, cannot
 * run into the next one; the bundle starts with `;` so no member's `'use strict'` becomes the whole bundle's
 * directive; `sourceMappingURL` comments are dropped.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CARPOOL`, naming the member, when a bundle would not behave like its members:
 * content that is not UTF-8, a `@charset` other than UTF-8, an `@import` in a member other than the first (it
 * would be ignored below other rules), an `@namespace` (it would apply to every member), or CSS that cannot be
 * parsed (an unclosed block or string would swallow the next member).
 * @example
 * const bytes = buildCarpool('js', [
 *   { path: 'js/a.1f2e3d4c5b6a.cmin.js', content: 'var a = 1' },
 *   { path: 'js/b.6a5b4c3d2e1f.cmin.js', content: '(function () { a++ })()' },
 * ])
 * new TextDecoder().decode(bytes) // ';\nvar a = 1\n;\n(function () { a++ })()\n'
 */
export function buildCarpool(kind: CarpoolKind, members: readonly CarpoolMember[]): Uint8Array {
  if (!isCarpoolKind(kind)) {
    throw new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/carpool: unknown carpool kind ${JSON.stringify(kind)} (expected "css" or "js")`)
  }
  if (members.length === 0) throw new ConvoyError('ERR_CONVOY_CARPOOL', '@convoy/carpool: a carpool needs at least one member')
  const texts = members.map((member) => textOf(member))
  return encoder.encode(kind === 'css' ? joinCss(members, texts) : joinJs(members, texts))
}

function refuse(member: CarpoolMember, reason: string, options: { line?: number | undefined; cause?: unknown } = {}): ConvoyError {
  const location = options.line === undefined ? member.path : `${member.path}:${options.line}`
  return new ConvoyError('ERR_CONVOY_CARPOOL', `@convoy/carpool: ${location}: ${reason}`, {
    file: member.path,
    ...(options.line === undefined ? {} : { line: options.line }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  })
}

function textOf(member: CarpoolMember): string {
  let text: string
  if (typeof member.content === 'string') {
    text = member.content
  } else {
    try {
      text = decoder.decode(member.content)
    } catch (error) {
      throw refuse(member, 'is not valid UTF-8 text, so it cannot be joined with other files', { cause: error })
    }
  }
  // A byte-order mark is only allowed at the very start of a file: inside a bundle it would be a stray character.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

// ---------------------------------------------------------------------------------------------------- CSS

interface Removal {
  readonly start: number
  readonly end: number
}

const SOURCE_MAPPING_URL = /^[#@]\s*sourceMappingURL=/
const UTF8 = /^utf-?8$/i

function joinCss(members: readonly CarpoolMember[], texts: readonly string[]): string {
  // Any bundle path in the folder does: rebasing depends only on the folder.
  const bundlePath = `${CARPOOL_DIRECTORY}/css/bundle.css`
  let charset = false
  const parts = members.map((member, index) => {
    const text = texts[index]!
    const removals: Removal[] = []
    for (const node of parseCss(member, text)) {
      const start = node.source?.start?.offset
      // postcss's end offset is exclusive, and an at-rule's range already includes its `;`.
      const end = node.source?.end?.offset
      if (start === undefined || end === undefined) continue
      if (node.type === 'atrule') {
        const name = node.name.toLowerCase()
        const line = node.source?.start?.line
        if (name === 'charset') {
          const encoding = node.params.trim().replace(/^(["'])(.*)\1$/, '$2')
          if (!UTF8.test(encoding)) {
            throw refuse(member, `declares @charset ${node.params.trim()}; a bundle is UTF-8, so only UTF-8 members can join it`, { line })
          }
          // Only a @charset at the very first byte counts; elsewhere browsers ignore it, and so does the bundle.
          if (start === 0) charset = true
          removals.push({ start, end })
        } else if (name === 'import' && index > 0) {
          throw refuse(
            member,
            `@import ${node.params.trim()} cannot be bundled: an @import is only valid at the top of a stylesheet, so ` +
              'below the members before it the browser would ignore it. Link this file on its own, import it from the ' +
              'first member, or list the imported file as a member',
            { line },
          )
        } else if (name === 'namespace' && members.length > 1) {
          throw refuse(
            member,
            `@namespace ${node.params.trim()} cannot be bundled: it would apply to every member of the bundle. Link this file on its own`,
            { line },
          )
        }
      } else if (node.type === 'comment' && SOURCE_MAPPING_URL.test(node.text)) {
        removals.push({ start, end })
      }
    }
    return rebase(member, remove(text, removals), bundlePath)
  })
  return `${charset ? '@charset "UTF-8";\n' : ''}${parts.join('\n')}\n`
}

function parseCss(member: CarpoolMember, text: string): ChildNode[] {
  try {
    return parse(text, { map: false, from: undefined }).nodes
  } catch (error) {
    if (error instanceof CssSyntaxError) {
      throw refuse(member, `cannot be parsed (${error.reason}), and a broken rule would swallow the next member`, {
        line: error.line,
        cause: error,
      })
    }
    throw error
  }
}

function remove(text: string, removals: readonly Removal[]): string {
  if (removals.length === 0) return text
  let result = ''
  let position = 0
  for (const { start, end } of removals) {
    result += text.slice(position, start)
    position = end
  }
  return result + text.slice(position)
}

function rebase(member: CarpoolMember, text: string, bundlePath: string): string {
  try {
    return rebaseCssUrls(text, member.path, bundlePath)
  } catch (error) {
    const reason = isConvoyError(error) ? error.message.replace(/^@convoy\/references: /, '') : String(error)
    throw refuse(member, `its URLs cannot be rebased (${reason})`, { cause: error })
  }
}

// ---------------------------------------------------------------------------------------------------- JS

const LINE_END = /\r\n|[\n\r\u2028\u2029]/g

function joinJs(members: readonly CarpoolMember[], texts: readonly string[]): string {
  // The leading `;` ends any directive prologue before it begins: a first member's 'use strict' must not make the
  // members after it strict. Each `\n;\n` ends the previous member's statement even when it lacks a semicolon
  // (`var a = 1` then `(function () {})()`), and the newline keeps the `;` out of a final `// comment`.
  return `;\n${texts.map((text, index) => stripSourceMap(members[index]!, text)).join('\n;\n')}\n`
}

function stripSourceMap(member: CarpoolMember, text: string): string {
  const reference = findJsReferences(text, { file: member.path }).find((found) => found.type === 'sourcemap')
  if (reference === undefined) return text
  // Nothing between the comment opener and the URL holds a `/` (`//# sourceMappingURL=`), so the nearest opener wins.
  const start = Math.max(text.lastIndexOf('//', reference.start), text.lastIndexOf('/*', reference.start))
  if (start === -1) return text
  let end: number
  if (text[start + 1] === '*') {
    const close = text.indexOf('*/', reference.end)
    end = close === -1 ? text.length : close + 2
  } else {
    LINE_END.lastIndex = reference.end
    end = LINE_END.exec(text)?.index ?? text.length
  }
  return text.slice(0, start) + text.slice(end)
}
