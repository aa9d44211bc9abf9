// The root config, plus the globals plain JavaScript needs (TypeScript files get them from their types).
import globals from 'globals'
import root from '../../eslint.config.js'

export default [
  ...root,
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['static/js/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
]
