import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import pLimit from 'p-limit'
import type { Storage, StorageWriteOptions } from '@convoy/storage'
import { asConvoyError } from './failures.js'
import type { CollectProgress } from './options.js'

/** One object to store. */
export interface PendingWrite {
  readonly path: string
  readonly body: Uint8Array | { readonly file: string }
  readonly options: StorageWriteOptions
  /** Content-addressed outputs are skipped when present; originals are compared by source hash instead. */
  readonly skipWhenPresent: boolean
}

const WRITE_CONCURRENCY = 16
/**
 * A file body up to this size is read whole and written as bytes; a larger one is streamed. At most
 * {@link WRITE_CONCURRENCY} of them are held at once (16 MiB), and a small file costs one read instead of a stream.
 */
export const WHOLE_FILE_BYTES = 1024 * 1024

/** The bytes of a small file, or a stream of a larger one, from one open (so its size and contents are one file's). */
export async function fileBody(file: string): Promise<Uint8Array | Readable> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    if (size > WHOLE_FILE_BYTES) {
      // The stream closes the handle when it ends or is destroyed.
      return handle.createReadStream()
    }
    const bytes = await handle.readFile()
    await handle.close()
    return bytes
  } catch (error) {
    await handle.close().catch(() => undefined)
    throw error
  }
}

/** Storage writes, a bounded number at a time; each file's processing waits for its own writes (backpressure). */
export class WriteQueue {
  written = 0
  unchanged = 0
  private settled = 0
  private readonly limit = pLimit(WRITE_CONCURRENCY)
  private readonly claimed = new Set<string>()

  constructor(
    private readonly storage: Storage,
    private readonly dryRun: boolean,
    private readonly existing: ReadonlySet<string>,
    private readonly onProgress: ((progress: CollectProgress) => void) | undefined,
  ) {}

  async write(writes: readonly PendingWrite[]): Promise<void> {
    const tasks: Promise<void>[] = []
    for (const write of writes) {
      // The same content-addressed name can come from two files with equal bytes: write it once.
      if (this.claimed.has(write.path)) continue
      this.claimed.add(write.path)
      if (write.skipWhenPresent && this.existing.has(write.path)) {
        this.unchanged += 1
        continue
      }
      this.written += 1
      if (this.dryRun) continue
      tasks.push(
        this.limit(async () => {
          const body = write.body instanceof Uint8Array ? write.body : await fileBody(write.body.file)
          await this.storage.write(write.path, body, write.options)
          this.settled += 1
          this.onProgress?.({ phase: 'write', done: this.settled, total: this.written })
        }),
      )
    }
    const results = await Promise.allSettled(tasks)
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failure !== undefined) throw asConvoyError(failure.reason, 'ERR_CONVOY_STORAGE', `cannot write to ${this.storage.name}`, this.storage.name)
  }
}
