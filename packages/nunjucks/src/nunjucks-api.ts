// The slice of Nunjucks' parser API that our tags use. Nunjucks documents custom tags
// ("Custom Tags" in its API docs) but ships no types for the parser, and @types/nunjucks
// types it as `any`, so we declare exactly what we rely on here (nunjucks 3.x).

export interface NunjucksToken {
  readonly type: string
  readonly value: string
  /** 0-based, as the lexer produces it; `parser.fail()` adds 1. */
  readonly lineno: number
  readonly colno: number
}

export interface NunjucksNode {
  readonly typename: string
  readonly lineno: number
  readonly colno: number
}

export interface NunjucksNodeList extends NunjucksNode {
  readonly children: NunjucksNode[]
}

export interface NunjucksLiteral extends NunjucksNode {
  readonly value: unknown
}

export interface NunjucksSetNode extends NunjucksNode {
  body: NunjucksNode | null
  value: NunjucksNode | null
}

export interface NunjucksCallExtensionNode extends NunjucksNode {
  /** Whether the compiled call's result is escaped when the environment autoescapes. */
  autoescape: boolean | undefined
}

type NodeConstructor<TNode, TArgs extends unknown[]> = new (lineno: number, colno: number, ...args: TArgs) => TNode

export interface NunjucksNodes {
  NodeList: NodeConstructor<NunjucksNodeList, [children?: NunjucksNode[]]>
  Array: NodeConstructor<NunjucksNodeList, [children?: NunjucksNode[]]>
  Literal: NodeConstructor<NunjucksLiteral, [value: unknown]>
  Symbol: NodeConstructor<NunjucksLiteral, [name: string]>
  Set: NodeConstructor<NunjucksSetNode, [targets: NunjucksNode[]]>
  Capture: NodeConstructor<NunjucksNode, [body: NunjucksNodeList]>
  CallExtension: new (extension: object, method: string, args: NunjucksNodeList) => NunjucksCallExtensionNode
}

export interface NunjucksParser {
  nextToken(): NunjucksToken | null
  peekToken(): NunjucksToken | null
  skipSymbol(name: string): boolean
  parseExpression(): NunjucksNode
  parseUntilBlocks(...tagNames: string[]): NunjucksNodeList
  advanceAfterBlockEnd(tagName?: string): NunjucksToken
  /** Throws a Nunjucks `TemplateError`; line and column are the token's 0-based ones. */
  fail(message: string, lineno?: number, colno?: number): never
}

export interface NunjucksLexer {
  readonly TOKEN_BLOCK_END: string
  readonly TOKEN_SYMBOL: string
  readonly TOKEN_STRING: string
}
