import type { CarpoolBlock, TemplateScanner } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import nunjucks from 'nunjucks'
import { CARPOOL_TAG, readCarpoolBlock } from './carpool-block.js'
import type { NunjucksGrammar, NunjucksNode, NunjucksParser, NunjucksTags } from './nunjucks-api.js'

// Nunjucks' own lexer and parser (its typings leave them out): the grammar the tags are compiled with.
const { lexer, parser: grammar } = nunjucks as unknown as NunjucksGrammar

const TAG_NAMES = ['blockStart', 'blockEnd', 'variableStart', 'variableEnd', 'commentStart', 'commentEnd'] as const

export interface NunjucksScannerOptions {
  /**
   * The tag delimiters of your templates: the `tags` option you give your Nunjucks `Environment`, e.g.
   * `{ blockStart: '<%', blockEnd: '%>' }`. Default: Nunjucks' own (`{% %}`, `{{ }}`, `{# #}`).
   */
  readonly tags?: NunjucksTags
}

/**
 * A {@link TemplateScanner} for Nunjucks templates, for the `templates` option of `convoy collect`: it finds the
 * `{% carpool css|js %} … {% endcarpool %}` blocks with Nunjucks' own lexer and parser and reads each one with the
 * same code as the `{% carpool %}` tag, so what `collect` builds is exactly what the tag asks for. Comments,
 * strings and `{% raw %}`/`{% verbatim %}` blocks that merely show a carpool tag are not blocks. A block whose body
 * holds an expression or another tag is skipped (it cannot be known before a render, and the tag refuses it).
 * Use {@link nunjucksScanner} for the default delimiters.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` for `tags` that are not strings. `scan()` throws `ERR_CONVOY_TEMPLATE`,
 * with `file`, `line` and `column`, for a malformed block or a template Nunjucks cannot read.
 * @example
 * // convoy.config.ts, for an Environment created with { tags: { blockStart: '<%', blockEnd: '%>' } }
 * import { defineConfig } from '@convoy/core'
 * import { createNunjucksScanner } from '@convoy/nunjucks'
 *
 * export default defineConfig({
 *   sources: ['static'],
 *   templates: [{ files: ['views/**\/*.njk'], scanner: createNunjucksScanner({ tags: { blockStart: '<%', blockEnd: '%>' } }) }],
 * })
 */
export function createNunjucksScanner(options: NunjucksScannerOptions = {}): TemplateScanner {
  const tags = checkTags((options as Partial<NunjucksScannerOptions> | null | undefined)?.tags)
  const lexOptions = tags === undefined ? {} : { tags }
  return {
    name: 'nunjucks',
    scan(text, file) {
      const parser = toleratingUnknownTags(new grammar.Parser(lexer.lex(text, lexOptions)))
      const blocks: CarpoolBlock[] = []
      try {
        for (let token = parser.nextToken(); token; token = parser.nextToken()) {
          if (token.type !== lexer.TOKEN_BLOCK_START) continue
          const name = parser.peekToken()
          if (name?.type !== lexer.TOKEN_SYMBOL) continue
          if (name.value === CARPOOL_TAG) {
            parser.nextToken()
            const block = readCarpoolBlock(parser, lexer, name, 'skip')
            if (block !== undefined) blocks.push({ kind: block.kind, members: block.paths, line: token.lineno + 1 })
          } else if (name.value === 'raw' || name.value === 'verbatim') {
            // Text up to the matching end tag, exactly as Nunjucks reads it: whatever tags it shows are not tags.
            parser.parseStatement()
          }
        }
      } catch (error) {
        throw scanError(error, file, parser)
      }
      return blocks
    },
  }
}

/**
 * The {@link TemplateScanner} for Nunjucks templates with the default delimiters: what `templates: ['views/**\/*.njk']`
 * in a Convoy config uses. See {@link createNunjucksScanner}.
 *
 * @example
 * import { readFileSync } from 'node:fs'
 * import { nunjucksScanner } from '@convoy/nunjucks'
 *
 * nunjucksScanner.scan(readFileSync('views/home.njk', 'utf8'), 'views/home.njk')
 * // [{ kind: 'css', members: ['css/reset.css', 'css/base.css'], line: 4 }, …]
 */
export const nunjucksScanner: TemplateScanner = createNunjucksScanner()

function checkTags(tags: unknown): NunjucksTags | undefined {
  if (tags === undefined) return undefined
  const record = tags as Record<string, unknown> | null
  if (typeof record !== 'object' || record === null || TAG_NAMES.some((name) => record[name] !== undefined && (typeof record[name] !== 'string' || record[name] === ''))) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/nunjucks: option tags must be an object of delimiter strings (${TAG_NAMES.join(', ')}), like a Nunjucks Environment's`)
  }
  return Object.fromEntries(TAG_NAMES.filter((name) => record[name] !== undefined).map((name) => [name, record[name]]))
}

/**
 * Inside a carpool body, reads a tag Nunjucks does not know (one of the app's own extensions, or `{% convoy %}`)
 * as "a tag" instead of failing the scan: the block is dynamic and skipped, like one holding a known tag.
 */
function toleratingUnknownTags(parser: NunjucksParser): NunjucksParser {
  const parseStatement = parser.parseStatement.bind(parser)
  parser.parseStatement = (): NunjucksNode | null => {
    const name = parser.peekToken()
    try {
      return parseStatement()
    } catch (error) {
      // Every tag Nunjucks knows takes its name before it can fail: a failure that leaves it is an unknown tag.
      if (name?.type !== lexer.TOKEN_SYMBOL || parser.peekToken() !== name) throw error
      for (let token = parser.nextToken(); token?.type !== lexer.TOKEN_BLOCK_END; token = parser.nextToken()) {
        if (!token) throw error
      }
      return { typename: 'UnknownTag', lineno: name.lineno, colno: name.colno }
    }
  }
  return parser
}

/** A `ConvoyError` naming the template and the position of a parse failure (the lexer's, for a lexer failure). */
function scanError(error: unknown, file: string, parser: NunjucksParser): ConvoyError {
  const { lineno, colno } = error as { lineno?: unknown; colno?: unknown }
  const line = typeof lineno === 'number' ? lineno : parser.tokens.lineno + 1
  const column = typeof colno === 'number' ? colno : parser.tokens.colno + 1
  const message = error instanceof Error ? error.message : String(error)
  return new ConvoyError('ERR_CONVOY_TEMPLATE', `@convoy/nunjucks: ${file}:${line}:${column}: ${message}`, { file, line, column, cause: error })
}
