import { describe, expect, it } from 'vitest'
import { tempName, tempOwner, thisHostId } from './owners.js'

describe('tempName()', () => {
  it('gives a distinct name of this process every time, across refills of its random pool', () => {
    // 8 random bytes a name, 4 KiB a pool: 2000 names draw from four pools.
    const names = Array.from({ length: 2000 }, () => tempName())
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) expect(tempOwner(name)).toEqual({ pid: process.pid, hostId: thisHostId() })
  })
})
