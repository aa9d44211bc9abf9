import { ConvoyError } from '@convoy/errors'
import { CssSyntaxError, parse, type AtRule, type ChildNode, type Comment, type Declaration } from 'postcss'
import valueParser, { type FunctionNode, type Node as ValueNode, type StringNode } from 'postcss-value-parser'
import { decodeCssEscapes, unquotedUrlRange } from './css-escapes.js'
import { createPositionFinder, type Position } from './position.js'
import type { FoundReference, Reference, ReferenceType } from './types.js'

/** Options of {@link findCssReferences}. */
export interface FindCssReferencesOptions {
  /** The file name used in error messages and in `ConvoyError.file`. Default: none. */
  readonly file?: string
}

const SOURCE_MAPPING_URL = /^[#@]\s*sourceMappingURL=(\S*?)\s*$/d
const IMAGE_SET = new Set(['image-set', '-webkit-image-set'])

/**
 * Finds every reference of a stylesheet: `url()` in declaration values (custom properties included), plain
 * strings in `image-set()`, both forms of `@import`, and the last `sourceMappingURL` comment. Nothing inside a
 * comment, a selector, another string or another at-rule's prelude is a reference. Sorted by offset.
 *
 * @throws {ConvoyError} `ERR_CONVOY_STEP` with `line`/`column` when postcss cannot parse the stylesheet.
 * @example
 * findCssReferences('a { background: url("../img/a.png") }')
 * // [{ type: 'url', url: '../img/a.png', start: 21, end: 33, line: 1, column: 22, quote: '"' }]
 */
export function findCssReferences(css: string, options: FindCssReferencesOptions = {}): Reference[] {
  const root = parseCss(css, options.file)
  // postcss drops a leading byte-order mark, so its offsets are shifted by one.
  const input = root.source?.input.css ?? css
  const shift = css.length - input.length
  const found: FoundReference[] = []
  let sourceMap: FoundReference | undefined

  root.walk((node: ChildNode) => {
    if (node.type === 'decl') collectDeclaration(node, input, found, options.file)
    else if (node.type === 'atrule') collectAtRule(node, input, found, options.file)
    else if (node.type === 'comment') sourceMap = findSourceMappingUrl(node, input) ?? sourceMap
  })
  // As for JS, the last sourceMappingURL comment is the one that counts.
  if (sourceMap !== undefined) found.push(sourceMap)

  const position = createPositionFinder(css)
  return found
    .map((item) => ({ ...item, start: item.start + shift, end: item.end + shift }))
    .sort((a, b) => a.start - b.start)
    .map((item) => ({ ...item, ...position(item.start) }))
}

function parseCss(css: string, file: string | undefined): ReturnType<typeof parse> {
  try {
    // `map: false`: postcss would otherwise decode an inline source map, or read the annotated map file from disk,
    // and throw on a broken one. A map is only a reference here.
    return parse(css, { map: false })
  } catch (error) {
    if (error instanceof CssSyntaxError) {
      const where = `${file ?? '<css>'}${error.line === undefined ? '' : `:${error.line}:${error.column ?? 1}`}`
      throw new ConvoyError('ERR_CONVOY_STEP', `@convoy/references: cannot parse CSS at ${where}: ${error.reason}`, {
        cause: error,
        ...(file === undefined ? {} : { file }),
        ...(error.line === undefined ? {} : { line: error.line }),
        ...(error.column === undefined ? {} : { column: error.column }),
      })
    }
    throw error
  }
}

function startOffset(node: ChildNode): number {
  const offset = node.source?.start?.offset
  if (offset === undefined) {
    throw new ConvoyError('ERR_CONVOY_STEP', '@convoy/references: postcss gave a node without a source offset')
  }
  return offset
}

/** Guards the offset arithmetic below: a reference is only ever reported at text that really is there. */
function locate(input: string, raw: string, offset: number, node: ChildNode, file: string | undefined): number {
  if (input.startsWith(raw, offset)) return offset
  const start: Position = node.source?.start ?? { line: 1, column: 1 }
  throw new ConvoyError(
    'ERR_CONVOY_STEP',
    `@convoy/references: cannot locate the value at ${file ?? '<css>'}:${start.line}:${start.column}`,
    { ...(file === undefined ? {} : { file }), line: start.line, column: start.column },
  )
}

function collectDeclaration(decl: Declaration, input: string, found: FoundReference[], file: string | undefined): void {
  const raw = (decl.raws.value as { raw?: string } | undefined)?.raw ?? decl.value
  if (!/url|image-set/i.test(raw) && !raw.includes('\\')) return
  const start = startOffset(decl)
  // postcss moves an IE hack prefix (`*zoom`, `_height`) from the property name to `raws.before`.
  const hack = input[start] === '*' || input[start] === '_' ? 1 : 0
  const offset = locate(input, raw, start + hack + decl.prop.length + (decl.raws.between ?? '').length, decl, file)
  collectValue(valueParser(raw).nodes, raw, offset, 'url', found)
}

function collectAtRule(rule: AtRule, input: string, found: FoundReference[], file: string | undefined): void {
  // Only @import fetches what its prelude names: @namespace names a namespace, @supports and @document
  // only test or match URLs.
  if (rule.name.toLowerCase() !== 'import') return
  const raw = (rule.raws.params as { raw?: string } | undefined)?.raw ?? rule.params
  const offset = locate(input, raw, startOffset(rule) + 1 + rule.name.length + (rule.raws.afterName ?? '').length, rule, file)
  const first = valueParser(raw).nodes.find((node) => node.type !== 'space' && node.type !== 'comment')
  if (first?.type === 'string') collectString(first, offset, 'import', found)
  else if (first?.type === 'function' && isUrlFunction(first)) collectUrlFunction(first, raw, offset, 'import', found)
}

/** `value` is the text postcss-value-parser parsed, `offset` where it starts in the stylesheet. */
function collectValue(nodes: readonly ValueNode[], value: string, offset: number, type: ReferenceType, found: FoundReference[]): void {
  for (const node of nodes) {
    if (node.type !== 'function') continue
    if (isUrlFunction(node)) {
      collectUrlFunction(node, value, offset, type, found)
      continue
    }
    if (IMAGE_SET.has(node.value.toLowerCase())) {
      for (const child of node.nodes) if (child.type === 'string') collectString(child, offset, type, found)
    }
    collectValue(node.nodes, value, offset, type, found)
  }
}

function isUrlFunction(node: FunctionNode): boolean {
  return decodeCssEscapes(node.value, false).toLowerCase() === 'url'
}

function collectUrlFunction(node: FunctionNode, value: string, offset: number, type: ReferenceType, found: FoundReference[]): void {
  if (node.unclosed === true) return
  const first = node.nodes.find((child) => child.type !== 'space' && child.type !== 'comment')
  if (first?.type === 'string') {
    collectString(first, offset, type, found)
    return
  }
  // Unquoted: read the text between the parentheses as a url token. postcss-value-parser only keeps it in one
  // piece for a lowercase `url(`; `URL(a/b.png)` comes back split into words.
  const innerStart = node.sourceIndex + node.value.length + 1
  if (value[node.sourceEndIndex - 1] !== ')') return
  const inner = unquotedUrlRange(value.slice(innerStart, node.sourceEndIndex - 1))
  if (inner === undefined) return
  found.push({
    type,
    url: decodeCssEscapes(inner.text, false),
    start: offset + innerStart + inner.start,
    end: offset + innerStart + inner.end,
    quote: '',
  })
}

function collectString(node: StringNode, offset: number, type: ReferenceType, found: FoundReference[]): void {
  if (node.unclosed === true) return
  found.push({
    type,
    url: decodeCssEscapes(node.value, true),
    start: offset + node.sourceIndex + 1,
    end: offset + node.sourceEndIndex - 1,
    quote: node.quote,
  })
}

function findSourceMappingUrl(comment: Comment, input: string): FoundReference | undefined {
  const start = startOffset(comment)
  const end = comment.source?.end?.offset
  if (end === undefined) return undefined
  const text = input.slice(start, end)
  if (!text.startsWith('/*') || !text.endsWith('*/')) return undefined
  const match = SOURCE_MAPPING_URL.exec(text.slice(2, -2))
  const range = match?.indices?.[1]
  if (match === null || range === undefined) return undefined
  return { type: 'sourcemap', url: match[1]!, start: start + 2 + range[0], end: start + 2 + range[1], quote: '' }
}
