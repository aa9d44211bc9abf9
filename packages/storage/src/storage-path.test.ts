import { isConvoyError } from '@convoy/errors'
import { describe, expect, it } from 'vitest'
import { createStoragePathChecks, storagePathProblem } from './index.js'

describe('storagePathProblem', () => {
  it.each([
    ['css/base.css', undefined],
    ['a b/ü.txt', undefined],
    ['', 'it is empty'],
    ['a/../x', 'it has a ".." segment'],
    ['./x', 'it has a "." segment'],
    ['a//b', 'it has an empty segment ("//" or a trailing "/")'],
    ['a/', 'it has an empty segment ("//" or a trailing "/")'],
    ['/etc/passwd', 'it is absolute (starts with "/")'],
    ['a\\b', 'it contains a backslash (folders are separated by "/")'],
    ['C:x', 'it starts with a Windows drive letter'],
    ['a\0b', 'it contains a NUL byte'],
    [42, 'it is a number, not a string'],
  ])('%j → %s', (path, problem) => {
    expect(storagePathProblem(path)).toBe(problem)
  })

  it('lets a list prefix be empty or end inside a name, and nothing else', () => {
    expect(storagePathProblem('', { prefix: true })).toBeUndefined()
    expect(storagePathProblem('css/', { prefix: true })).toBeUndefined()
    expect(storagePathProblem('css/ba', { prefix: true })).toBeUndefined()
    expect(storagePathProblem('../', { prefix: true })).toBe('it has a ".." segment')
  })
})

describe('createStoragePathChecks', () => {
  const thrown = (run: () => unknown): unknown => {
    try {
      run()
    } catch (error) {
      return error
    }
    throw new Error('expected a throw')
  }
  const reserved = (path: string): string | undefined => (path.split('/').at(-1)?.startsWith('.tmp-') === true ? 'the name is reserved' : undefined)
  const checks = createStoragePathChecks('my-storage', reserved)

  it('gives the segments of a safe path', () => {
    expect(checks.checkPath('css/base.css')).toEqual(['css', 'base.css'])
  })

  it('throws ERR_CONVOY_STORAGE_PATH naming the owner, the path and the rule', () => {
    const error = thrown(() => checks.checkPath('a/../../etc'))
    expect(isConvoyError(error) && error.code).toBe('ERR_CONVOY_STORAGE_PATH')
    expect((error as Error).message).toBe('my-storage: unsafe path "a/../../etc": it has a ".." segment')
    expect((thrown(() => checks.checkPath(7 as unknown as string)) as Error).message).toBe('my-storage: unsafe path 7: it is a number, not a string')
  })

  it('checks prefixes with the prefix rules', () => {
    expect(() => {
      checks.checkPrefix('')
      checks.checkPrefix('css/ba')
    }).not.toThrow()
    expect((thrown(() => checks.checkPrefix('/abs')) as Error).message).toBe('my-storage: unsafe prefix "/abs": it is absolute (starts with "/")')
  })

  it("adds the storage's own rules to paths, prefixes and listings", () => {
    expect((thrown(() => checks.checkPath('css/.tmp-1')) as Error).message).toBe('my-storage: unsafe path "css/.tmp-1": the name is reserved')
    expect(checks.isListable('css/.tmp-1')).toBe(false)
    expect(checks.isListable('css/a//b')).toBe(false)
    expect(checks.isListable('css/base.css')).toBe(true)
  })

  it('builds errors for rules only the storage can check', () => {
    const error = checks.pathError('link', 'it is a symbolic link')
    expect([error.code, error.message]).toEqual(['ERR_CONVOY_STORAGE_PATH', 'my-storage: unsafe path "link": it is a symbolic link'])
  })
})
