import { describe, expect, it } from 'vitest'
import type { Manifest, ManifestEntry } from '@convoy/manifest'
import { createVersionsOf, servedFamily } from './earlier-versions.js'

describe('servedFamily', () => {
  it.each([
    ['js/app.js', 'js/app.1a2b3c4d5e6f.cmin.js', 'js/app.*.cmin.js'],
    ['js/app.js', 'js/app.1a2b3c4d5e6f.js', 'js/app.*.js'],
    ['vendor/jquery.min.js', 'vendor/jquery.min.1a2b3c4d5e6f.js', 'vendor/jquery.min.*.js'],
    ['Makefile', 'Makefile.1a2b3c4d5e6f', 'Makefile.*'],
    ['css/a.css', 'css/a.Zm9v_-.cmin.css', 'css/a.*.cmin.css'],
  ])('%s served as %s → %s', (logicalPath, served, family) => {
    expect(servedFamily(logicalPath, served)).toBe(family)
  })

  it.each([
    ['a carpool bundle, served under its own name', 'CARPOOL/js/1a2b3c4d5e6f.cmin.js', 'CARPOOL/js/1a2b3c4d5e6f.cmin.js'],
    ['another file', 'js/app.js', 'js/other.1a2b3c4d5e6f.js'],
    ['a * in the name', 'js/a*b.js', 'js/a*b.1a2b3c4d5e6f.js'],
    ['a fingerprint of other characters', 'js/app.js', 'js/app.1a2b+3c.js'],
  ])('none for %s', (_, logicalPath, served) => {
    expect(servedFamily(logicalPath, served)).toBeUndefined()
  })
})

describe('createVersionsOf', () => {
  const entry = (served: string): ManifestEntry => ({ served, size: 1, integrity: 'sha384-AAAA', fingerprinted: served, sourceHash: 'x', contentType: 'text/javascript; charset=utf-8' })
  const previous: Manifest = {
    version: 1,
    id: 'v3',
    baseUrl: '/static/',
    hash: { algorithm: 'md5', length: 12 },
    files: { 'js/app.js': entry('js/app.333333333333.cmin.js') },
    carpools: {},
    history: [
      { supersededAt: '2026-01-03T00:00:00.000Z', id: 'v2', dropped: ['js/app.222222222222.cmin.js', 'js/app.222222222222.cmin.js.br', 'js/app.222222222222.js', 'js/app.extra.222222222222.cmin.js'] },
      { supersededAt: '2026-01-02T00:00:00.000Z', id: 'v1', dropped: ['js/app.111111111111.cmin.js', 'css/app.111111111111.cmin.js'] },
    ],
  }

  it('lists the version in force, then those the history dropped, newest first, same folder and marker only', () => {
    const versionsOf = createVersionsOf(previous)
    expect(versionsOf('js/app.js', 'js/app.444444444444.cmin.js')).toEqual({ match: 'js/app.*.cmin.js', earlier: ['js/app.333333333333.cmin.js', 'js/app.222222222222.cmin.js', 'js/app.111111111111.cmin.js'] })
    // Its own served file is never an earlier version of itself (an unchanged file re-collected).
    expect(versionsOf('js/app.js', 'js/app.333333333333.cmin.js')?.earlier).toEqual(['js/app.222222222222.cmin.js', 'js/app.111111111111.cmin.js'])
    // Served unminified: the unminified family.
    expect(versionsOf('js/app.js', 'js/app.444444444444.js')).toEqual({ match: 'js/app.*.js', earlier: ['js/app.222222222222.js'] })
  })

  it('finds nothing without a previous manifest, or for a file with no family', () => {
    expect(createVersionsOf(null)('js/app.js', 'js/app.444444444444.cmin.js')).toEqual({ match: 'js/app.*.cmin.js', earlier: [] })
    expect(createVersionsOf(previous)('CARPOOL/js/1a2b3c4d5e6f.cmin.js', 'CARPOOL/js/1a2b3c4d5e6f.cmin.js')).toBeUndefined()
  })
})
