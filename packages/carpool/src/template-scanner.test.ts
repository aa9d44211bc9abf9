import { describe, expect, it } from 'vitest'
import { isTemplateScanner, type TemplateScanner } from './template-scanner.js'

describe('isTemplateScanner', () => {
  it('accepts an object with a name and a scan function, whatever else it has', () => {
    const scanner: TemplateScanner = { name: 'toy', scan: () => [] }
    expect(isTemplateScanner(scanner)).toBe(true)
    expect(isTemplateScanner(Object.assign(Object.create(null) as object, scanner, { extra: 1 }))).toBe(true)
  })

  it.each([
    ['a glob', 'views/**/*.njk'],
    ['null', null],
    ['undefined', undefined],
    ['no name', { scan: () => [] }],
    ['a name that is not a string', { name: 1, scan: () => [] }],
    ['no scan', { name: 'toy' }],
    ['a scan that is not a function', { name: 'toy', scan: [] }],
    ['a function', () => []],
  ])('refuses %s', (_, value) => {
    expect(isTemplateScanner(value)).toBe(false)
  })
})
