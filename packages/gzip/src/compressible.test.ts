import { describe, expect, it } from 'vitest'
import { COMPRESSIBLE_EXTENSIONS, isCompressible } from './index.js'

describe('isCompressible by path', () => {
  it.each([
    'css/base.css', 'js/app.js', 'js/app.mjs', 'js/app.3f2a9c1d4b5e.cmin.js.map', 'img/logo.svg', 'data/x.json',
    'feed.xml', 'index.html', 'robots.txt', 'site.webmanifest', 'app.wasm', 'favicon.ico', 'fonts/a.ttf', 'fonts/a.otf',
    'fonts/a.eot', 'src/app.ts', 'styles/a.scss', 'UPPER/CASE.CSS',
  ])('compresses %s', (path) => {
    expect(isCompressible(path)).toBe(true)
  })

  it.each([
    'img/a.png', 'img/a.jpg', 'img/a.jpeg', 'img/a.gif', 'img/a.webp', 'img/a.avif', 'fonts/a.woff', 'fonts/a.woff2',
    'dist/a.zip', 'dist/a.tar.gz', 'css/base.css.gz', 'css/base.css.br', 'media/a.mp4', 'media/a.webm', 'media/a.mp3',
    'doc.pdf', 'Makefile', '.htaccess', 'dir.css/README',
  ])('leaves %s alone', (path) => {
    expect(isCompressible(path)).toBe(false)
  })

  it('takes extra extensions, with or without the dot', () => {
    expect(isCompressible('shaders/a.glsl')).toBe(false)
    expect(isCompressible('shaders/a.glsl', undefined, { extraExtensions: ['glsl'] })).toBe(true)
    expect(isCompressible('t/a.HBS', undefined, { extraExtensions: ['.hbs'] })).toBe(true)
  })

  it('documents its table as a read-only set', () => {
    expect(COMPRESSIBLE_EXTENSIONS.has('css')).toBe(true)
    expect(COMPRESSIBLE_EXTENSIONS.has('woff2')).toBe(false)
  })
})

describe('isCompressible by content type', () => {
  it('follows mime-db when it knows the type', () => {
    expect(isCompressible('feed', 'application/rss+xml')).toBe(true)
    expect(isCompressible('x', 'text/plain; charset=utf-8')).toBe(true)
    expect(isCompressible('x', 'Application/JSON')).toBe(true)
    expect(isCompressible('x', 'application/vnd.api+json')).toBe(true)
    expect(isCompressible('x', 'image/svg+xml')).toBe(true)
    expect(isCompressible('x', 'application/wasm')).toBe(true)
    // the type wins over a misleading extension
    expect(isCompressible('photo.txt', 'image/jpeg')).toBe(false)
    expect(isCompressible('x.bin', 'application/zip')).toBe(false)
  })

  it('falls back to the extension for unknown types and octet-stream', () => {
    expect(isCompressible('a.woff2', 'font/woff2')).toBe(false)
    expect(isCompressible('a.map', 'application/x-unknown-thing')).toBe(true)
    expect(isCompressible('a.bin', 'application/octet-stream')).toBe(false)
    expect(isCompressible('a.css', 'application/octet-stream')).toBe(true)
    expect(isCompressible('a.webp', 'image/webp')).toBe(false)
  })

  it('takes extra types, ignoring parameters and case', () => {
    expect(isCompressible('log', 'application/x-ndjson')).toBe(false)
    expect(isCompressible('log', 'application/x-ndjson; charset=utf-8', { extraTypes: ['Application/X-NDJSON'] })).toBe(true)
  })
})
