// A real Ceph Object Gateway (radosgw, Ceph 16 from Debian) on 127.0.0.1 for the tests that need S3 conditional
// writes: s3rver ignores If-Match / If-None-Match. One monitor and one OSD on memstore (in memory), no manager,
// started by the test in a temporary directory and stopped after it; the packages are installed with apt-get when
// the machine lacks them (CI machines start without them).
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'

export const RADOSGW_CREDENTIALS = { accessKeyId: 'CONVOYTESTKEY', secretAccessKey: 'CONVOYTESTSECRET' }

/** The Debian packages that hold every tool below. */
const PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd', 'ceph-common']
const TOOLS = ['radosgw', 'radosgw-admin', 'ceph-mon', 'ceph-osd', 'ceph', 'ceph-authtool', 'monmaptool']

const MINUTE = 60_000

export interface TestRadosgw {
  readonly endpoint: string
  readonly bucket: string
  /** A client for the gateway, configured as a user of an S3-compatible service would. */
  client(): S3Client
  /** Stops the daemons and removes the directory. */
  dispose(): Promise<void>
}

function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/sbin', '/bin']
  for (const dir of dirs) {
    const file = join(dir, tool)
    if (dir !== '' && existsSync(file)) return file
  }
  return undefined
}

interface Run {
  readonly stdout: string
  readonly stderr: string
}

function run(file: string, args: readonly string[], timeout: number, env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: env ?? process.env }, (error, stdout, stderr) => {
      if (error === null) resolve({ stdout, stderr })
      else reject(new Error(`${file} ${args.join(' ')} failed (${error.killed ? `killed after ${timeout} ms` : error.message}): ${(stderr || stdout).slice(-2000)}`))
    })
  })
}

/** Only one test process installs at a time (apt and dpkg each take a lock of their own and fail when it is held). */
async function withInstallLock<T>(task: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'convoy-ceph-install.lock')
  const deadline = Date.now() + 15 * MINUTE
  for (;;) {
    try {
      await mkdir(lock)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A lock older than any install is a leftover of a killed run.
      const held = statSync(lock, { throwIfNoEntry: false })
      if (held !== undefined && Date.now() - held.mtimeMs > 15 * MINUTE) await rm(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`another test run has held ${lock} for 15 minutes`)
      await sleep(1000)
    }
  }
  try {
    return await task()
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}

/** Installs Ceph's packages with apt-get unless every tool is there; throws saying what to do when it cannot. */
export async function ensureCephInstalled(): Promise<void> {
  if (TOOLS.every((tool) => which(tool) !== undefined)) return
  await withInstallLock(async () => {
    if (TOOLS.every((tool) => which(tool) !== undefined)) return
    const aptGet = which('apt-get')
    const asRoot = process.getuid?.() === 0
    const sudo = asRoot ? undefined : which('sudo')
    const manual = `install them with: sudo apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`
    if (aptGet === undefined) throw new Error(`the conditional-write tests need Ceph's radosgw (${TOOLS.filter((tool) => which(tool) === undefined).join(', ')} missing) and this machine has no apt-get: ${manual}`)
    if (!asRoot && sudo === undefined) throw new Error(`the conditional-write tests need Ceph's radosgw; not root and no sudo: ${manual}`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const apt = (args: string[], timeout: number): Promise<Run> => (asRoot ? run(aptGet, args, timeout, env) : run(sudo!, ['-n', aptGet, ...args], timeout, env))
    process.stderr.write(`[radosgw] installing ${PACKAGES.join(' ')} with apt-get (once per machine)\n`)
    await apt(['update'], 5 * MINUTE)
    await apt(['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', ...PACKAGES], 10 * MINUTE)
    const missing = TOOLS.filter((tool) => which(tool) === undefined)
    if (missing.length > 0) throw new Error(`apt-get installed ${PACKAGES.join(' ')} but ${missing.join(', ')} are still missing`)
  })
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Every daemon this process started, so even a test run that dies midway does not leave them behind. */
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

interface Daemon {
  readonly child: ChildProcess
  readonly output: () => string
}

function daemon(file: string, args: readonly string[]): Daemon {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  child.once('exit', () => running.delete(child))
  return { child, output: () => output }
}

async function stopDaemon({ child }: Daemon): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])
  if (!stopped) {
    child.kill('SIGKILL')
    await exited
  }
}

/**
 * Starts a one-node Ceph cluster and its gateway on free ports of 127.0.0.1, creates a user and `bucket`, and
 * returns when the gateway answers. Takes 10–30 s on a 2-core machine (plus the install the first time).
 */
