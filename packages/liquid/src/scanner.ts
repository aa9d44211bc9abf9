import type { CarpoolBlock, TemplateScanner } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import { CommentTag, Liquid, LiquidError, RawTag, Tokenizer, type Token } from 'liquidjs'
import { CARPOOL_TAG, consume, isTag, lineOf, readCarpoolBlock } from './carpool-block.js'

const DELIMITERS = ['tagDelimiterLeft', 'tagDelimiterRight', 'outputDelimiterLeft', 'outputDelimiterRight'] as const

/** Tag and output delimiters, as in the options of a LiquidJS `Liquid` instance. */
export interface LiquidDelimiters {
  readonly tagDelimiterLeft?: string
  readonly tagDelimiterRight?: string
  readonly outputDelimiterLeft?: string
  readonly outputDelimiterRight?: string
}

export interface LiquidScannerOptions {
  /**
   * The delimiters of your templates: those you give your `Liquid` instance, e.g.
   * `{ tagDelimiterLeft: '<%', tagDelimiterRight: '%>' }`. Default: LiquidJS's own (`{% %}`, `{{ }}`).
   */
  readonly delimiters?: LiquidDelimiters
}

/**
 * A {@link TemplateScanner} for Liquid templates, for the `templates` option of `convoy collect`: it finds the
 * `{% carpool css|js %} … {% endcarpool %}` blocks with LiquidJS's own tokenizer and reads each one with the same
 * code as the `{% carpool %}` tag, so what `collect` builds is exactly what the tag asks for. `{% raw %}` and
 * `{% comment %}` blocks that merely show a carpool tag are not blocks (LiquidJS's own tags consume them), and the
 * app's own tags are fine: only carpool blocks are read. A block whose body holds an `{{ output }}` or another tag
 * is skipped (it cannot be known before a render, and the tag refuses it). Use {@link liquidScanner} for the
 * default delimiters.
 *
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` for `delimiters` that are not non-empty strings. `scan()` throws
 * `ERR_CONVOY_TEMPLATE`, with `file`, `line` and `column`, for a malformed block or a template LiquidJS cannot read.
 * @example
 * // convoy.config.ts, for a Liquid instance created with { tagDelimiterLeft: '<%', tagDelimiterRight: '%>' }
 * import { defineConfig } from '@convoy/core'
 * import { createLiquidScanner } from '@convoy/liquid'
 *
 * export default defineConfig({
 *   sources: ['static'],
 *   templates: [{ files: ['views/**\/*.liquid'], scanner: createLiquidScanner({ delimiters: { tagDelimiterLeft: '<%', tagDelimiterRight: '%>' } }) }],
 * })
 */
export function createLiquidScanner(options: LiquidScannerOptions = {}): TemplateScanner {
  const delimiters = checkDelimiters((options as Partial<LiquidScannerOptions> | null | undefined)?.delimiters)
  // Only for its normalized options and as the engine LiquidJS's comment and raw tags belong to: nothing is rendered.
  const liquid = new Liquid(delimiters)
  return {
    name: 'liquid',
    scan(text, file) {
      const blocks: CarpoolBlock[] = []
      try {
        const tokens = new Tokenizer(String(text), liquid.options.operators, file).readTopLevelTokens(liquid.options)
        for (let token = tokens.shift(); token !== undefined; token = tokens.shift()) {
          if (!isTag(token)) continue
          if (token.name === CARPOOL_TAG) {
            const block = readCarpoolBlock(token, tokens, liquid, 'skip')
            if (block !== undefined) blocks.push({ kind: block.kind, members: block.paths, line: lineOf(token) })
          } else if (token.name === 'comment') {
            // Up to the matching {% endcomment %}, exactly as LiquidJS reads it: whatever tags it shows are not tags.
            consume(CommentTag, token, tokens, liquid)
          } else if (token.name === 'raw') {
            consume(RawTag, token, tokens, liquid)
          }
        }
      } catch (error) {
        throw scanError(error, file)
      }
      return blocks
    },
  }
}

/**
 * The {@link TemplateScanner} for Liquid templates with the default delimiters, for
 * `templates: [{ files: ['views/**\/*.liquid'], scanner: liquidScanner }]` in a Convoy config. See
 * {@link createLiquidScanner}.
 *
 * @example
 * import { readFileSync } from 'node:fs'
 * import { liquidScanner } from '@convoy/liquid'
 *
 * liquidScanner.scan(readFileSync('views/home.liquid', 'utf8'), 'views/home.liquid')
 * // [{ kind: 'css', members: ['css/reset.css', 'css/base.css'], line: 4 }, …]
 */
export const liquidScanner: TemplateScanner = createLiquidScanner()

function checkDelimiters(delimiters: unknown): LiquidDelimiters {
  if (delimiters === undefined) return {}
  const record = delimiters as Record<string, unknown> | null
  if (typeof record !== 'object' || record === null || DELIMITERS.some((name) => record[name] !== undefined && (typeof record[name] !== 'string' || record[name] === ''))) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/liquid: option delimiters must be an object of delimiter strings (${DELIMITERS.join(', ')}), like a Liquid instance's options`)
  }
  return Object.fromEntries(DELIMITERS.filter((name) => record[name] !== undefined).map((name) => [name, record[name]]))
}

/** A `ConvoyError` naming the template and the position of a failure, with LiquidJS's message without its own position. */
function scanError(error: unknown, file: string): ConvoyError {
  const token: Token | undefined = LiquidError.is(error) ? error.token : undefined
  const [line = 1, column = 1] = token?.getPosition() ?? []
  const message = withoutPosition(error instanceof Error ? error.message : String(error), token, line, column)
  return new ConvoyError('ERR_CONVOY_TEMPLATE', `@convoy/liquid: ${file}:${line}:${column}: ${message}`, { file, line, column, cause: error })
}

/** LiquidJS appends `, file:…, line:…, col:…` to its messages; the ConvoyError names the position its own way. */
function withoutPosition(message: string, token: Token | undefined, line: number, column: number): string {
  const suffix = `${token?.file === undefined ? '' : `, file:${token.file}`}, line:${line}, col:${column}`
  return message.endsWith(suffix) ? message.slice(0, -suffix.length) : message
}
