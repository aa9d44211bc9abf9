// Reading `{% carpool css|js %} … {% endcarpool %}` with Nunjucks' own parser: one function for the tag, which
// compiles it, and for the scanner, which finds it for `convoy collect`, so the two can never read a block apart.
import { carpoolBlockMessages, carpoolMembers, type CarpoolKind } from '@convoy/carpool'
import type { NunjucksLexer, NunjucksNodeList, NunjucksParser, NunjucksToken } from './nunjucks-api.js'

export const CARPOOL_TAG = 'carpool'
const CARPOOL_END_TAG = 'endcarpool'
// Closing tags of the blocks a carpool may sit in: stopping at them lets a missing
// {% endcarpool %} be reported as such, instead of as "unknown block tag: endblock".
const ENCLOSING_TAGS = [
  'endblock', 'endif', 'elif', 'elseif', 'else', 'endfor', 'endeach', 'endall', 'endmacro', 'endcall',
  'endfilter', 'endset', 'endswitch', 'case', 'default', 'endraw', 'endverbatim',
]
const MESSAGES = carpoolBlockMessages({
  tag: '{% carpool %}',
  open: (kind) => `{% carpool ${kind} %}`,
  close: `{% ${CARPOOL_END_TAG} %}`,
  kinds: 'css or js',
  comments: '{# comments #}',
  usage: '{% carpool css %} one logical path per line {% endcarpool %} (or js)',
})

/** A carpool block as read: its kind, and its logical paths (at least one), in order. */
export interface CarpoolBlockRead {
  readonly kind: CarpoolKind
  readonly paths: string[]
}

/**
 * Reads a carpool block, the parser standing after its `carpool` tag name (`tag`), up to and including its
 * `{% endcarpool %}`. The body is parsed by Nunjucks (so comments, whitespace control and `{% raw %}` behave as in
 * any template) and must be literal text: one logical path per line, blank lines ignored. A body holding an
 * expression or a tag fails the parse with `dynamic: 'fail'` (the tag) or gives `undefined` with `dynamic: 'skip'`
 * (the scanner: such a block cannot be known before a render).
 *
 * @throws the parser's `TemplateError` (from `parser.fail()`) for a malformed block.
 */
export function readCarpoolBlock(parser: NunjucksParser, lexer: NunjucksLexer, tag: NunjucksToken, dynamic: 'fail'): CarpoolBlockRead
export function readCarpoolBlock(parser: NunjucksParser, lexer: NunjucksLexer, tag: NunjucksToken, dynamic: 'skip'): CarpoolBlockRead | undefined
export function readCarpoolBlock(parser: NunjucksParser, lexer: NunjucksLexer, tag: NunjucksToken, dynamic: 'fail' | 'skip'): CarpoolBlockRead | undefined {
  const kindToken = parser.nextToken()
  if (kindToken === null || kindToken.type === lexer.TOKEN_BLOCK_END) {
    parser.fail(MESSAGES.needsKind, tag.lineno, tag.colno)
  }
  const kind = kindToken.type === lexer.TOKEN_SYMBOL || kindToken.type === lexer.TOKEN_STRING ? kindToken.value : undefined
  if (kind !== 'css' && kind !== 'js') {
    parser.fail(MESSAGES.kindMustBe(describeToken(kindToken, lexer)), kindToken.lineno, kindToken.colno)
  }
  expectBlockEnd(parser, lexer, tag, MESSAGES.onlyKind)

  const body = parser.parseUntilBlocks(CARPOOL_END_TAG, ...ENCLOSING_TAGS)
  const line = tag.lineno + 1
  const close = parser.peekToken()
  if (close === null) parser.fail(MESSAGES.neverClosed(kind, line), tag.lineno, tag.colno)
  if (close.value !== CARPOOL_END_TAG) parser.fail(MESSAGES.notClosed(kind, line, `{% ${close.value} %}`), close.lineno, close.colno)
  parser.advanceAfterBlockEnd()

  const text = bodyText(parser, body, dynamic)
  if (text === undefined) return undefined
  const paths = carpoolMembers(text)
  if (paths.length === 0) parser.fail(MESSAGES.noPaths(kind, line), tag.lineno, tag.colno)
  return { kind, paths }
}

/** The literal text of a carpool body (comments are already gone), or `undefined` for a dynamic one with `'skip'`. */
function bodyText(parser: NunjucksParser, body: NunjucksNodeList, dynamic: 'fail' | 'skip'): string | undefined {
  let text = ''
  for (const node of body.children) {
    const children = node.typename === 'Output' ? (node as NunjucksNodeList).children : undefined
    if (children?.every((child) => child.typename === 'TemplateData') !== true) {
      if (dynamic === 'skip') return undefined
      const found = children === undefined ? 'a {% tag %}' : 'an {{ expression }}'
      parser.fail(MESSAGES.notAllowed(found), node.lineno, node.colno)
    }
    for (const child of children) text += String((child as unknown as { value: unknown }).value)
  }
  return text
}

/** Steps past the end of `tag`, failing with `message` when anything else comes first. */
export function expectBlockEnd(parser: NunjucksParser, lexer: NunjucksLexer, tag: NunjucksToken, message: string): void {
  const next = parser.peekToken()
  if (next === null) parser.fail(`${message}; the template ends inside the tag`, tag.lineno, tag.colno)
  if (next.type !== lexer.TOKEN_BLOCK_END) parser.fail(`${message}; unexpected ${describeToken(next, lexer)}`, next.lineno, next.colno)
  parser.advanceAfterBlockEnd(tag.value)
}

export function describeToken(token: NunjucksToken, lexer: NunjucksLexer): string {
  return token.type === lexer.TOKEN_STRING ? JSON.stringify(token.value) : `"${token.value}"`
}
