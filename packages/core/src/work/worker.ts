import Tinypool, { type Transferable } from 'tinypool'
import { runTask, type Task, type TaskFailure, type TaskResult } from './tasks.js'

// tinypool calls the module's default export for each task.
// eslint-disable-next-line no-restricted-syntax
export default async function work(task: Task): Promise<TaskResult | TaskFailure> {
  const result = await runTask(task)
  return result.kind === 'compressed' ? moved(result) : result
}

/**
 * Compressed variants sent back by transfer, each in a buffer of its own size: zlib's output of a small file is a
 * view of a 16 KiB chunk, which a structured clone would copy whole to the main thread, and keep alive there.
 */
function moved(result: Extract<TaskResult, { kind: 'compressed' }>): TaskResult {
  const variants: Record<string, Uint8Array> = {}
  const buffers: ArrayBuffer[] = []
  for (const [name, bytes] of Object.entries(result.variants)) {
    if (bytes === undefined) continue
    const exact = new Uint8Array(bytes)
    variants[name] = exact
    buffers.push(exact.buffer)
  }
  const value: TaskResult = { kind: 'compressed', variants }
  // tinypool posts `value` with `buffers` in its transfer list.
  const transferable = { [Tinypool.transferableSymbol]: buffers, [Tinypool.valueSymbol]: value } as unknown as Transferable
  return Tinypool.move(transferable) as unknown as TaskResult
}
