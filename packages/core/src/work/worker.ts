import { runTask, type Task, type TaskFailure, type TaskResult } from './tasks.js'

// tinypool calls the module's default export for each task.
// eslint-disable-next-line no-restricted-syntax
export default function work(task: Task): Promise<TaskResult | TaskFailure> {
  return runTask(task)
}
