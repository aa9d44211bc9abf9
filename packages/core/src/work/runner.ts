import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type Tinypool from 'tinypool'
import { errorOf, runTask, type Task, type TaskResult } from './tasks.js'

/** Runs CPU-heavy tasks, on worker threads or inline. */
export interface TaskRunner {
  run(task: Task): Promise<TaskResult>
  close(): Promise<void>
}

/**
 * A pool of worker threads, one per core, started on the first task (a run where everything comes from the cache
 * starts none). Where the worker file is not there (running from TypeScript sources), tasks run inline.
 */
export function createTaskRunner(options: { threads?: number } = {}): TaskRunner {
  const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url))
  if (!existsSync(workerFile)) return createInlineRunner()
  let pool: Promise<Tinypool> | undefined
  const start = async (): Promise<Tinypool> => {
    const { default: Pool } = await import('tinypool')
    const threads = options.threads ?? availableParallelism()
    return new Pool({ filename: workerFile, minThreads: 0, maxThreads: threads, idleTimeout: 1000 })
  }
  return {
    async run(task) {
      pool ??= start()
      const transfer = task.kind === 'compress' && task.data.byteOffset === 0 && task.data.byteLength === task.data.buffer.byteLength ? [task.data.buffer as ArrayBuffer] : []
      const result = (await (await pool).run(task, { transferList: transfer })) as Awaited<ReturnType<typeof runTask>>
      if (result.kind === 'failed') throw errorOf(result)
      return result
    },
    async close() {
      if (pool !== undefined) await (await pool).destroy()
    },
  }
}

/** Runs tasks on the calling thread (tests, tiny trees). */
export function createInlineRunner(): TaskRunner {
  return {
    async run(task) {
      const result = await runTask(task)
      if (result.kind === 'failed') throw errorOf(result)
      return result
    },
    close: () => Promise.resolve(),
  }
}
