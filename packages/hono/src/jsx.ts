// hono/jsx components over the request's resolver (`convoy()` middleware): <ConvoyCss>, <ConvoyJs> and useConvoy().
// Plain functions returning raw HTML, so this entry needs no JSX compile settings of its own.
import { ConvoyError } from '@convoy/errors'
import { raw } from 'hono/html'
import { useRequestContext } from 'hono/jsx-renderer'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { RequestConvoy } from './resolver.js'

/** Props of {@link ConvoyCss} and {@link ConvoyJs}. */
export interface ConvoyCarpoolProps {
  /** Logical paths of the members, in order (`['css/base.css', 'css/theme.css']`). */
  readonly paths: readonly string[]
  /** The request's resolver; default: `c.var.convoy` of the request `jsxRenderer()` renders. */
  readonly convoy?: RequestConvoy | undefined
}

/**
 * The request's resolver inside a component rendered by `c.render()` (`jsxRenderer()` of `hono/jsx-renderer`),
 * with `convoy()` of `@convoy/hono` in front of it.
 *
 * @throws ConvoyError `ERR_CONVOY_CONFIG` outside such a render, or without the `convoy()` middleware.
 * @example
 * const Logo = () => <img src={useConvoy().url('img/logo.svg')} alt="" />
 */
export function useConvoy(): RequestConvoy {
  let found: unknown
  try {
    found = useRequestContext().var.convoy
  } catch {
    found = undefined
  }
  if (found === undefined) {
    throw new ConvoyError(
      'ERR_CONVOY_CONFIG',
      '@convoy/hono/jsx: no resolver for this render: add app.use(convoy(resolver)) and render with jsxRenderer() and c.render(), or pass convoy={c.var.convoy}',
    )
  }
  return found as RequestConvoy
}

/**
 * `<ConvoyCss paths={['css/a.css', 'css/b.css']} />`: the carpool of those stylesheets, as raw HTML — one
 * `<link rel="stylesheet">` for the bundle once it exists, one per member while it is built.
 */
export function ConvoyCss(props: ConvoyCarpoolProps): HtmlEscapedString {
  return raw((props.convoy ?? useConvoy()).carpool('css', props.paths))
}

/** `<ConvoyJs paths={['js/a.js', 'js/b.js']} />`: the carpool of those scripts, as raw HTML (see {@link ConvoyCss}). */
export function ConvoyJs(props: ConvoyCarpoolProps): HtmlEscapedString {
  return raw((props.convoy ?? useConvoy()).carpool('js', props.paths))
}
