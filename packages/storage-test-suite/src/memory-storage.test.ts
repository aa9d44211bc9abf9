import { describe, expect, it } from 'vitest'
import { runStorageTestSuite } from './index.js'
import { createMemoryStorage } from './test/memory-storage.js'

runStorageTestSuite('memory', () => ({ storage: createMemoryStorage() }))

describe('runStorageTestSuite options', () => {
  const setup = () => ({ storage: createMemoryStorage() })

  it('refuses to skip a group it does not know', () => {
    expect(() => runStorageTestSuite('typo', setup, { skip: { lastModifed: 'typo' } as never })).toThrow(
      /cannot skip unknown test group "lastModifed" \(groups: lastModified, largeObjects, concurrency\)/,
    )
  })

  it('refuses to skip a group without a reason', () => {
    expect(() => runStorageTestSuite('silent', setup, { skip: { lastModified: ' ' } })).toThrow(/skipping "lastModified" needs a reason/)
  })
})
