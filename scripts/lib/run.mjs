// Child processes for check-packages.mjs and consumer-smoke.mjs: every one bounded in time, every one killed with its
// own children (npm and pnpm spawn more) on a timeout or when the script itself is interrupted.
import { spawn } from 'node:child_process'
import { delimiter, isAbsolute, resolve, sep } from 'node:path'
import { performance } from 'node:perf_hooks'

/** Every child started here and not yet exited, so an interrupted script can kill them all. */
const live = new Set()

/**
 * Starts `command` in its own process group (so a kill reaches its children too) and tracks it until it exits.
 * `stdio` defaults to ignored stdin and piped stdout/stderr.
 */
export function start(command, args, { cwd, env, stdio = ['ignore', 'pipe', 'pipe'] } = {}) {
  const child = spawn(command, args, { cwd, env, stdio, detached: process.platform !== 'win32' })
  live.add(child)
  child.once('close', () => live.delete(child))
  child.once('error', () => live.delete(child))
  return child
}

/** Sends `signal` to the child's process group (or the child alone where there are no groups); never throws. */
export function terminate(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    if (process.platform === 'win32') child.kill(signal)
    else process.kill(-child.pid, signal)
  } catch {
    // Already gone: nothing to kill.
  }
}

/** Kills every child still running (used on SIGINT/SIGTERM of the script). */
export function terminateAll(signal = 'SIGKILL') {
  for (const child of live) terminate(child, signal)
}

/** A command and its arguments as one shell line (quoted where needed), for messages. */
export function commandLine(command, args) {
  return [command, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ')
}

/**
 * Runs `command` to the end and resolves `{ code, signal, stdout, stderr, timedOut, seconds }` whatever its exit code;
 * rejects only when it cannot be started (with a message saying which command, and that it is not on PATH for ENOENT).
 * After `timeoutMs` the whole process group is killed and `timedOut` is true.
 */
export function run(command, args, { cwd, env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = start(command, args, { cwd, env })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      terminate(child, 'SIGKILL')
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      const reason = error.code === 'ENOENT' ? `${command} is not on PATH` : error.message
      reject(new Error(`cannot run ${commandLine(command, args)}${cwd ? ` in ${cwd}` : ''}: ${reason}`, { cause: error }))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut, seconds: (performance.now() - started) / 1000 })
    })
  })
}

/** The last `count` non-empty lines of `text`, each indented, for error messages. */
export function tail(text, count = 20, indent = '    ') {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '')
  return lines.slice(-count).map((line) => indent + line).join('\n')
}

/** Why a finished `run()` failed, in one message: the command, where, timeout or exit code, and its last output lines. */
export function failure(result, command, args, { cwd, timeoutMs } = {}) {
  const what = `${commandLine(command, args)}${cwd ? ` (in ${cwd})` : ''}`
  const how = result.timedOut
    ? `timed out after ${Math.round((timeoutMs ?? 0) / 1000)} s`
    : result.signal
      ? `was killed by ${result.signal}`
      : `exited with code ${result.code}`
  const output = tail(`${result.stdout}\n${result.stderr}`)
  return `${what} ${how}${output ? `:\n${output}` : ''}`
}

/**
 * Calls `cleanup` (sync) once and exits with 128 + the signal number when the script gets SIGINT or SIGTERM, after
 * killing every child still running. Returns a function that removes the handlers.
 */
export function onInterrupt(cleanup) {
  const handlers = {
    SIGINT: () => stop('SIGINT', 130),
    SIGTERM: () => stop('SIGTERM', 143),
  }
  let stopping = false
  function stop(signal, code) {
    if (stopping) return
    stopping = true
    console.error(`\n${signal}: stopping, killing child processes and removing temporary files`)
    terminateAll('SIGKILL')
    try {
      cleanup()
    } finally {
      process.exit(code)
    }
  }
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler)
  return () => {
    for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler)
  }
}

/** npm settings a user may keep in the environment that still apply outside the workspace (registry, proxy, TLS). */
const KEPT_NPM_CONFIG = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|no_proxy|strict_ssl|cafile|ca)$/i

/**
 * `env` for a process that must behave as in a fresh project outside the workspace at `root`: without the variables
 * pnpm sets for scripts (`npm_*`, `pnpm_*`, `PNPM_*`, `INIT_CWD`: npm would read them as its own settings) except the
 * user's registry, proxy and TLS settings, and with only the absolute PATH entries outside `root` (pnpm puts the
 * workspace's `node_modules/.bin` first, relative and absolute: no workspace binary may stand in for the consumer's).
 */
export function outsideEnv(env, root, { separator = delimiter } = {}) {
  const base = resolve(root)
  const inside = (dir) => !isAbsolute(dir) || resolve(dir) === base || resolve(dir).startsWith(base + sep)
  const clean = withoutScriptSettings(env)
  for (const key of Object.keys(clean)) {
    if (/^path$/i.test(key)) clean[key] = clean[key].split(separator).filter((dir) => dir !== '' && !inside(dir)).join(separator)
  }
  return clean
}

/**
 * `env` without the settings pnpm passes to the scripts it runs (`npm_*`, `pnpm_*`, `INIT_CWD`), except the user's
 * registry, proxy and TLS ones: a command started from `pnpm check` then behaves as when started by hand (npm warns
 * about pnpm's own keys, such as `verify-deps-before-run`, as unknown settings).
 */
export function withoutScriptSettings(env) {
  const clean = {}
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key === 'INIT_CWD') continue
    if (/^(npm|pnpm)_/i.test(key) && !KEPT_NPM_CONFIG.test(key)) continue
    clean[key] = value
  }
  return clean
}
