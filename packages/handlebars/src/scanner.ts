import type { CarpoolBlock, TemplateScanner } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import Handlebars from 'handlebars'
import { CARPOOL_MESSAGES, TemplateUsageError, isCarpoolBlock, readCarpoolBlock } from './carpool-block.js'
import type { HandlebarsBlock, HandlebarsParserLike, HandlebarsPosition, HandlebarsProgram } from './handlebars-api.js'

// Statements whose `program` (and `inverse`) hold more statements: blocks, raw blocks, partial blocks, decorator blocks.
const WITH_PROGRAMS = new Set(['BlockStatement', 'PartialBlockStatement', 'DecoratorBlock'])

export interface HandlebarsScannerOptions {
  /**
   * The Handlebars whose parser reads the templates: the module your app renders with. Default: the `handlebars`
   * this package resolves (its peer dependency, normally that same module).
   */
  readonly handlebars?: HandlebarsParserLike
}

/**
 * A {@link TemplateScanner} for Handlebars templates, for the `templates` option of `convoy collect`: it parses each
 * template with `Handlebars.parse` and reads every `{{#carpool "css"}} … {{/carpool}}` block of the AST by the
 * rules of the `carpool` helper, so what `collect` builds is exactly what the helper asks for. Comments
 * (`{{! }}`, `{{!-- --}}`), escaped mustaches (`\{{`) and raw blocks (`{{{{raw}}}} … {{{{/raw}}}}`) that merely show a
 * carpool block are not blocks. A block whose body holds a `{{mustache}}`, a block or a partial is skipped (it cannot
 * be known before a render). Use {@link handlebarsScanner} for the `handlebars` this package resolves.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` for a `handlebars` without `parse()`. `scan()` throws
 * `ERR_CONVOY_TEMPLATE`, with `file`, `line` and `column`, for a malformed block or a template Handlebars cannot parse.
 * @example
 * // convoy.config.ts
 * import Handlebars from 'handlebars'
 * import { defineConfig } from '@convoy/core'
 * import { createHandlebarsScanner } from '@convoy/handlebars'
 *
 * export default defineConfig({
 *   sources: ['static'],
 *   templates: [{ files: ['views/**\/*.hbs'], scanner: createHandlebarsScanner({ handlebars: Handlebars }) }],
 * })
 */
export function createHandlebarsScanner(options: HandlebarsScannerOptions = {}): TemplateScanner {
  const given = (options as Partial<HandlebarsScannerOptions> | null | undefined)?.handlebars
  const handlebars = given === undefined ? (Handlebars as unknown as HandlebarsParserLike) : given
  if (typeof (handlebars as Partial<HandlebarsParserLike> | null)?.parse !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', '@convoy/handlebars: option handlebars must be the Handlebars module (or an environment of it), with parse()')
  }
  return {
    name: 'handlebars',
    scan(text, file) {
      let program: HandlebarsProgram
      try {
        program = handlebars.parse(String(text))
      } catch (error) {
        throw parseError(error, file, handlebars)
      }
      const blocks: CarpoolBlock[] = []
      try {
        visit(program, blocks)
      } catch (error) {
        if (!(error instanceof TemplateUsageError)) throw error
        throw templateError(error.message, file, error.at, error)
      }
      return blocks
    },
  }
}

/**
 * The {@link TemplateScanner} for Handlebars templates, for
 * `templates: [{ files: ['views/**\/*.hbs'], scanner: handlebarsScanner }]` in a Convoy config. See
 * {@link createHandlebarsScanner}.
 *
 * @example
 * import { readFileSync } from 'node:fs'
 * import { handlebarsScanner } from '@convoy/handlebars'
 *
 * handlebarsScanner.scan(readFileSync('views/home.hbs', 'utf8'), 'views/home.hbs')
 * // [{ kind: 'css', members: ['css/reset.css', 'css/base.css'], line: 4 }, …]
 */
export const handlebarsScanner: TemplateScanner = createHandlebarsScanner()

/** The carpool blocks of a program and of the programs of its blocks, in the order they appear. */
function visit(program: HandlebarsProgram, blocks: CarpoolBlock[]): void {
  for (const node of program.body) {
    if (!WITH_PROGRAMS.has(node.type)) continue
    const block = node as HandlebarsBlock
    if (node.type === 'BlockStatement' && isCarpoolBlock(block)) {
      const read = readCarpoolBlock(block)
      if (read !== undefined) blocks.push({ kind: read.kind, members: read.paths, line: block.loc?.start.line ?? 1 })
      continue
    }
    if (block.program) visit(block.program, blocks)
    if (block.inverse) visit(block.inverse, blocks)
  }
}

/**
 * A `ConvoyError` for a template Handlebars cannot parse, at the position Handlebars names: an `Exception`'s own
 * (a block closed by the wrong name), else where its parser stopped (a syntax error).
 */
function parseError(error: unknown, file: string, handlebars: HandlebarsParserLike): ConvoyError {
  const { lineNumber, column } = error as { lineNumber?: unknown; column?: unknown }
  let at: HandlebarsPosition | undefined
  if (typeof lineNumber === 'number' && typeof column === 'number') {
    at = { line: lineNumber, column }
  } else {
    const stopped = handlebars.Parser?.lexer?.yylloc
    if (typeof stopped?.first_line === 'number' && typeof stopped.first_column === 'number') at = { line: stopped.first_line, column: stopped.first_column }
  }
  let message = error instanceof Error ? error.message : String(error)
  // Handlebars' Exception appends " - line:column"; the ConvoyError names the position its own way.
  if (at !== undefined) message = message.replace(new RegExp(` - ${at.line}:${at.column}$`), '')
  const mismatch = /^carpool doesn't match (.+)$/.exec(message)
  if (mismatch !== null) message = CARPOOL_MESSAGES.notClosed(undefined, at?.line ?? 1, `{{/${mismatch[1]}}}`)
  return templateError(message, file, at, error)
}

function templateError(message: string, file: string, at: HandlebarsPosition | undefined, cause: unknown): ConvoyError {
  const line = at?.line ?? 1
  const column = (at?.column ?? 0) + 1
  return new ConvoyError('ERR_CONVOY_TEMPLATE', `@convoy/handlebars: ${file}:${line}:${column}: ${message}`, { file, line, column, cause })
}
