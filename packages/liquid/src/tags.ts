import { createTemplateTagRuntime, describeTemplateValue, type ConvoyRenderer, type ConvoyTemplateContext, type TemplateTagOptions } from '@convoy/carpool'
import { ConvoyError } from '@convoy/errors'
import { Tag, Tokenizer, Value, type Context, type Emitter, type Liquid, type TagToken, type TopLevelToken } from 'liquidjs'
import { readCarpoolBlock, type CarpoolBlockRead } from './carpool-block.js'

/**
 * Options of the tags: `getAcceptEncoding(context)` finds the request's `Accept-Encoding` for one render, where
 * `context.lookup(name)` reads a variable of the render (the scope given to `render()`, `res.locals` with Express, an
 * `{% assign %}`) or a global, `undefined` when there is none (also with `strictVariables`). Default:
 * `acceptEncodingFromContext` (`@convoy/carpool`).
 */
export type ConvoyTagsOptions = TemplateTagOptions

/** A LiquidJS tag class, for `liquid.registerTag(name, tag)`. */
export type ConvoyTagClass = new (token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) => Tag

/** The tags {@link createConvoyTags} makes, by the name they are registered under. */
export interface ConvoyTags {
  readonly convoy: ConvoyTagClass
  readonly carpool: ConvoyTagClass
}

/** The part of a LiquidJS `Liquid` instance that {@link addConvoyTags} uses. */
export interface LiquidLike {
  registerTag(name: string, tag: ConvoyTagClass): unknown
}

const CONVOY_USAGE = "{% convoy 'css/base.css' %} or {% convoy 'css/base.css' as base_css %}"

/**
 * Creates the LiquidJS tags behind `{% convoy %}` and `{% carpool %}` for one Convoy runtime, to register with
 * `liquid.registerTag('convoy', tags.convoy)` and `liquid.registerTag('carpool', tags.carpool)`. Lookups happen at
 * render time, so `convoy.reload()` takes effect without parsing templates again. Prefer {@link addConvoyTags},
 * which also registers them.
 *
 * @param convoy any object returned by `createConvoy()` from `@convoy/core`.
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when `convoy` has no `url()` and `carpool()`, or `getAcceptEncoding` is
 * not a function.
 * @example
 * const tags = createConvoyTags(await createConvoy({ manifest: 'public/static/convoy-manifest.json' }))
 * const liquid = new Liquid({ root: 'views', extname: '.liquid' })
 * liquid.registerTag('convoy', tags.convoy)
 * liquid.registerTag('carpool', tags.carpool)
 */
