import { afterAll, beforeAll, describe, it } from 'vitest'

/** A check as {@link registerChecks} registers it: `it(title)` inside `describe(group)`, or skipped with a reason. */
export interface RegisteredCheck<Target> {
  readonly group: string
  readonly title: string
  readonly run: (target: Target) => Promise<void>
  /** Why it is skipped (shown in its name); `undefined` to run it. */
  readonly skip?: string | undefined
  /** Its own time limit, in milliseconds, when it needs more than `timeout`. */
  readonly timeout?: number | undefined
}

/**
 * Registers `checks` with vitest, in the current `describe`, grouped by `group`: one target started (`start`) before
 * the first and closed after the last. `notStarted` is the message of a check run without a target.
 */
export function registerChecks<Target>(
  start: () => Promise<Target & { close(): Promise<void> }>,
  checks: readonly RegisteredCheck<Target>[],
  timeout: number,
  notStarted: string,
): void {
  let target: (Target & { close(): Promise<void> }) | undefined
  beforeAll(async () => {
    target = await start()
  }, timeout)
  afterAll(async () => {
    const started = target
    target = undefined
    await started?.close()
  }, timeout)
  const current = (): Target => {
    if (target === undefined) throw new Error(notStarted)
    return target
  }
  const groups = new Map<string, RegisteredCheck<Target>[]>()
  for (const check of checks) groups.set(check.group, [...(groups.get(check.group) ?? []), check])
  for (const [group, members] of groups) {
    describe(group, () => {
      for (const check of members) {
        if (check.skip !== undefined) it.skip(`${check.title} (skipped: ${check.skip})`, () => undefined)
        else it(check.title, () => check.run(current()), Math.max(timeout, check.timeout ?? 0))
      }
    })
  }
}
