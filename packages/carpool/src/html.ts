import type { CarpoolKind } from './name.js'

/** What a tag template receives. Every value is already HTML-escaped for a double-quoted attribute. */
export interface CarpoolTagContext {
  readonly kind: CarpoolKind
  /** The URL of the bundle or member, escaped. */
  readonly url: string
  /** ` integrity="sha384-…" crossorigin="anonymous"` (leading space included), or `''` when off or unknown. */
  readonly integrity: string
}

/** What a comment template receives. Every value is already HTML-escaped. */
export interface CarpoolCommentContext {
  readonly kind: CarpoolKind
  /** How many members the carpool has, as text. */
  readonly count: string
  /** The members' logical paths, joined by `, `. */
  readonly paths: string
}

/** A tag: a string with `{url}` and `{integrity}` placeholders, or a function of the (escaped) values. */
export type CarpoolTagTemplate = string | ((context: CarpoolTagContext) => string)

/** A comment: a string with `{kind}`, `{count}` and `{paths}` placeholders, a function, or falsy for none. */
export type CarpoolCommentTemplate = string | ((context: CarpoolCommentContext) => string) | false | null | undefined

/** How carpools are written into the page. */
export interface CarpoolHtmlOptions {
  /** Default `<link rel="stylesheet" href="{url}"{integrity}>`. */
  readonly cssTag?: CarpoolTagTemplate
  /** Default `<script src="{url}"{integrity}></script>`. */
  readonly jsTag?: CarpoolTagTemplate
  /** Default `<!-- carpool {kind}: {count} files -->`; falsy (`false`, `null`, `''`) for none. */
  readonly startComment?: CarpoolCommentTemplate
  /** Default `<!-- /carpool -->`; falsy for none. */
  readonly endComment?: CarpoolCommentTemplate
  /** Add an `integrity` attribute (SRI, sha384) to every tag whose file's integrity is known. Default `false`. */
  readonly integrity?: boolean
  /**
   * The `crossorigin` attribute written with `integrity`. Default `'anonymous'`: a browser checks integrity only on
   * CORS responses, so a file on a CDN or bucket needs it (same-origin requests still send cookies). `false` for none.
   */
  readonly crossorigin?: 'anonymous' | 'use-credentials' | false
}

/** One file to link. */
export interface CarpoolTag {
  /** The URL, unescaped. */
  readonly url: string
  /** Its SRI integrity, when known. */
  readonly integrity?: string | undefined
}

/** Writes carpool HTML with fixed options. */
export interface CarpoolHtml {
  /** One tag. */
  tag(kind: CarpoolKind, tag: CarpoolTag): string
  /** Start comment, the tags, end comment, joined by newlines (missing comments are left out). */
  render(kind: CarpoolKind, tags: readonly CarpoolTag[], logicalPaths: readonly string[]): string
}

export const DEFAULT_CSS_TAG = '<link rel="stylesheet" href="{url}"{integrity}>'
export const DEFAULT_JS_TAG = '<script src="{url}"{integrity}></script>'
export const DEFAULT_START_COMMENT = '<!-- carpool {kind}: {count} files -->'
export const DEFAULT_END_COMMENT = '<!-- /carpool -->'

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * Escapes `& < > " '` for HTML text and attribute values (either quote). Inside a comment it also keeps `-->` out.
 *
 * @example
 * escapeHtml('a"<b>&\'') // 'a&quot;&lt;b&gt;&amp;&#39;'
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character]!)
}

type Placeholder = 'url' | 'integrity' | 'kind' | 'count' | 'paths'

function fill(template: string, values: Readonly<Partial<Record<Placeholder, string>>>): string {
  return template.replace(/\{(url|integrity|kind|count|paths)\}/g, (placeholder, name: Placeholder) => values[name] ?? placeholder)
}

/**
 * The HTML writer for carpools: tags and comments from templates, with every interpolated value escaped.
 *
 * @example
 * const html = createCarpoolHtml({ integrity: true, startComment: false, endComment: false })
 * html.tag('js', { url: '/static/CARPOOL/js/1a2b3c4d5e6f.cmin.js', integrity: 'sha384-…' })
 * // '<script src="/static/CARPOOL/js/1a2b3c4d5e6f.cmin.js" integrity="sha384-…" crossorigin="anonymous"></script>'
 */
export function createCarpoolHtml(options: CarpoolHtmlOptions = {}): CarpoolHtml {
  const {
    cssTag = DEFAULT_CSS_TAG,
    jsTag = DEFAULT_JS_TAG,
    startComment = DEFAULT_START_COMMENT,
    endComment = DEFAULT_END_COMMENT,
    integrity = false,
    crossorigin = 'anonymous',
  } = options
  const crossoriginAttribute = crossorigin === false ? '' : ` crossorigin="${escapeHtml(crossorigin)}"`

  const tag = (kind: CarpoolKind, file: CarpoolTag): string => {
    const context: CarpoolTagContext = {
      kind,
      url: escapeHtml(file.url),
      integrity:
        integrity && file.integrity !== undefined && file.integrity !== ''
          ? ` integrity="${escapeHtml(file.integrity)}"${crossoriginAttribute}`
          : '',
    }
    const template = kind === 'css' ? cssTag : jsTag
    return typeof template === 'function' ? template(context) : fill(template, context)
  }

  const comment = (template: CarpoolCommentTemplate, context: CarpoolCommentContext): string | undefined => {
    if (!template) return undefined
    return typeof template === 'function' ? template(context) : fill(template, context)
  }

  return {
    tag,
    render(kind, tags, logicalPaths) {
      const context: CarpoolCommentContext = {
        kind,
        count: String(logicalPaths.length),
        paths: escapeHtml(logicalPaths.join(', ')),
      }
      const lines: string[] = []
      const start = comment(startComment, context)
      if (start) lines.push(start)
      for (const file of tags) lines.push(tag(kind, file))
      const end = comment(endComment, context)
      if (end) lines.push(end)
      return lines.join('\n')
    },
  }
}
