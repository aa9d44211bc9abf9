import { describe, expect, it } from 'vitest'
import { contentTypeOf } from './index.js'

describe('contentTypeOf', () => {
  it.each([
    ['css/base.css', 'text/css; charset=utf-8'],
    ['js/app.4f2c1d0e9a8b.cmin.js', 'text/javascript; charset=utf-8'],
    ['css/base.css.gz', 'text/css; charset=utf-8'],
    ['js/app.js.br', 'text/javascript; charset=utf-8'],
    ['js/app.js.zst', 'text/javascript; charset=utf-8'],
    ['js/app.1a2b3c4d5e6f.cmin.js.9f86d081884c7d65.dcz', 'text/javascript; charset=utf-8'],
    ['css/base.css.9f86d081884c7d65.dcb', 'text/css; charset=utf-8'],
    ['img/a.svg.0123456789abcdef.dcz', 'image/svg+xml; charset=utf-8'],
    ['js/app.js.dcz', 'application/octet-stream'],
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
