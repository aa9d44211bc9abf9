// The slice of Handlebars' API that the helpers and the scanner use. Handlebars documents its AST
// (docs/compiler-api.md in its repository) and ships types, but declares the AST in a global namespace and leaves
// out `options.loc`, so we declare exactly what we rely on here (handlebars 4.x).

/** 1-based line, 0-based column, as Handlebars reports them. */
export interface HandlebarsPosition {
  readonly line: number
  readonly column: number
}

export interface HandlebarsLocation {
  /** The `srcName` the template was compiled with, when one was given. */
  readonly source?: string
  readonly start: HandlebarsPosition
  readonly end?: HandlebarsPosition
}

export interface HandlebarsNode {
  readonly type: string
  readonly loc?: HandlebarsLocation | null
}

export interface HandlebarsProgram extends HandlebarsNode {
  readonly body: readonly HandlebarsNode[]
  readonly blockParams?: readonly string[] | null
}

export interface HandlebarsExpression extends HandlebarsNode {
  /** `PathExpression`: the path as written (`carpool`, `this.x`, `@root.y`). */
  readonly original?: unknown
  /** `PathExpression`: the parts, without `this`/data prefixes. */
  readonly parts?: readonly string[]
  /** `PathExpression`: `@` paths. */
  readonly data?: boolean
  /** `StringLiteral`, `NumberLiteral`, `BooleanLiteral`. */
  readonly value?: unknown
}

export interface HandlebarsBlock extends HandlebarsNode {
  readonly path: HandlebarsExpression
  readonly params: readonly HandlebarsExpression[]
  readonly hash?: { readonly pairs: readonly HandlebarsNode[] } | null
  readonly program?: HandlebarsProgram | null
  readonly inverse?: HandlebarsProgram | null
}

export interface HandlebarsContent extends HandlebarsNode {
  readonly type: 'ContentStatement'
  /** The text once whitespace control and standalone-line stripping applied: what a render outputs. */
  readonly value: string
}

/** What Handlebars passes as the last argument of a helper (`loc` since 4.1). */
export interface HandlebarsHelperOptions {
  /** Block helpers only: renders the block's body. */
  readonly fn?: (context: unknown, options?: object) => string
  readonly inverse?: (context: unknown, options?: object) => string
  readonly hash?: Readonly<Record<string, unknown>>
  /** `@data`: `root` is the context the template was called with, plus any `data` given to the call. */
  readonly data?: Readonly<Record<string, unknown>> & { readonly root?: unknown }
  readonly loc?: HandlebarsLocation
  readonly name?: string
}

/** A Handlebars helper: the arguments of the call, then Handlebars' options object. */
export type HandlebarsHelper = (this: unknown, ...args: unknown[]) => unknown

/** The part of a Handlebars environment (the module, or one made with `Handlebars.create()`) that is used here. */
export interface HandlebarsLike {
  registerHelper(name: string, helper: HandlebarsHelper): void
  /** Handlebars' `SafeString`: a helper returning one is inserted without escaping. */
  readonly SafeString?: new (html: string) => object
}

/** What the scanner needs: `Handlebars.parse` (and, for positions of syntax errors, its parser's lexer). */
export interface HandlebarsParserLike {
  parse(input: string): HandlebarsProgram
  readonly Parser?: { readonly lexer?: { readonly yylloc?: { readonly first_line?: number; readonly first_column?: number } } }
}
