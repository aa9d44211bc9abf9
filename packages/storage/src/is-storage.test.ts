import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { isStorage, type Storage } from './index.js'

const storage: Storage = {
  name: 'memory',
  capabilities: { atomicWrites: true },
  read: () => Promise.resolve(null),
  readStream: () => Promise.resolve(Readable.from([])),
  write: () => Promise.resolve(),
  exists: () => Promise.resolve(false),
  stat: () => Promise.resolve(null),
  delete: () => Promise.resolve(),
  list: async function* () {},
  url: (path) => `/static/${path}`,
}

describe('isStorage', () => {
  it('holds for an object with a name, capabilities and every required method', () => {
    expect(isStorage(storage)).toBe(true)
    expect(isStorage(Object.create(storage) as unknown)).toBe(true)
  })

  it.each(['read', 'readStream', 'write', 'exists', 'stat', 'delete', 'list', 'url'])('fails without %s()', (method) => {
    expect(isStorage({ ...storage, [method]: undefined })).toBe(false)
  })

  it('fails without a name string or a capabilities object', () => {
    expect(isStorage({ ...storage, name: undefined })).toBe(false)
    expect(isStorage({ ...storage, name: 42 })).toBe(false)
    expect(isStorage({ ...storage, capabilities: undefined })).toBe(false)
    expect(isStorage({ ...storage, capabilities: null })).toBe(false)
  })

  it('fails for anything but an object', () => {
    for (const value of [undefined, null, 'public/', 42, new URL('file:///srv/static/'), {}, []]) expect(isStorage(value)).toBe(false)
  })

  it('does not call anything', () => {
    let called = false
    const spy = { ...storage, read: () => ((called = true), Promise.resolve(null)) }
    expect(isStorage(spy)).toBe(true)
    expect(called).toBe(false)
  })
})
