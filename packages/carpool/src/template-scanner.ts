import type { CarpoolKind } from './name.js'

/** A carpool block found in a template by a {@link TemplateScanner}: a bundle `convoy collect` builds ahead of time. */
export interface CarpoolBlock {
  readonly kind: CarpoolKind
  /** The logical paths the block lists, in order (at least one). */
  readonly members: readonly string[]
  /** 1-based line of the block's opening tag in the template. */
  readonly line: number
}

/**
 * Finds the carpool blocks of one template engine, for the `templates` option of `convoy collect`. Each template
 * package (`@convoy/nunjucks`, …) exports one, parsing with the engine's own lexer so that what `collect` builds is
 * exactly what the engine's `carpool` tag asks for at render time.
 *
 * `scan()` is synchronous and pure: it gets a template's text and returns its blocks in the order they appear.
 * Blocks whose body is not static (an expression or another tag in it) are not returned: their members cannot be
 * known before a render. A malformed block (unknown kind, never closed, no paths) makes it throw a `ConvoyError`
 * from `@convoy/errors` whose `file` is `file` and whose `line` is the block's.
 *
 * @example
 * import type { TemplateScanner } from '@convoy/carpool'
 *
 * // A toy engine whose blocks are one line each: <!-- carpool css: a.css b.css -->
 * export const commentScanner: TemplateScanner = {
 *   name: 'comments',
 *   scan: (text) =>
 *     text.split('\n').flatMap((source, index) => {
 *       const match = /<!-- carpool (css|js): (.+?) -->/.exec(source)
 *       return match === null ? [] : [{ kind: match[1] as 'css' | 'js', members: match[2]!.split(' '), line: index + 1 }]
 *     }),
 * }
 */
export interface TemplateScanner {
  /** The engine, for messages: `'nunjucks'`. */
  readonly name: string
  /**
   * The carpool blocks of one template.
   *
   * @param text the template's source.
   * @param file the template's path as the user knows it, for errors.
   * @throws {ConvoyError} for a malformed block, with `file` and `line`.
   */
  scan(text: string, file: string): readonly CarpoolBlock[]
}

/**
 * True for an object with a string `name` and a `scan` function: a {@link TemplateScanner}, whichever copy of
 * this package made it.
 *
 * @example
 * isTemplateScanner(nunjucksScanner) // true
 * isTemplateScanner('views/**\/*.njk') // false
 */
export function isTemplateScanner(value: unknown): value is TemplateScanner {
  const candidate = value as Partial<TemplateScanner> | null | undefined
  return typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && typeof candidate.scan === 'function'
}
