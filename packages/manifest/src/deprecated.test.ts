import { contentTypeOf as fromStorage } from '@convoy/storage'
import { expect, it } from 'vitest'
import * as manifest from './index.js'

it('keeps contentTypeOf as a deprecated alias of @convoy/storage, and no other storage helper', () => {
  expect(manifest.contentTypeOf).toBe(fromStorage)
  for (const moved of ['storagePathProblem', 'createStoragePathChecks', 'bodyChunks', 'BodyStreamError']) expect(manifest).not.toHaveProperty(moved)
})
