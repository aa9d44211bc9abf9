import { describe, expect, it } from 'vitest'
import { keepLicenseComments, licenseComments } from './license-comments.js'

describe('licenseComments', () => {
  it('finds /*! */ comments in order and ignores look-alikes in strings and urls', () => {
    const css = `/*! a */ x { content: "/*! no */"; b: '\\'/*! no */' } /* plain */ y { c: url(/*!no*/x.png) } /*! b */ /*! unterminated`
    expect(licenseComments(css)).toEqual(['/*! a */', '/*! b */'])
  })
})

describe('keepLicenseComments', () => {
  it('puts dropped comments after the ones kept at the top', () => {
    expect(keepLicenseComments('/*! a */ x{} /*! b */ y{}', '/*! a */\nx{}y{}')).toBe('/*! a */\n/*! b */\nx{}y{}')
    expect(keepLicenseComments('x{} /*! b */ y{}', 'x{}y{}')).toBe('/*! b */\nx{}y{}')
    expect(keepLicenseComments('/*! a */ x{}', '/*! a */\nx{}')).toBe('/*! a */\nx{}')
  })
})