export async function startRadosgw(bucket = 'convoy-test'): Promise<TestRadosgw> {
  await ensureCephInstalled()
  const directory = await mkdtemp(join(tmpdir(), 'convoy-radosgw-'))
  const daemons: Daemon[] = []
  const dispose = async (): Promise<void> => {
    // The gateway first, then the OSD, then the monitor: each stops cleanly while the ones it talks to still run.
    for (const started of [...daemons].reverse()) await stopDaemon(started)
    await rm(directory, { recursive: true, force: true })
  }
  try {
    const [monPort, rgwPort] = [await freePort(), await freePort()]
    const fsid = randomUUID()
    const conf = join(directory, 'ceph.conf')
    const keyring = join(directory, 'keyring')
    await Promise.all(['mon', 'osd0', 'run', 'log'].map((sub) => mkdir(join(directory, sub))))
    await writeFile(
      conf,
      [
        '[global]',
        `fsid = ${fsid}`,
        `mon host = [v2:127.0.0.1:${monPort}]`,
        'mon initial members = a',
        'public addr = 127.0.0.1',
        'ms bind ipv6 = false',
        `keyring = ${keyring}`,
        'auth allow insecure global id reclaim = false',
        'mon warn on insecure global id reclaim allowed = false',
        'mon data avail warn = 1',
        'mon allow pool size one = true',
        'mon warn on pool no redundancy = false',
        'mon max pg per osd = 1000',
        'osd pool default size = 1',
        'osd pool default min size = 1',
        'osd pool default pg num = 8',
        'osd pool default pgp num = 8',
        'osd pg autoscale mode = off',
        'osd crush chooseleaf type = 0',
        'osd objectstore = memstore',
        'memstore device bytes = 2147483648',
        `osd data = ${join(directory, 'osd0')}`,
        `mon data = ${join(directory, 'mon')}`,
        `run dir = ${join(directory, 'run')}`,
        `admin socket = ${join(directory, 'run')}/$name.asok`,
        `log file = ${join(directory, 'log')}/$name.log`,
        'rgw enable gc threads = false',
        'rgw enable lc threads = false',
        '[client.rgw]',
        `rgw frontends = beast endpoint=127.0.0.1:${rgwPort}`,
        'rgw thread pool size = 64',
        '',
      ].join('\n'),
    )
    const c = ['-c', conf]
    const ceph = (args: string[]): Promise<Run> => run('ceph', [...c, '--connect-timeout', '60', ...args], 90_000)
    await run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, join(directory, 'monmap')], 30_000)
    await run('ceph-authtool', ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *'], 30_000)
    await run('ceph-authtool', [keyring, '--gen-key', '-n', 'client.admin', '--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *'], 30_000)
    await run('ceph-authtool', [keyring, '--gen-key', '-n', 'client.rgw', '--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx'], 30_000)
    await run('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', join(directory, 'monmap'), '--keyring', keyring], 60_000)
    daemons.push(daemon('ceph-mon', [...c, '-f', '-i', 'a']))
    await ceph(['osd', 'create'])
    const { stdout: osdKey } = await ceph(['auth', 'get-or-create', 'osd.0', 'mon', 'allow profile osd', 'osd', 'allow *', 'mgr', 'allow profile osd'])
    await appendFile(keyring, `\n${osdKey}\n`)
    await run('ceph-osd', [...c, '-i', '0', '--mkfs'], 60_000)
    daemons.push(daemon('ceph-osd', [...c, '-f', '-i', '0']))
    daemons.push(daemon('radosgw', [...c, '-f', '-n', 'client.rgw']))
    const endpoint = `http://127.0.0.1:${rgwPort}`
    await waitForGateway(endpoint, daemons, directory)
    await run('radosgw-admin', [...c, 'user', 'create', '--uid=convoy', '--display-name=convoy', `--access-key=${RADOSGW_CREDENTIALS.accessKeyId}`, `--secret=${RADOSGW_CREDENTIALS.secretAccessKey}`], 90_000)
    const client = (): S3Client =>
      new S3Client({
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: RADOSGW_CREDENTIALS,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      })
    const admin = client()
    await admin.send(new CreateBucketCommand({ Bucket: bucket }))
    admin.destroy()
    return { endpoint, bucket, client, dispose }
  } catch (error) {
    await dispose()
    throw error
  }
}

/** Polls the gateway until it answers (bounded), failing at once when a daemon exits. */
async function waitForGateway(endpoint: string, daemons: readonly Daemon[], directory: string): Promise<void> {
  const deadline = Date.now() + 3 * MINUTE
  while (Date.now() < deadline) {
    const dead = daemons.find(({ child }) => child.exitCode !== null || child.signalCode !== null)
    if (dead !== undefined) {
      const log = await readFile(join(directory, 'log', 'client.rgw.log'), 'utf8').catch(() => '')
      throw new Error(`${dead.child.spawnfile} exited (${dead.child.exitCode ?? dead.child.signalCode}) while the cluster started: ${dead.output()} ${log.slice(-2000)}`)
    }
    try {
      const response = await fetch(endpoint, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await sleep(250)
  }
  throw new Error(`radosgw did not answer on ${endpoint} within 3 minutes`)
}