export function createConvoyTags(convoy: ConvoyRenderer, options: ConvoyTagsOptions = {}): ConvoyTags {
  const tags = createTemplateTagRuntime(convoy, options, { packageName: '@convoy/liquid', urlTag: '{% convoy %}' })

  class ConvoyTag extends Tag {
    private readonly path: Value
    private readonly target: ReturnType<Tokenizer['readIdentifier']> | undefined

    constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
      super(token, remainTokens, liquid)
      const tokenizer = this.tokenizer
      tokenizer.skipBlank()
      if (tokenizer.end() || /^as(?:\s+[\w-]+)?\s*$/.test(tokenizer.remaining())) {
        throw tokenizer.error(`{% convoy %} needs a logical path: ${CONVOY_USAGE}`, token.begin)
      }
      const unexpected = (reader: Tokenizer): Error => {
        const rest = reader.remaining().trim()
        return reader.error(`{% convoy %} takes one logical path and an optional "as name": ${CONVOY_USAGE}; unexpected "${rest}"`, reader.p)
      }
      // The path ends at `as`: LiquidJS would read an `as name` as more arguments of the path's last filter.
      const as = findAs(tokenizer.remaining())
      const pathEnd = as === undefined ? tokenizer.N : tokenizer.p + as
      const reader = new Tokenizer(token.input, liquid.options.operators, token.file, [tokenizer.p, pathEnd], liquid.options.groupedExpressions)
      const value = reader.readFilteredValue()
      // One operand: LiquidJS reads `'a.css' 'b.css'` as an expression of two, and would use the first.
      const second = value.initial.postfix[1]
      if (second !== undefined) reader.p = second.begin
      reader.skipBlank()
      if (!reader.end()) throw unexpected(reader)
      this.path = new Value(value, liquid)
      if (as === undefined) return

      tokenizer.p = pathEnd
      tokenizer.skipBlank()
      tokenizer.readIdentifier()
      tokenizer.skipBlank()
      const target = tokenizer.readIdentifier()
      if (target.content === '') {
        throw tokenizer.error(`{% convoy %} needs a variable name after "as": ${CONVOY_USAGE}`, tokenizer.p)
      }
      tokenizer.skipBlank()
      if (!tokenizer.end()) throw unexpected(tokenizer)
      this.target = target
    }

    *render(ctx: Context, emitter: Emitter): Generator<unknown, void, unknown> {
      const path: unknown = yield this.path.value(ctx, false)
      const url = tags.url(path, templateContext(ctx))
      if (this.target !== undefined) {
        // Like {% assign %}: the variable holds the raw URL, and {{ name }} escapes it once (with outputEscape).
        ctx.bottom()[this.target.content] = url
        return
      }
      // Like {% echo %}: escaped when the engine escapes output (outputEscape), as an attribute needs.
      const escape = this.liquid.options.outputEscape
      emitter.write(escape === undefined ? url : yield escape.call({ context: ctx, token: this.token, liquid: this.liquid }, url))
    }

    // For LiquidJS's static analysis (liquid.variables() and friends).
    *arguments(): Generator<Value> {
      yield this.path
    }

    *localScope(): Generator<ReturnType<Tokenizer['readIdentifier']>> {
      if (this.target !== undefined) yield this.target
    }
  }

  class CarpoolTag extends Tag {
    private readonly block: CarpoolBlockRead

    constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
      super(token, remainTokens, liquid)
      this.block = readCarpoolBlock(token, remainTokens, liquid, 'fail')
    }

    render(ctx: Context, emitter: Emitter): void {
      // The runtime escapes every value it interpolates; escaping again would break the tags.
      emitter.write(tags.carpool(this.block.kind, this.block.paths, templateContext(ctx)))
    }
  }

  return { convoy: ConvoyTag, carpool: CarpoolTag }
}

/**
 * Registers the `{% convoy %}` and `{% carpool %}` tags on a LiquidJS `Liquid` instance and returns it.
 * Registering again replaces the previous tags (for templates parsed from then on).
 *
 * @param convoy any object returned by `createConvoy()` from `@convoy/core`.
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when `liquid` is not a `Liquid` instance, or as {@link createConvoyTags}.
 * @example
 * const convoy = await createConvoy({ manifest: 'public/static/convoy-manifest.json', baseUrl: '/static/' })
 * const liquid = addConvoyTags(new Liquid({ root: 'views', extname: '.liquid', outputEscape: 'escape' }), convoy)
 */
export function addConvoyTags<TLiquid extends LiquidLike>(liquid: TLiquid, convoy: ConvoyRenderer, options: ConvoyTagsOptions = {}): TLiquid {
  if (typeof (liquid as Partial<LiquidLike> | null | undefined)?.registerTag !== 'function') {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/liquid: addConvoyTags() needs a LiquidJS Liquid instance, got ${describeTemplateValue(liquid)}`)
  }
  const tags = createConvoyTags(convoy, options)
  liquid.registerTag('convoy', tags.convoy)
  liquid.registerTag('carpool', tags.carpool)
  return liquid
}

/** Where a word `as` starts (after blanks) in a tag's arguments, outside quoted strings; `undefined` for none. */
function findAs(args: string): number | undefined {
  let quote: string | undefined
  for (let index = 0; index < args.length; index++) {
    const char = args[index]!
    if (quote !== undefined) {
      if (char === quote) quote = undefined
    } else if (char === "'" || char === '"') {
      quote = char
    } else if (/\s/.test(char) && /^\s+as(?:\s|$)/.test(args.slice(index))) {
      return index
    }
  }
  return undefined
}

/** A render's variables for `getAcceptEncoding`: LiquidJS's own lookup, `undefined` for a missing one even with strictVariables. */
function templateContext(ctx: Context): ConvoyTemplateContext {
  return {
    lookup(name) {
      try {
        return ctx.getSync([name])
      } catch {
        return undefined
      }
    },
  }
}
