import { describe, expect, it } from 'vitest'
import { isIgnoredByDefault, isUnsafeName } from './source-names.js'

describe('isIgnoredByDefault', () => {
  it.each(['app.js~', 'a.css.swp', '.a.css.swo', 'x.swx', '#notes#', 'Thumbs.db', 'desktop.ini'])('ignores %s', (name) => {
    expect(isIgnoredByDefault(name)).toBe(true)
  })
  it.each(['app.js', '#', 'a#b', 'thumbs.db.css', 'swp', 'desktop.ini.txt'])('keeps %s', (name) => {
    expect(isIgnoredByDefault(name)).toBe(false)
  })
})

describe('isUnsafeName', () => {
  it.each(['a\\b.css', 'tab\there', 'nul\u0000', 'c1\u0085', 'bad\ufffd.png'])('refuses %j', (name) => {
    expect(isUnsafeName(name)).toBe(true)
  })
  it.each(['base.css', 'é.png', '日本.js', 'a b.css'])('accepts %j', (name) => {
    expect(isUnsafeName(name)).toBe(false)
  })
})
