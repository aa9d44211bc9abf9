import { spawn, type SpawnOptions } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built CLI, as users run it. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `convoy ...args` in `cwd` and collects its output. */
export function runConvoy(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number; killAfterMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }
    if (options.uid !== undefined) spawnOptions.uid = options.uid
    if (options.gid !== undefined) spawnOptions.gid = options.gid
    const child = spawn(process.execPath, [CLI, ...args], spawnOptions)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    if (options.killAfterMs !== undefined) {
      const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
      child.on('exit', () => clearTimeout(timer))
    }
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

const created = new Set<string>()

/** A fresh temporary directory, removed by {@link removeTemporaryDirectories} (call it in the file's `afterAll`). */
export async function temporaryDirectory(prefix = 'convoy-test-'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix))
  created.add(directory)
  return directory
}

/** Removes every directory {@link temporaryDirectory} made in this test file: `afterAll(removeTemporaryDirectories)`. */
export async function removeTemporaryDirectories(): Promise<void> {
  const directories = [...created]
  created.clear()
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true, maxRetries: 3 })))
}

/** Writes a tree of files (path → contents) under `root`. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, contents] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), contents)
  }
}

/** Every file under `root` (relative path → sha256 of its bytes), for comparing whole output trees cheaply. */
export async function readTree(root: string): Promise<Map<string, string>> {
  const result = new Map<string, string>()
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    result.set(relative(root, path).split('\\').join('/'), sha256(await readFile(path)))
  }
  return result
}
