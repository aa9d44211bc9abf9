// `convoy collect` reads this file: the app's static files, collected into public-collected/ (or `--out DIR`), and
// the carpool blocks of its Nunjucks templates, found by @convoy/nunjucks's scanner and built ahead of time.
import { defineConfig } from '@convoy/core'

export default defineConfig({
  sources: ['static'],
  out: 'public-collected',
  baseUrl: '/static/',
  templates: ['views/**/*.njk'],
})
