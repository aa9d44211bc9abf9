import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { TEMP_PREFIX } from './paths.js'

/**
 * How old (by modification time) a leftover must be before we remove it without knowing whether its writer still
 * runs: a temporary file of another host or of the old name format (no pid), or an unreadable lock file. One hour:
 * no write or deploy step leaves a file untouched that long while it is alive.
 */
export const LEFTOVER_AGE_MS = 60 * 60 * 1000

/** The writer of a temporary file, as its name tells: `.convoy-tmp-<pid>-<host id>-<random>`. */
export interface TempOwner {
  readonly pid: number
  readonly hostId: string
}

const TEMP_NAME = new RegExp(`^${TEMP_PREFIX.replace(/[.]/g, '\\.')}([1-9][0-9]{0,9})-([0-9a-f]{8})-[0-9a-f]{16}$`)

let cachedHostId: string | undefined

/** This host's name, as `os.hostname()` gives it: a lock or temporary file of the same name is judged by its pid. */
export function thisHost(): string {
  return hostname()
}

/** A short, file-name-safe id of this host: the first 8 hex digits of the SHA-256 of its name. */
export function thisHostId(): string {
  cachedHostId ??= hostIdOf(thisHost())
  return cachedHostId
}

export function hostIdOf(host: string): string {
  return createHash('sha256').update(host, 'utf8').digest('hex').slice(0, 8)
}

/** Random bytes drawn 4 KiB at a time and handed out once each: a write of many small files makes a name per file. */
const RANDOM_POOL_BYTES = 4096
let randomPool = Buffer.alloc(0)
let randomOffset = 0

function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.byteLength) {
    randomPool = randomBytes(RANDOM_POOL_BYTES)
    randomOffset = 0
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes)
  randomOffset += bytes
  return hex
}

/** A fresh temporary file name owned by this process. */
export function tempName(): string {
  return `${TEMP_PREFIX}${process.pid}-${thisHostId()}-${randomHex(8)}`
}

/** The owner a temporary file's name records, or `undefined` for the old format (`.convoy-tmp-<random>`) and others. */
export function tempOwner(name: string): TempOwner | undefined {
  const match = TEMP_NAME.exec(name)
  if (match === null) return undefined
  const pid = Number(match[1])
  return Number.isSafeInteger(pid) ? { pid, hostId: match[2]! } : undefined
}

/**
 * Whether the process `pid` of this host is running. Only "no such process" (`ESRCH`) counts as dead: a process of
 * another user (`EPERM`) is alive, and so is anything we cannot judge, so that nothing of a live process is removed.
 */
export function isRunning(pid: number): boolean {
  // 0 and negative numbers would signal process groups: never a real owner.
  if (!Number.isSafeInteger(pid) || pid <= 0) return true
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown } | null)?.code !== 'ESRCH'
  }
}

/** Text from a file we do not control, fit for a one-line message: control characters escaped, at most 200 characters. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return escaped.length > 200 ? `${escaped.slice(0, 199)}…` : escaped
}
