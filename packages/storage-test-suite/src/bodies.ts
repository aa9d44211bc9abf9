import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { expect } from 'vitest'

/** `size` bytes of one repeated value: cheap to build and easy to check for mixing. */
export function filled(size: number, value: number): Buffer {
  return Buffer.alloc(size, value)
}

/** `size` bytes that differ from one position to the next, so a shifted or truncated copy never matches. */
export function patterned(size: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  let state = seed >>> 0 || 1
  for (let index = 0; index < size; index++) {
    // xorshift32: deterministic, fast, no repeating short cycle.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[index] = state & 0xff
  }
  return bytes
}

/**
 * A stream of `bytes` in chunks of `chunkSize`, yielding to the event loop between chunks
 * so that several concurrent writes really interleave.
 */
export function chunkedStream(bytes: Uint8Array, chunkSize = 64 * 1024): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
      yield Buffer.from(bytes.subarray(offset, Math.min(offset + chunkSize, bytes.byteLength)))
      await nextTurn()
    }
  }
  return Readable.from(chunks(), { objectMode: false })
}

/** A stream that sends `bytes`, then fails with `error`. */
export function failingStream(bytes: Uint8Array, error: Error): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield Buffer.from(bytes)
    await nextTurn()
    throw error
  }
  return Readable.from(chunks(), { objectMode: false })
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk))
  }
  return Buffer.concat(chunks)
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Asserts that `actual` is a `Uint8Array` holding exactly `expected`.
 * Small bodies are compared as hex so a failure shows the difference; large ones by size and hash.
 */
export function expectBytes(actual: unknown, expected: Uint8Array | string, label: string): void {
  const want = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : Buffer.from(expected)
  expect(actual, `${label}: expected an object, got ${actual === null ? 'null' : typeof actual}`).toBeInstanceOf(Uint8Array)
  const got = Buffer.from(actual as Uint8Array)
  if (want.byteLength <= 4096) {
    expect(got.toString('hex'), `${label}: bytes`).toBe(want.toString('hex'))
  } else {
    expect(got.byteLength, `${label}: size`).toBe(want.byteLength)
    expect(sha256(got), `${label}: sha256`).toBe(sha256(want))
  }
}
