import type { PassThrough } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Storage, StorageEntry } from '@convoy/storage'

/** Runs one step of a test; a failure says which step it was. */
export async function step<T>(label: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

/** Every entry `list(prefix)` gives. */
export async function listAll(storage: Storage, prefix?: string): Promise<StorageEntry[]> {
  const entries: StorageEntry[] = []
  for await (const entry of prefix === undefined ? storage.list() : storage.list(prefix)) entries.push(entry)
  return entries
}

/** The paths `list(prefix)` gives, sorted; with `listPaths()`, it must give the same ones (every list check checks both). */
export async function listPaths(storage: Storage, prefix?: string): Promise<string[]> {
  const listed = (await listAll(storage, prefix)).map((entry) => entry.path).sort()
  if (storage.listPaths !== undefined) {
    const paths: string[] = []
    for await (const path of prefix === undefined ? storage.listPaths() : storage.listPaths(prefix)) paths.push(path)
    if (JSON.stringify(paths.sort()) !== JSON.stringify(listed)) {
      throw new Error(`listPaths(${prefix ?? ''}) gives ${JSON.stringify(paths)}, list(${prefix ?? ''}) gives ${JSON.stringify(listed)}`)
    }
  }
  return listed
}

/** Waits (bounded) until the storage has taken what was written into `stream`, then a little more. */
export async function drained(stream: PassThrough): Promise<void> {
  for (let tries = 0; tries < 200 && stream.readableLength > 0; tries++) await sleep(5)
  await sleep(20)
}
