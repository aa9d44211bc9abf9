import { describe, expect, it } from 'vitest'
import {
  findCssReferences,
  findJsReferences,
  relativeUrl,
  replaceReferences,
  resolveReference,
  type Reference,
  type ReferenceReplacement,
} from './index.js'

/** The rewrite loop of `convoy collect`, as the README shows it: find → resolve → replace. */
function rewrite(
  path: string,
  source: string,
  references: readonly Reference[],
  served: ReadonlyMap<string, string>,
): { text: string; warnings: string[] } {
  const replacements: ReferenceReplacement[] = []
  const warnings: string[] = []
  for (const reference of references) {
    const resolved = resolveReference(path, reference.url, { baseUrl: '/static/' })
    if (resolved.kind === 'skip') continue
    if (resolved.kind === 'outside-root') {
      warnings.push(`${path}:${reference.line}:${reference.column} climbs out of the tree: ${resolved.path}`)
      continue
    }
    const target = served.get(resolved.path)
    if (target === undefined) {
      warnings.push(`${path}:${reference.line}:${reference.column} not collected: ${resolved.path}`)
      continue
    }
    replacements.push({ reference, url: relativeUrl(path, target) + resolved.suffix })
  }
  return { text: replaceReferences(source, replacements), warnings }
}

// Modelled on Bootstrap 3's glyphicons block: ?#iefix for old IE, an SVG font with a fragment.
const bootstrap3 = `/*!
 * Bootstrap v3.4.1 (https://getbootstrap.com/)
 * Licensed under MIT; see url(../LICENSE) for details
 */
@font-face {
  font-family: "Glyphicons Halflings";
  src: url("../fonts/glyphicons-halflings-regular.eot");
  src: url("../fonts/glyphicons-halflings-regular.eot?#iefix") format("embedded-opentype"), url("../fonts/glyphicons-halflings-regular.woff2") format("woff2"), url("../fonts/glyphicons-halflings-regular.woff") format("woff"), url("../fonts/glyphicons-halflings-regular.ttf") format("truetype"), url("../fonts/glyphicons-halflings-regular.svg#glyphicons_halflingsregular") format("svg");
}
.glyphicon-asterisk:before {
  content: "\\002a";
}
/*# sourceMappingURL=bootstrap.css.map */
`

// Modelled on Font Awesome 6: two formats, unquoted, and a missing file.
const fontAwesome = `:root, :host {
  --fa-style-family-classic: 'Font Awesome 6 Free';
  --fa-font-solid: normal 900 1em/1 'Font Awesome 6 Free';
}
@font-face {
  font-family: 'Font Awesome 6 Free';
  font-style: normal;
  font-weight: 900;
  font-display: block;
  src: url(../webfonts/fa-solid-900.woff2) format("woff2"), url(../webfonts/fa-solid-900.ttf) format("truetype");
}
@font-face {
  font-family: 'Font Awesome 6 Brands';
  src: url(../webfonts/fa-brands-400.woff2) format("woff2");
}
`

// Modelled on Bootstrap 5: data URIs in custom properties and a root-relative image.
const bootstrap5 = `.navbar-dark {
  --bs-navbar-toggler-icon-bg: url("data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 30 30'%3e%3cpath stroke='rgba%28255, 255, 255, 0.55%29' d='M4 7h22M4 15h22M4 23h22'/%3e%3c/svg%3e");
}
.form-select {
  background-image: var(--bs-form-select-bg-img), var(--bs-form-select-bg-icon, none);
}
.hero { background: #000 url(/static/img/hero.jpg) center / cover no-repeat; }
.logo { background-image: image-set("../img/logo.png" 1x, "../img/logo@2x.png" 2x); }
.outside { background: url(../../../../escape.png); }
.elsewhere { background: url(/media/upload.png); }
`

const served = new Map([
  ['fonts/glyphicons-halflings-regular.eot', 'fonts/glyphicons-halflings-regular.0a1b2c3d4e5f.eot'],
  ['fonts/glyphicons-halflings-regular.woff2', 'fonts/glyphicons-halflings-regular.1a1b2c3d4e5f.woff2'],
  ['fonts/glyphicons-halflings-regular.woff', 'fonts/glyphicons-halflings-regular.2a1b2c3d4e5f.woff'],
  ['fonts/glyphicons-halflings-regular.ttf', 'fonts/glyphicons-halflings-regular.3a1b2c3d4e5f.ttf'],
  ['fonts/glyphicons-halflings-regular.svg', 'fonts/glyphicons-halflings-regular.4a1b2c3d4e5f.svg'],
  ['css/bootstrap.css.map', 'css/bootstrap.css.5a1b2c3d4e5f.map'],
  ['vendor/fa/webfonts/fa-solid-900.woff2', 'vendor/fa/webfonts/fa-solid-900.6a1b2c3d4e5f.woff2'],
  ['vendor/fa/webfonts/fa-solid-900.ttf', 'vendor/fa/webfonts/fa-solid-900.7a1b2c3d4e5f.ttf'],
  ['img/hero.jpg', 'img/hero.8a1b2c3d4e5f.jpg'],
  ['img/logo.png', 'img/logo.9a1b2c3d4e5f.png'],
  ['img/logo@2x.png', 'img/logo@2x.aa1b2c3d4e5f.png'],
  ['js/lazy.js', 'js/lazy.ba1b2c3d4e5f.js'],
  ['js/lib/util.js', 'js/lib/util.ca1b2c3d4e5f.js'],
  ['js/app.js.map', 'js/app.js.da1b2c3d4e5f.map'],
])

