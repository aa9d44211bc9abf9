// Child processes for the lock and leftovers tests: the storage as a separate program, started, driven and killed.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'

/** One line the child printed (see ./lock-child.ts). */
export interface ChildMessage {
  readonly event: string
  readonly [field: string]: unknown
}

export interface Child {
  readonly pid: number
  /** Everything the child printed so far, in order. */
  readonly messages: readonly ChildMessage[]
  /** The next message (not returned before) whose event is one of `events`; rejects after `timeoutMs`. */
  next(events: string | readonly string[], timeoutMs?: number): Promise<ChildMessage>
  /** Sends one command line to the child's stdin. */
  send(line: string): void
  /** SIGKILL (no cleanup runs in the child), resolved once the process is gone. */
  kill(): Promise<void>
}

const running = new Set<Child>()

/**
 * Bundles ./lock-child.ts with the storage's current source (and its dependencies' source) into a temporary
 * `child.mjs`, so that the children run exactly the code under test, never a stale `dist`.
 */
export async function buildChildProgram(): Promise<{ readonly program: string; readonly dispose: () => Promise<void> }> {
  const out = await mkdtemp(join(tmpdir(), 'convoy-fs-child-'))
  await build({
    entry: { child: fileURLToPath(new URL('./lock-child.ts', import.meta.url)) },
    outDir: out,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    noExternal: [/./],
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    config: false,
    silent: true,
    esbuildOptions(options) {
      options.conditions = ['@convoy/source']
    },
  })
  return { program: join(out, 'child.mjs'), dispose: () => rm(out, { recursive: true, force: true }) }
}

/** Starts `program command root ...rest` with this Node; {@link killChildren} ends it at the latest. */
export function startChild(program: string, command: 'lock' | 'write', root: string, ...rest: readonly string[]): Child {
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, [program, command, root, ...rest], { stdio: 'pipe' })
  if (proc.pid === undefined) throw new Error(`could not start ${program}`)
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const messages: ChildMessage[] = []
  const unread: ChildMessage[] = []
  const waiters = new Set<() => void>()
  const stderr: string[] = []
  proc.stderr.setEncoding('utf8').on('data', (text: string) => stderr.push(text))
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as ChildMessage
    messages.push(message)
    unread.push(message)
    for (const wake of waiters) wake()
  })

  const child: Child = {
    pid: proc.pid,
    messages,
    next(events, timeoutMs = 15_000) {
      const wanted = typeof events === 'string' ? [events] : events
      return new Promise<ChildMessage>((resolve, reject) => {
        const look = (): void => {
          const index = unread.findIndex((message) => wanted.includes(message.event))
          if (index === -1) return
          const [found] = unread.splice(index, 1)
          done()
          resolve(found!)
        }
        const timer = setTimeout(() => {
          done()
          const said = JSON.stringify(messages)
          reject(new Error(`child ${child.pid} sent no ${wanted.join('/')} within ${timeoutMs} ms; it said ${said}; stderr: ${stderr.join('')}`))
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(look)
        }
        waiters.add(look)
        look()
      })
    },
    send(line) {
      proc.stdin.write(`${line}\n`)
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
      running.delete(child)
    },
  }
  running.add(child)
  return child
}

/** Kills every child still running: call it after each test, pass or fail. */
export async function killChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill()))
}

/** The pid of a process of this host that has ended (and been reaped), so no process has it. */
export async function deadPid(): Promise<number> {
  const child = execFile(process.execPath, ['-e', ''])
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (child.pid === undefined) throw new Error('could not start a process')
  await exited
  return child.pid
}
