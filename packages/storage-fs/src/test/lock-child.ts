// A separate process for the lock and leftovers tests: ./children.ts bundles it with the storage and runs it with
// process.execPath as `child.mjs <command> <root> [timeoutMs]`. It reports one JSON message a line on stdout and takes
// one command a line on stdin, so that a test can kill it exactly when it wants (SIGKILL: no cleanup runs).
import { createInterface } from 'node:readline'
import { PassThrough } from 'node:stream'
import { isConvoyError } from '@convoy/errors'
import { createFsStorage } from '../index.js'

const [command, root, timeout] = process.argv.slice(2)
if (root === undefined) throw new Error('usage: child.mjs lock|write <root> [timeoutMs]')
const storage = createFsStorage({ root })
const input = createInterface({ input: process.stdin })
const lines = input[Symbol.asyncIterator]()

function say(message: Readonly<Record<string, unknown>>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}

async function nextLine(): Promise<string | undefined> {
  const line = await lines.next()
  return line.done === true ? undefined : String(line.value)
}

if (command === 'lock') {
  // `ready` once loaded, then `go` on stdin: lets a test start several children at the same moment.
  say({ event: 'ready' })
  if ((await nextLine()) === 'go') {
    try {
      const lock = await storage.lock({
        purpose: `test child ${process.pid}`,
        timeoutMs: Number(timeout ?? 0),
        onNotice: (notice) => say({ event: 'notice', notice }),
      })
      say({ event: 'locked' })
      if ((await nextLine()) === 'release') {
        await lock.release()
        say({ event: 'released' })
      }
    } catch (error) {
      say({ event: 'error', code: isConvoyError(error) ? error.code : undefined, message: error instanceof Error ? error.message : String(error) })
    }
  }
  // Ends once stdout is flushed, like a finished deploy.
  input.close()
  process.stdin.destroy()
} else if (command === 'write') {
  // A large streamed body that never ends: the test kills this process in the middle of the write.
  const body = new PassThrough()
  const writing = storage.write('big/video.bin', body)
  for (let chunk = 0; chunk < 4; chunk++) body.write(Buffer.alloc(1024 * 1024, chunk))
  say({ event: 'writing' })
  await writing
  say({ event: 'written' })
} else {
  throw new Error(`unknown command ${String(command)}`)
}
