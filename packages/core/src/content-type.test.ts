import { describe, expect, it } from 'vitest'
import { contentTypeOf } from './content-type.js'

describe('contentTypeOf', () => {
  it.each([
    ['css/base.css', 'text/css; charset=utf-8'],
    ['js/app.4f2c1d0e9a8b.cmin.js', 'text/javascript; charset=utf-8'],
    ['css/base.css.gz', 'text/css; charset=utf-8'],
    ['js/app.js.br', 'text/javascript; charset=utf-8'],
    ['app.js.map', 'application/json; charset=utf-8'],
    ['img/logo.svg', 'image/svg+xml; charset=utf-8'],
    ['img/a.png', 'image/png'],
    ['fonts/x.woff2', 'font/woff2'],
    ['data.json', 'application/json; charset=utf-8'],
    ['Makefile', 'application/octet-stream'],
  ])('%s → %s', (path, type) => {
    expect(contentTypeOf(path)).toBe(type)
  })
})
