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
  /** The lexer's token stream; its `lineno`/`colno` (0-based) are where it stands. */
  readonly tokens: { readonly lineno: number; readonly colno: number }
  nextToken(): NunjucksToken | null
  peekToken(): NunjucksToken | null
  skipSymbol(name: string): boolean
  parseExpression(): NunjucksNode
  parseUntilBlocks(...tagNames: string[]): NunjucksNodeList
  /** Parses the tag whose name is the next token (the parser stands after its block start); `null` for a tag it stops at. */
  parseStatement(): NunjucksNode | null
  advanceAfterBlockEnd(tagName?: string): NunjucksToken
  /** Throws a Nunjucks `TemplateError`; line and column are the token's 0-based ones. */
  fail(message: string, lineno?: number, colno?: number): never
}

export interface NunjucksLexer {
  readonly TOKEN_BLOCK_START: string
  readonly TOKEN_BLOCK_END: string
  readonly TOKEN_SYMBOL: string
  readonly TOKEN_STRING: string
}

/** Tag delimiters, as in the `tags` option of a Nunjucks `Environment`. */
export interface NunjucksTags {
  readonly blockStart?: string
  readonly blockEnd?: string
  readonly variableStart?: string
  readonly variableEnd?: string
  readonly commentStart?: string
  readonly commentEnd?: string
}

/** `nunjucks.lexer` and `nunjucks.parser`: the token stream of a template and a parser over it. */
export interface NunjucksGrammar {
  readonly lexer: NunjucksLexer & { lex(src: string, options?: { tags?: NunjucksTags }): unknown }
  readonly parser: { readonly Parser: new (tokens: unknown) => NunjucksParser }
}
