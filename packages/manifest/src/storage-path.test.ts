import { describe, expect, it } from 'vitest'
import { contentTypeOf, storagePathProblem } from './index.js'

describe('storagePathProblem', () => {
  it.each([
    ['css/base.css', undefined],
    ['a b/ü.txt', undefined],
    ['', 'it is empty'],
    ['a/../x', 'it has a ".." segment'],
    ['./x', 'it has a "." segment'],
    ['a//b', 'it has an empty segment ("//" or a trailing "/")'],
    ['a/', 'it has an empty segment ("//" or a trailing "/")'],
    ['/etc/passwd', 'it is absolute (starts with "/")'],
    ['a\\b', 'it contains a backslash (folders are separated by "/")'],
    ['C:x', 'it starts with a Windows drive letter'],
    ['a\0b', 'it contains a NUL byte'],
    [42, 'it is a number, not a string'],
  ])('%j → %s', (path, problem) => {
    expect(storagePathProblem(path)).toBe(problem)
  })

  it('lets a list prefix be empty or end inside a name, and nothing else', () => {
    expect(storagePathProblem('', { prefix: true })).toBeUndefined()
    expect(storagePathProblem('css/', { prefix: true })).toBeUndefined()
    expect(storagePathProblem('css/ba', { prefix: true })).toBeUndefined()
    expect(storagePathProblem('../', { prefix: true })).toBe('it has a ".." segment')
  })
})

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
    ['Makefile', 'application/octet-stream'],
  ])('%s → %s', (path, type) => {
    expect(contentTypeOf(path)).toBe(type)
  })
})
