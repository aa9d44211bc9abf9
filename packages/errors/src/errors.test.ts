import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConvoyError, ERROR_CODES, isConvoyError } from './index.js'

describe('ConvoyError', () => {
  it('carries a code, a cause and a location', () => {
    const cause = new Error('EACCES')
    const error = new ConvoyError('ERR_CONVOY_READ', '@convoy/core: cannot read a.css', { cause, file: 'css/a.css', line: 3, column: 7 })
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: 'ConvoyError', code: 'ERR_CONVOY_READ', cause, file: 'css/a.css', line: 3, column: 7 })
    expect(error.location).toBe('css/a.css:3:7')
    expect(new ConvoyError('ERR_CONVOY_READ', 'x', { file: 'a.css', line: 2 }).location).toBe('a.css:2')
    expect(new ConvoyError('ERR_CONVOY_READ', 'x').location).toBeUndefined()
  })

  it('is recognised by isConvoyError, and ordinary errors are not', () => {
    expect(isConvoyError(new ConvoyError('ERR_CONVOY_USAGE', 'x'))).toBe(true)
    expect(isConvoyError(Object.assign(new Error('x'), { code: 'ERR_CONVOY_USAGE' }))).toBe(false)
    expect(isConvoyError(null)).toBe(false)
    expect(isConvoyError('ERR_CONVOY_USAGE')).toBe(false)
  })

  it('documents every code in the README table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    for (const code of Object.keys(ERROR_CODES)) expect(readme, code).toContain(`| \`${code}\` |`)
    const documented = [...readme.matchAll(/^\| `(ERR_CONVOY_[A-Z_]+)` \|/gm)].map((match) => match[1])
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort())
  })
})
