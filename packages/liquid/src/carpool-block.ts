// Reading `{% carpool css|js %} … {% endcarpool %}` from LiquidJS's own tokens: one function for the tag, which
// parses it, and for the scanner, which finds it for `convoy collect`, so the two can never read a block apart.
import { carpoolBlockMessages, carpoolMembers, type CarpoolKind } from '@convoy/carpool'
import { CommentTag, InlineCommentTag, LiquidError, ParseError, TokenizationError, TokenKind, type Liquid, type TagToken, type Token, type TopLevelToken } from 'liquidjs'

export const CARPOOL_TAG = 'carpool'
const CARPOOL_END_TAG = 'endcarpool'
// Tags that close or continue an enclosing block: meeting one inside a carpool means its {% endcarpool %} is missing.
const CONTINUATION_TAGS = new Set(['else', 'elsif', 'when'])
const MESSAGES = carpoolBlockMessages({
  tag: '{% carpool %}',
  open: (kind) => `{% carpool ${kind} %}`,
  close: `{% ${CARPOOL_END_TAG} %}`,
  kinds: 'css or js',
  comments: 'comments',
  usage: '{% carpool css %} one logical path per line {% endcarpool %} (or js)',
})

/** A carpool block as read: its kind, and its logical paths (at least one), in order. */
export interface CarpoolBlockRead {
  readonly kind: CarpoolKind
  readonly paths: string[]
}

/** The part of a LiquidJS `HTMLToken` read here (`getContent()` applies whitespace control). */
interface HtmlToken extends Token {
  getContent(): string
}

/**
 * Reads a carpool block from its opening tag (`tag`, its tokenizer standing at the arguments) and the tokens after
 * it, which it consumes up to and including `{% endcarpool %}`. The body is tokenized by LiquidJS (so whitespace
 * control and `{% raw %}` behave as in any template) and must be literal text: one logical path per line, blank
 * lines ignored, `{% comment %}` blocks and `{% # inline comments %}` allowed. A body holding an `{{ output }}` or
 * another tag fails with `dynamic: 'fail'` (the tag) or gives `undefined` with `dynamic: 'skip'` (the scanner: such
 * a block cannot be known before a render).
 *
 * @throws LiquidJS's `TokenizationError`, positioned, for a malformed block.
 */
export function readCarpoolBlock(tag: TagToken, tokens: TopLevelToken[], liquid: Liquid, dynamic: 'fail'): CarpoolBlockRead
export function readCarpoolBlock(tag: TagToken, tokens: TopLevelToken[], liquid: Liquid, dynamic: 'skip'): CarpoolBlockRead | undefined
export function readCarpoolBlock(tag: TagToken, tokens: TopLevelToken[], liquid: Liquid, dynamic: 'fail' | 'skip'): CarpoolBlockRead | undefined {
  const kind = readKind(tag)
  const line = lineOf(tag)

  let text = ''
  let isDynamic = false
  for (;;) {
    const token = tokens.shift()
    if (token === undefined) {
      throw new TokenizationError(MESSAGES.neverClosed(kind, line), tag)
    }
    if (isTag(token)) {
      if (token.name === CARPOOL_END_TAG) break
      // Comments are consumed by LiquidJS's own tags, so a {% endcarpool %} inside one is not the end.
      if (token.name === 'comment' || token.name === '#') {
        consume(token.name === 'comment' ? CommentTag : InlineCommentTag, token, tokens, liquid)
        continue
      }
      if (isDynamic) continue
      if (token.name.startsWith('end') || CONTINUATION_TAGS.has(token.name)) {
        throw new TokenizationError(MESSAGES.notClosed(kind, line, `{% ${token.name} %}`), token)
      }
      if (dynamic === 'fail') {
        throw new TokenizationError(MESSAGES.notAllowed('a {% tag %}'), token)
      }
      isDynamic = true
    } else if (token.kind === TokenKind.Output) {
      if (dynamic === 'fail') {
        throw new TokenizationError(MESSAGES.notAllowed('an {{ output }}'), token)
      }
      isDynamic = true
    } else if (!isDynamic) {
      text += (token as HtmlToken).getContent()
    }
  }
  if (isDynamic) return undefined

  const paths = carpoolMembers(text)
  if (paths.length === 0) throw new TokenizationError(MESSAGES.noPaths(kind, line), tag)
  return { kind, paths }
}

/** The kind after `carpool`, bare or quoted; the tag must end after it. */
function readKind(tag: TagToken): CarpoolKind {
  const tokenizer = tag.tokenizer
  tokenizer.skipBlank()
  if (tokenizer.end()) {
    throw new TokenizationError(MESSAGES.needsKind, tag)
  }
  const start = tokenizer.p
  const quoted = tokenizer.readQuoted()
  const kind = quoted === undefined ? tokenizer.readIdentifier().content : quoted.content
  if (kind !== 'css' && kind !== 'js') {
    const found = quoted === undefined && kind === '' ? tokenizer.remaining().trim() : kind
    throw tokenizer.error(MESSAGES.kindMustBe(JSON.stringify(found)), start)
  }
  tokenizer.skipBlank()
  if (!tokenizer.end()) {
    const rest = tokenizer.remaining().trim()
    throw tokenizer.error(`${MESSAGES.onlyKind}; unexpected "${rest}"`, tokenizer.p)
  }
  return kind
}

/** The constructor of one of LiquidJS's own tags, which consumes the tokens it owns (a comment's, a raw block's). */
export type LiquidTagConstructor = new (token: TagToken, tokens: TopLevelToken[], liquid: Liquid) => unknown

/**
 * Lets one of LiquidJS's own tags read `token` and consume the tokens it owns, failing as LiquidJS's parser does:
 * with a `ParseError` at the tag for an error that has no position of its own (`tag {% comment %} not closed`).
 */
export function consume(Tag: LiquidTagConstructor, token: TagToken, tokens: TopLevelToken[], liquid: Liquid): void {
  try {
    new Tag(token, tokens, liquid)
  } catch (error) {
    if (LiquidError.is(error) || !(error instanceof Error)) throw error
    throw new ParseError(error, token)
  }
}

export function isTag(token: Token): token is TagToken {
  return token.kind === TokenKind.Tag
}

/** 1-based line of a token's first character. */
export function lineOf(token: Token): number {
  const [line] = token.getPosition()
  return line ?? 1
}
