// `convoy collect` reads this file: our static files, collected into public-collected/ with the two carpools the
// pages link built ahead of time, so the first render already links one stylesheet and one script.
import { defineConfig } from '@convoy/core'

export default defineConfig({
  sources: ['static'],
  out: 'public-collected',
  baseUrl: '/static/',
  bundles: {
    'css/site': { kind: 'css', members: ['css/base.css', 'css/theme.css'] },
    'js/site': { kind: 'js', members: ['js/app.js', 'js/form.js'] },
  },
})
