import { describe, expect, it } from 'vitest'
import { createBoundedRunner, createInlineRunner, MAX_BYTES_IN_FLIGHT, STREAMED_TASK_BYTES, taskBytes } from './runner.js'
import type { Task, TaskFailure, TaskResult } from './tasks.js'

const MB = 1000 * 1000

/** A task that brings `size` bytes (a file the worker would read), without allocating them. */
const fileTask = (size: number, file = `f-${size}`): Task => ({ kind: 'compress-file', file, size, options: {} })

/** An `execute` that records what is in flight and finishes each task when told. */
function recorder() {
  let bytes = 0
  let tasks = 0
  const peak = { bytes: 0, tasks: 0 }
  const started: string[] = []
  const pending: (() => void)[] = []
  const execute = (task: Task): Promise<TaskResult | TaskFailure> => {
    bytes += taskBytes(task)
    tasks += 1
    peak.bytes = Math.max(peak.bytes, bytes)
    peak.tasks = Math.max(peak.tasks, tasks)
    started.push(task.kind === 'compress-file' ? task.file : task.kind)
    return new Promise((resolve) => {
      pending.push(() => {
        bytes -= taskBytes(task)
        tasks -= 1
        resolve(task.kind === 'compress-file' && task.file === 'fails' ? { kind: 'failed', code: 'ERR_CONVOY_STEP', message: 'broken' } : { kind: 'compressed', variants: {} })
      })
    })
  }
  /** Finishes the oldest running task, then lets the runner admit the next ones. */
  const finishOne = async (): Promise<void> => {
    pending.shift()?.()
    for (let i = 0; i < 5; i++) await Promise.resolve()
  }
  const drain = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 1000 && !done(); i++) await finishOne()
  }
  return { execute, peak, started, finishOne, drain, running: () => pending.length }
}

describe('the task runner', () => {
  it('holds at most maxBytesInFlight of task inputs: 64 tasks of 5 MB never have 320 MB in flight', async () => {
    const record = recorder()
    const runner = createBoundedRunner(record.execute, { maxTasksInFlight: 64 }, () => Promise.resolve())
    let settled = 0
    const runs = Array.from({ length: 64 }, (_, index) => runner.run(fileTask(5 * MB, `f${index}`)).then(() => (settled += 1)))
    await Promise.resolve()
    // 13 × 5 MB = 65 MB fit in 64 MiB (67.1 MB), a fourteenth would not, although the count alone lets all 64 in.
    expect(record.running()).toBe(13)
    await record.drain(() => settled === 64)
    await Promise.all(runs)
    expect(record.peak.bytes).toBeLessThanOrEqual(MAX_BYTES_IN_FLIGHT)
    expect(record.peak.tasks).toBe(13)
    // First come, first served.
    expect(record.started).toEqual(Array.from({ length: 64 }, (_, index) => `f${index}`))
  })

  it('bounds the count too, and lets tasks in again as others finish or fail', async () => {
    const record = recorder()
    const runner = createBoundedRunner(record.execute, { maxTasksInFlight: 3, maxBytesInFlight: 100 * MB }, () => Promise.resolve())
    const results = [fileTask(1), { ...fileTask(1), file: 'fails' } as Task, fileTask(1), fileTask(1), fileTask(1)].map((task) => runner.run(task).then(() => 'ok', (error: Error) => error.message))
    await Promise.resolve()
    expect(record.running()).toBe(3)
    await record.finishOne()
    await record.finishOne() // the failing one: its place is given back all the same
    expect(record.running()).toBe(3)
    await record.drain(() => record.running() === 0 && record.started.length === 5)
    expect(await Promise.all(results)).toEqual(['ok', 'broken', 'ok', 'ok', 'ok'])
    expect(record.peak.tasks).toBe(3)
  })

  it('runs a task larger than the bound alone, and is not overtaken by smaller ones behind it', async () => {
    const record = recorder()
    const runner = createBoundedRunner(record.execute, { maxTasksInFlight: 8, maxBytesInFlight: 10 * MB }, () => Promise.resolve())
    const runs = [runner.run(fileTask(4 * MB, 'small-1')), runner.run(fileTask(30 * MB, 'huge')), runner.run(fileTask(1 * MB, 'small-2'))]
    await Promise.resolve()
    expect(record.started).toEqual(['small-1'])
    await record.finishOne()
    expect(record.started).toEqual(['small-1', 'huge'])
    expect(record.running()).toBe(1)
    await record.finishOne()
    expect(record.started).toEqual(['small-1', 'huge', 'small-2'])
    await record.drain(() => record.running() === 0)
    await Promise.all(runs)
  })

  it('counts a task by the bytes it brings: its input, or what a streamed compression holds', () => {
    expect(taskBytes({ kind: 'compress', data: new Uint8Array(1234), options: {} })).toBe(1234)
    expect(taskBytes(fileTask(5 * MB))).toBe(5 * MB)
    expect(taskBytes({ kind: 'compress-to-files', file: 'big', size: 200 * MB, outputs: {}, options: {} })).toBe(STREAMED_TASK_BYTES)
    expect(taskBytes({ kind: 'minify-js', code: 'é', options: { filename: 'a.js' } })).toBe(2)
    expect(taskBytes({ kind: 'minify-css', code: new Uint8Array(7), options: { filename: 'a.css' } })).toBe(7)
  })

  it('refuses limits that would let nothing in', () => {
    expect(() => createInlineRunner({ maxBytesInFlight: 0 })).toThrow(RangeError)
    expect(() => createInlineRunner({ maxTasksInFlight: 0 })).toThrow(RangeError)
  })

  it('runs real tasks inline: bytes, and code given as bytes', async () => {
    const runner = createInlineRunner()
    const data = new TextEncoder().encode('body { color: red }\n'.repeat(200))
    const compressed = await runner.run({ kind: 'compress', data, options: { encodings: ['gzip'] } })
    expect(compressed.kind === 'compressed' && compressed.variants.gzip !== undefined).toBe(true)
    const minified = await runner.run({ kind: 'minify-css', code: new TextEncoder().encode('a  {  color : red ; }'), options: { engine: 'clean-css', filename: 'a.css' } })
    expect(minified).toMatchObject({ kind: 'minified', code: 'a{color:red}' })
  })
})
