// The root config, plus the globals plain JavaScript needs (TypeScript files get them from their types).
import globals from 'globals'
import root from '../../eslint.config.js'

export default [
  ...root,
  {
    files: ['src/**/*.js', 'scripts/**/*.mjs', 'test/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // Functions the browser test passes to the page run in the browser.
    files: ['test/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['static/js/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
]
