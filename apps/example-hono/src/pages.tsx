// The pages, in hono/jsx: the layout links the two carpools (built by `convoy collect`) and the logo through the
// request's resolver, which the convoy() middleware puts in the render's context.
import { ConvoyCss, ConvoyJs, useConvoy } from '@convoy/hono/jsx'
import type { PropsWithChildren } from 'hono/jsx'

/** The carpools of every page, as declared in convoy.config.mjs (`bundles`). */
export const SITE_CSS = ['css/base.css', 'css/theme.css']
export const SITE_JS = ['js/app.js', 'js/form.js']

declare module 'hono' {
  interface ContextRenderer {
    (content: string | Promise<string>, props: { title: string }): Response | Promise<Response>
  }
}

export function Layout({ children, title }: PropsWithChildren<{ title?: string }>) {
  const convoy = useConvoy()
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title ?? 'Convoy'} · Convoy on Hono`}</title>
        <link rel="icon" type="image/svg+xml" href={convoy.url('img/logo.svg')} />
        <ConvoyCss paths={SITE_CSS} />
      </head>
      <body>
        <header class="site-header">
          <a href="/">Convoy on Hono</a>
          <nav>
            <a href="/">Home</a>
            <a href="/form">Form</a>
          </nav>
        </header>
        <main>{children}</main>
        <ConvoyJs paths={SITE_JS} />
      </body>
    </html>
  )
}

export function HomePage() {
  const convoy = useConvoy()
  const files = ['css/base.css', 'css/theme.css', 'js/app.js', 'js/form.js', 'img/logo.svg']
  return (
    <>
      <h1>Convoy on Hono</h1>
      <p>
        <img src={convoy.url('img/logo.svg')} width="48" height="48" alt="" /> This page links one stylesheet and one script: the carpools{' '}
        <code>css/site</code> and <code>js/site</code>, built by <code>convoy collect</code> from the <code>bundles</code> of{' '}
        <code>convoy.config.mjs</code>, served precompressed and immutable by <code>serveStatic()</code> of <code>@convoy/hono</code>.
      </p>
      <p class="note" data-script-status="">
        JavaScript has not run.
      </p>
      <table>
        <thead>
          <tr>
            <th>logical path</th>
            <th>URL</th>
          </tr>
        </thead>
        <tbody>
          {files.map((path) => (
            <tr>
              <td>
                <code>{path}</code>
              </td>
              <td>
                <code>{convoy.url(path)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

export interface FormPageProps {
  readonly csrfToken: string
  readonly values: { readonly name?: string; readonly message?: string }
  readonly error?: string | undefined
  readonly sent?: { readonly name: string } | undefined
}

export function FormPage({ csrfToken, values, error, sent }: FormPageProps) {
  return (
    <>
      <h1>A form with a secret</h1>
      <p>
        The hidden field below holds a CSRF token made for your session. <code>compress()</code> compresses this page on plain HTTP,
        and never when the request says it came over HTTPS (<code>X-Forwarded-Proto: https</code> and the like): the size of a
        compressed page that holds a secret next to text an attacker controls gives the secret away (BREACH).
      </p>
      {sent === undefined ? null : <p class="sent" id="form-sent">{`Thanks, ${sent.name}: your message was received.`}</p>}
      {error === undefined ? null : <p class="error">{error}</p>}
      <form method="post" action="/form" id="contact-form">
        <input type="hidden" name="csrfToken" value={csrfToken} />
        <label for="name">Name</label>
        <input id="name" name="name" value={values.name ?? ''} required />
        <label for="message">Message</label>
        <textarea id="message" name="message" rows={4}>
          {values.message ?? ''}
        </textarea>
        <p>
          <span id="char-count">0</span> characters
        </p>
        <button type="submit">Send</button>
      </form>
    </>
  )
}
