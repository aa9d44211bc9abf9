/** What kind of reference a {@link Reference} is. */
export type ReferenceType =
  /** A CSS `url()` (or a plain string inside `image-set()`) in a declaration value. */
  | 'url'
  /** A CSS `@import`, in either form: `@import "x.css"` or `@import url(x.css)`. */
  | 'import'
  /** A `sourceMappingURL` comment, in CSS (`/*# … *\/`) or JS (`//# …`). */
  | 'sourcemap'
  /** A static ES module specifier: `import … from`, `export … from`, `import './side.js'`. */
  | 'module'
  /** A dynamic `import('./lazy.js')` with a string literal argument. */
  | 'dynamic-import'

/** The quote around a reference in the source; `''` for an unquoted `url()` or a comment. */
export type ReferenceQuote = '"' | "'" | ''

/**
 * One reference found in a stylesheet or script.
 *
 * `start`/`end` delimit exactly the text that {@link replaceReferences} replaces: the value inside its
 * quotes, or the whole unquoted `url()` value without the whitespace around it. `url` is the decoded value
 * (CSS escapes and JS string escapes resolved), so it may differ from `source.slice(start, end)`.
 */
export interface Reference {
  readonly type: ReferenceType
  /** The decoded URL or specifier. */
  readonly url: string
  /** Offset (UTF-16 code units) of the first character to replace. */
  readonly start: number
  /** Offset just after the last character to replace (`start === end` for an empty `url()`). */
  readonly end: number
  /** 1-based line of `start`. */
  readonly line: number
  /** 1-based column of `start` (UTF-16 code units; a leading byte-order mark is not counted). */
  readonly column: number
  readonly quote: ReferenceQuote
}

/** A new URL for one reference, for {@link replaceReferences}. */
export interface ReferenceReplacement {
  readonly reference: Reference
  /** The new URL, unescaped: escaping for the reference's context is done by `replaceReferences`. */
  readonly url: string
}

/** Why {@link resolveReference} leaves a URL alone. */
export type SkipReason = 'external' | 'protocol-relative' | 'fragment' | 'empty' | 'outside-base'

/** The result of {@link resolveReference}. */
export type ResolvedReference =
  /** A file of the tree: `path` is its logical path (decoded, `/`-separated); `suffix` the query and fragment, verbatim. */
  | { readonly kind: 'local'; readonly path: string; readonly suffix: string }
  /** Not a reference to a file of the tree; leave it alone. */
  | { readonly kind: 'skip'; readonly reason: SkipReason }
  /** A relative URL whose `..` climbs above the root of the tree; `path` is relative to the root (`../x.png`). */
  | { readonly kind: 'outside-root'; readonly path: string }

/** A reference as a finder first sees it, before its line and column are worked out (internal to the finders). */
export type FoundReference = Omit<Reference, 'line' | 'column'>
