import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type Tinypool from 'tinypool'
import { errorOf, runTask, type Task, type TaskFailure, type TaskResult } from './tasks.js'

/** Runs CPU-heavy tasks, on worker threads or inline. */
export interface TaskRunner {
  run(task: Task): Promise<TaskResult>
  close(): Promise<void>
}

/** How much work a runner lets in at once; a task past either bound waits its turn, in order. */
export interface TaskRunnerLimits {
  /** The bytes the tasks in flight may bring (their inputs, see {@link taskBytes}). Default {@link MAX_BYTES_IN_FLIGHT}. */
  readonly maxBytesInFlight?: number
  /** Tasks in flight (running or waiting for a thread). Default twice the threads: each has the next one ready. */
  readonly maxTasksInFlight?: number
}

/**
 * The default bound on the bytes of the tasks in flight (64 MiB): 64 files of 5 MB waiting for a thread do not hold
 * 320 MB, they wait to be let in. A task bigger than the bound alone runs alone.
 */
export const MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/**
 * What a streamed compression is counted as: not its input (read a chunk at a time) but what its encoders hold,
 * about 65 MB for brotli at quality 9 and 16 MB for gzip measured on a large text file; counted at half of that, so
 * the default bound lets two run at once (their thread pools keep both cores busy) and nothing else beside them.
 */
export const STREAMED_TASK_BYTES = 32 * 1024 * 1024

/** The bytes a task brings while in flight: its input, held whole (by the worker, for a file it reads). */
export function taskBytes(task: Task): number {
  switch (task.kind) {
    case 'minify-js':
    case 'minify-css':
      return typeof task.code === 'string' ? Buffer.byteLength(task.code) : task.code.byteLength
    case 'compress':
      return task.data.byteLength
    case 'compress-file':
      return task.size
    case 'compress-to-files':
      return STREAMED_TASK_BYTES
    case 'delta':
      return task.target.byteLength + task.dictionary.byteLength
  }
}

/**
 * The young generation of each worker's heap, in MB. V8's default, sized from the heap limit, let each worker's heap
 * reach 90–150 MB on a 10k-file tree of small tasks; 16 MB kept both workers' heaps near 50 MB on the 1k-file
 * tree (peak RSS of the run 290 → 255–260 MB) for no measurable CPU. Only the young generation is limited: an old generation
 * limit would make a large file's minification fail with ERR_WORKER_OUT_OF_MEMORY instead of merely taking memory.
 */
export const WORKER_YOUNG_GENERATION_MB = 16

/**
 * A pool of worker threads, one per core, started on the first task (a run where everything comes from the cache
 * starts none). Where the worker file is not there (running from TypeScript sources), tasks run inline. Tasks are let
 * in by bytes and by count ({@link TaskRunnerLimits}), so a queue of large files never sits in memory at once.
 */
export function createTaskRunner(options: { threads?: number } & TaskRunnerLimits = {}): TaskRunner {
  const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url))
  if (!existsSync(workerFile)) return createInlineRunner(options)
  const threads = options.threads ?? availableParallelism()
  let pool: Promise<Tinypool> | undefined
  const start = async (): Promise<Tinypool> => {
    const { default: Pool } = await import('tinypool')
    return new Pool({ filename: workerFile, minThreads: 0, maxThreads: threads, idleTimeout: 1000, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } })
  }
  return createBoundedRunner(
    async (task) => {
      pool ??= start()
      const { message, transfer } = forTransfer(task)
      return (await (await pool).run(message, { transferList: transfer })) as TaskResult | TaskFailure
    },
    { maxTasksInFlight: Math.max(2, threads * 2), ...options },
    async () => {
      if (pool !== undefined) await (await pool).destroy()
    },
  )
}

/** Runs tasks on the calling thread (tests, tiny trees), let in by the same limits. */
export function createInlineRunner(options: TaskRunnerLimits = {}): TaskRunner {
  return createBoundedRunner(runTask, { maxTasksInFlight: 2, ...options }, () => Promise.resolve())
}

/**
 * A runner over `execute` that lets tasks in first come, first served, while the tasks in flight stay within
 * `maxBytesInFlight` and `maxTasksInFlight`. A task larger than the byte bound waits until nothing else is in flight,
 * then runs alone (so it cannot wait forever). Exported for tests.
 */
export function createBoundedRunner(execute: (task: Task) => Promise<TaskResult | TaskFailure>, limits: TaskRunnerLimits, close: () => Promise<void>): TaskRunner {
  const maxBytes = limits.maxBytesInFlight ?? MAX_BYTES_IN_FLIGHT
  const maxTasks = limits.maxTasksInFlight ?? 2
  if (!(maxBytes > 0) || !Number.isInteger(maxTasks) || maxTasks < 1) throw new RangeError('@convoy/core: the task runner needs maxBytesInFlight > 0 and maxTasksInFlight ≥ 1')
  let bytes = 0
  let tasks = 0
  const waiting: { readonly size: number; readonly admit: () => void }[] = []
  const fits = (size: number): boolean => tasks === 0 || (tasks < maxTasks && bytes + size <= maxBytes)
  const letIn = (): void => {
    // In order: a large task at the head is not overtaken forever by small ones behind it.
    while (waiting.length > 0 && fits(waiting[0]!.size)) {
      const next = waiting.shift()!
      bytes += next.size
      tasks += 1
      next.admit()
    }
  }
  const admitted = (size: number): Promise<void> | undefined => {
    if (waiting.length === 0 && fits(size)) {
      bytes += size
      tasks += 1
      return undefined
    }
    return new Promise((admit) => {
      waiting.push({ size, admit })
    })
  }
  return {
    async run(task) {
      const size = taskBytes(task)
      await admitted(size)
      try {
        const result = await execute(task)
        if (result.kind === 'failed') throw errorOf(result)
        return result
      } finally {
        bytes -= size
        tasks -= 1
        letIn()
      }
    },
    close,
  }
}

/**
 * The message for a worker: bytes are copied into buffers of their own and transferred, made only now that the task
 * is let in (the caller's bytes stay theirs: an asset still holds them).
 */
function forTransfer(task: Task): { message: Task; transfer: ArrayBuffer[] } {
  if (task.kind === 'compress') {
    const data = new Uint8Array(task.data)
    return { message: { ...task, data }, transfer: [data.buffer] }
  }
  if ((task.kind === 'minify-js' || task.kind === 'minify-css') && typeof task.code !== 'string') {
    const code = new Uint8Array(task.code)
    return { message: { ...task, code }, transfer: [code.buffer] }
  }
  return { message: task, transfer: [] }
}
