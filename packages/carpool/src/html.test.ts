import { describe, expect, it } from 'vitest'
import { createCarpoolHtml, escapeHtml } from './html.js'

describe('createCarpoolHtml', () => {
  it('writes the default tags between the default comments', () => {
    const html = createCarpoolHtml()
    expect(html.render('css', [{ url: '/static/CARPOOL/css/a.cmin.css' }], ['css/a.css', 'css/b.css'])).toBe(
      '<!-- carpool css: 2 files -->\n<link rel="stylesheet" href="/static/CARPOOL/css/a.cmin.css">\n<!-- /carpool -->',
    )
    expect(html.render('js', [{ url: '/a.js' }, { url: '/b.js' }], ['a.js', 'b.js'])).toBe(
      '<!-- carpool js: 2 files -->\n<script src="/a.js"></script>\n<script src="/b.js"></script>\n<!-- /carpool -->',
    )
  })

  it('adds integrity with crossorigin only when asked and known', () => {
    const on = createCarpoolHtml({ integrity: true })
    expect(on.tag('js', { url: '/a.js', integrity: 'sha384-abc' })).toBe('<script src="/a.js" integrity="sha384-abc" crossorigin="anonymous"></script>')
    expect(on.tag('js', { url: '/a.js' })).toBe('<script src="/a.js"></script>')
    expect(createCarpoolHtml({ integrity: true, crossorigin: false }).tag('css', { url: '/a.css', integrity: 'sha384-abc' })).toBe(
      '<link rel="stylesheet" href="/a.css" integrity="sha384-abc">',
    )
    expect(createCarpoolHtml().tag('css', { url: '/a.css', integrity: 'sha384-abc' })).toBe('<link rel="stylesheet" href="/a.css">')
  })

  it('leaves out falsy comments', () => {
    for (const none of [false, null, ''] as const) {
      expect(createCarpoolHtml({ startComment: none, endComment: none }).render('js', [{ url: '/a.js' }], ['a.js'])).toBe('<script src="/a.js"></script>')
    }
  })

  it('takes string and function templates', () => {
    const html = createCarpoolHtml({
      jsTag: '<script defer src="{url}"{integrity}></script>',
      cssTag: ({ url }) => `<link rel=preload as=style href="${url}">`,
      startComment: ({ kind, count, paths }) => `<!-- ${kind} ${count}: ${paths} -->`,
      endComment: '<!-- end {kind} {unknown} -->',
    })
    expect(html.render('js', [{ url: '/a.js' }], ['a.js'])).toBe('<!-- js 1: a.js -->\n<script defer src="/a.js"></script>\n<!-- end js {unknown} -->')
    expect(html.tag('css', { url: '/a"b.css' })).toBe('<link rel=preload as=style href="/a&quot;b.css">')
  })

  it('escapes every interpolated value', () => {
    const evil = `/static/x"'<>&.css`
    const html = createCarpoolHtml({ integrity: true, startComment: '<!-- {paths} -->' })
    const out = html.render('css', [{ url: evil, integrity: 'sha384-"><script>' }], [`css/"'<>&-->.css`])
    expect(out).toBe(
      '<!-- css/&quot;&#39;&lt;&gt;&amp;--&gt;.css -->\n' +
        '<link rel="stylesheet" href="/static/x&quot;&#39;&lt;&gt;&amp;.css" integrity="sha384-&quot;&gt;&lt;script&gt;" crossorigin="anonymous">\n' +
        '<!-- /carpool -->',
    )
    expect(escapeHtml(`a"<b>&'`)).toBe('a&quot;&lt;b&gt;&amp;&#39;')
  })
})
