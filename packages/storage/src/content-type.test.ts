import { describe, expect, it } from 'vitest'
import { contentTypeOf } from './index.js'

describe('contentTypeOf', () => {
  it.each([
    ['css/base.css', 'text/css; charset=utf-8'],
    ['js/app.4f2c1d0e9a8b.cmin.js', 'text/javascript; charset=utf-8'],
    ['css/base.css.gz', 'text/css; charset=utf-8'],
    ['js/app.js.br', 'text/javascript; charset=utf-8'],
    ['app.js.map', 'application/json; charset=utf-8'],
    ['site.webmanifest', 'application/manifest+json; charset=utf-8'],
    ['img/logo.svg', 'image/svg+xml; charset=utf-8'],
    ['img/a.png', 'image/png'],
    ['fonts/x.woff2', 'font/woff2'],
    // Not in mime's "standard" set (mime/lite), but shipped by real front-end packages (font-awesome 4, favicons).
    ['fonts/fontawesome-webfont.eot', 'application/vnd.ms-fontobject'],
    ['favicon.ico', 'image/vnd.microsoft.icon'],
    ['app.wasm', 'application/wasm'],
    ['Makefile', 'application/octet-stream'],
    ['archive.gz', 'application/octet-stream'],
  ])('%s → %s', (path, type) => {
    expect(contentTypeOf(path)).toBe(type)
  })
})
