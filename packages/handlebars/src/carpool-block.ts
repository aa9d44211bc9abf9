// Reading `{{#carpool "css"}} … {{/carpool}}`: the rules and messages the helper (at render time) and the scanner
// (on Handlebars' AST, for `convoy collect`) share, so the two can never read a block apart.
import { carpoolBlockMessages, carpoolMembers, isCarpoolKind, type CarpoolKind } from '@convoy/carpool'
import type { HandlebarsBlock, HandlebarsContent, HandlebarsExpression, HandlebarsPosition } from './handlebars-api.js'

export const CARPOOL_HELPER = 'carpool'
export const CARPOOL_USAGE = '{{#carpool "css"}} one logical path per line {{/carpool}} (or "js")'
export const CARPOOL_MESSAGES = carpoolBlockMessages({
  tag: '{{#carpool}}',
  open: (kind) => `{{#carpool "${kind}"}}`,
  close: `{{/${CARPOOL_HELPER}}}`,
  kinds: '"css" or "js"',
  comments: 'comments',
  usage: CARPOOL_USAGE,
})

/** A carpool block as read: its kind, and its logical paths (at least one), in order. */
export interface CarpoolBlockRead {
  readonly kind: CarpoolKind
  readonly paths: string[]
}

/** A malformed block or helper call: the message, and where (Handlebars' 1-based line and 0-based column). */
export class TemplateUsageError extends Error {
  override name = 'TemplateUsageError'
  constructor(
    message: string,
    readonly at: HandlebarsPosition | undefined,
  ) {
    super(message)
  }
}

/** The kind of a block, from its one argument's value; `described` says what the argument was, for the message. */
export function checkKind(value: unknown, described: string, at: HandlebarsPosition | undefined): CarpoolKind {
  if (isCarpoolKind(value)) return value
  throw new TemplateUsageError(CARPOOL_MESSAGES.kindMustBe(described), at)
}

/** The block's logical paths: one per line of its text, blank lines and surrounding whitespace ignored. */
export function pathsOf(text: string, kind: CarpoolKind, at: HandlebarsPosition | undefined): string[] {
  const paths = carpoolMembers(text)
  if (paths.length === 0) throw new TemplateUsageError(CARPOOL_MESSAGES.noPaths(kind, at?.line ?? 1), at)
  return paths
}

/** Fails unless a block takes exactly one argument, no hash, no block parameters and no `{{else}}`. */
export function checkShape(args: number, hashKeys: number, blockParams: number, hasElse: boolean, at: HandlebarsPosition | undefined): void {
  if (args === 0) throw new TemplateUsageError(CARPOOL_MESSAGES.needsKind, at)
  if (args > 1 || hashKeys > 0 || blockParams > 0) throw new TemplateUsageError(CARPOOL_MESSAGES.onlyKind, at)
  if (hasElse) throw new TemplateUsageError(`{{#carpool}} has no {{else}}: ${CARPOOL_USAGE}`, at)
}

/** True for `{{#carpool …}}` (not `{{#this.carpool}}` or `{{#@carpool}}`, which are no helper call). */
export function isCarpoolBlock(block: HandlebarsBlock): boolean {
  const { path } = block
  return path.type === 'PathExpression' && path.data !== true && path.original === CARPOOL_HELPER
}

/**
 * Reads a carpool block of Handlebars' AST as the helper will at render time. Its body must be literal text (and
 * comments): a body with a `{{mustache}}`, a block or a partial gives `undefined` (it cannot be known before a
 * render).
 *
 * @throws {TemplateUsageError} for a malformed block.
 */
export function readCarpoolBlock(block: HandlebarsBlock): CarpoolBlockRead | undefined {
  const at = block.loc?.start
  checkShape(block.params.length, block.hash?.pairs.length ?? 0, block.program?.blockParams?.length ?? 0, block.inverse != null, at)
  const [param] = block.params as [HandlebarsExpression]
  const kind = checkKind(param.type === 'StringLiteral' ? param.value : undefined, describeParam(param), param.loc?.start ?? at)
  let text = ''
  for (const node of block.program?.body ?? []) {
    if (node.type === 'CommentStatement') continue
    if (node.type !== 'ContentStatement') return undefined
    text += (node as HandlebarsContent).value
  }
  return { kind, paths: pathsOf(text, kind, at) }
}

function describeParam(param: HandlebarsExpression): string {
  if (param.type === 'StringLiteral') return JSON.stringify(param.value)
  if (param.type === 'PathExpression') return `${String(param.original)} (a variable: quote the kind)`
  if (param.type === 'SubExpression') return 'a (subexpression)'
  return String(param.original ?? param.value)
}
