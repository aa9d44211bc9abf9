/**
 * What {@link acceptEncodingFromContext} and a custom `getAcceptEncoding` see of a render: `lookup(name)` returns a
 * variable of the render (the scope given to `render()`, `res.locals` with Express, an `{% assign %}`) or a global,
 * `undefined` when there is none (also with `strictVariables`).
 */
export interface ConvoyTemplateContext {
  lookup(name: string): unknown
}

/**
 * The default way the tags find the request's `Accept-Encoding`, in this order:
 * 1. an `acceptEncoding` string variable in the render;
 * 2. `req.headers['accept-encoding']` — a Node/Express/Connect request passed as `req`;
 * 3. the same on a variable named `request` (a Node request, or a Fetch API `Request` whose `headers.get()` is used).
 *
 * Returns `undefined` when none is present; the runtime then links no precompressed variant.
 *
 * @example
 * addConvoyTags(liquid, convoy, {
 *   // also look at a custom variable, then fall back to the default rules
 *   getAcceptEncoding: (context) => (context.lookup('encodings') as string | undefined) ?? acceptEncodingFromContext(context),
 * })
 */
export function acceptEncodingFromContext(context: ConvoyTemplateContext): string | undefined {
  const explicit = context.lookup('acceptEncoding')
  if (typeof explicit === 'string') return explicit
  return acceptEncodingOf(context.lookup('req')) ?? acceptEncodingOf(context.lookup('request'))
}

// The same rules as @convoy/nunjucks' acceptEncodingFromContext, over a render's variables.
function acceptEncodingOf(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null) return undefined
  const headers: unknown = (request as { headers?: unknown }).headers
  if (typeof headers !== 'object' || headers === null) return undefined
  const get: unknown = (headers as { get?: unknown }).get
  if (typeof get === 'function') {
    // Fetch API `Headers` (undici, Hono, Remix...): case-insensitive, already joined.
    const value: unknown = get.call(headers, 'accept-encoding')
    return typeof value === 'string' ? value : undefined
  }
  // node:http lower-cases header names; repeated headers may arrive as an array.
  const value: unknown = (headers as Record<string, unknown>)['accept-encoding']
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    const parts = value.filter((part): part is string => typeof part === 'string')
    return parts.length > 0 ? parts.join(', ') : undefined
  }
  return undefined
}
