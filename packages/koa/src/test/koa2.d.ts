// `koa2` is Koa 2 installed under another name (npm:koa@^2), so the tests run on both lines. Its API, as far as the
// tests use it, is Koa 3's: the same declarations serve.
declare module 'koa2' {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- mirrors the `export =` of koa's own declarations
  import Koa = require('koa')
  export = Koa
}