describe('the collect rewrite loop on realistic files', () => {
  it('rewrites a Bootstrap 3 style @font-face block, keeping ?#iefix and the SVG fragment', () => {
    const { text, warnings } = rewrite('css/bootstrap.css', bootstrap3, findCssReferences(bootstrap3), served)
    expect(warnings).toEqual([])
    expect(text).toBe(
      bootstrap3
        .replace('regular.eot")', 'regular.0a1b2c3d4e5f.eot")')
        .replace('regular.eot?#iefix', 'regular.0a1b2c3d4e5f.eot?#iefix')
        .replace('regular.woff2', 'regular.1a1b2c3d4e5f.woff2')
        .replace('regular.woff"', 'regular.2a1b2c3d4e5f.woff"')
        .replace('regular.ttf', 'regular.3a1b2c3d4e5f.ttf')
        .replace('regular.svg#', 'regular.4a1b2c3d4e5f.svg#')
        .replace('bootstrap.css.map', 'bootstrap.css.5a1b2c3d4e5f.map'),
    )
    expect(text).toContain('see url(../LICENSE) for details')
    expect(text).toContain('content: "\\002a";')
  })

  it('rewrites Font Awesome style unquoted urls and warns, with file:line:col, about a missing one', () => {
    const { text, warnings } = rewrite('vendor/fa/css/all.css', fontAwesome, findCssReferences(fontAwesome), served)
    expect(warnings).toEqual(['vendor/fa/css/all.css:14:12 not collected: vendor/fa/webfonts/fa-brands-400.woff2'])
    expect(text).toContain(
      'src: url(../webfonts/fa-solid-900.6a1b2c3d4e5f.woff2) format("woff2"), url(../webfonts/fa-solid-900.7a1b2c3d4e5f.ttf) format("truetype");',
    )
    expect(text).toContain('src: url(../webfonts/fa-brands-400.woff2) format("woff2");')
  })

  it('leaves data URIs and URLs outside the base alone in Bootstrap 5 style CSS', () => {
    const { text, warnings } = rewrite('css/theme.css', bootstrap5, findCssReferences(bootstrap5), served)
    expect(warnings).toEqual(['css/theme.css:9:28 climbs out of the tree: ../../../escape.png'])
    expect(text).toBe(
      bootstrap5
        .replace('url(/static/img/hero.jpg)', 'url(../img/hero.8a1b2c3d4e5f.jpg)')
        .replace('"../img/logo.png"', '"../img/logo.9a1b2c3d4e5f.png"')
        .replace('"../img/logo@2x.png"', '"../img/logo@2x.aa1b2c3d4e5f.png"'),
    )
  })

  it('rewrites an ES module and its source map, leaving bare imports alone', () => {
    const js = `import { html } from 'lit'
import { debounce } from './lib/util.js'
export const load = () => import('./lazy.js')
//# sourceMappingURL=app.js.map
`
    const { text, warnings } = rewrite('js/app.js', js, findJsReferences(js, { modules: true }), served)
    expect(warnings).toEqual([])
    expect(text).toBe(`import { html } from 'lit'
import { debounce } from './lib/util.ca1b2c3d4e5f.js'
export const load = () => import('./lazy.ba1b2c3d4e5f.js')
//# sourceMappingURL=app.js.da1b2c3d4e5f.map
`)
  })
})

describe('the README usage example', () => {
  it('gives the output the README shows', () => {
    const readmeServed = new Map([['img/logo.png', 'img/logo.25b23dfca187.png']])
    const path = 'css/site.css'
    const css = '.logo { background: url("../img/logo.png?v=2") } /* url(../img/old.png) */'
    const { text, warnings } = rewrite(path, css, findCssReferences(css, { file: path }), readmeServed)
    expect(warnings).toEqual([])
    expect(text).toBe('.logo { background: url("../img/logo.25b23dfca187.png?v=2") } /* url(../img/old.png) */')
  })
})
