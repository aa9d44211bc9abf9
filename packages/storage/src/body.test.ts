import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { bodyChunks, BodyStreamError } from './index.js'

async function collected(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of bodyChunks(body)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function failure(body: AsyncIterable<unknown>): Promise<BodyStreamError> {
  try {
    await collected(body)
  } catch (error) {
    if (error instanceof BodyStreamError) return error
    throw error
  }
  throw new Error('expected a BodyStreamError')
}

describe('bodyChunks', () => {
  it('gives bytes for byte and text chunks (text as UTF-8)', async () => {
    expect((await collected(Readable.from([Buffer.from('ab'), 'ü', new Uint8Array([0x21])]))).toString('utf8')).toBe('abü!')
  })

  it('turns a failure of the stream into a BodyStreamError that keeps the cause', async () => {
    const boom = new Error('boom')
    const stream = new Readable({ read() { this.destroy(boom) } })
    const error = await failure(stream)
    expect([error.name, error.message, error.cause]).toEqual(['BodyStreamError', 'the body stream failed: boom', boom])
  })

  it('refuses chunks that are neither bytes nor text', async () => {
    const error = await failure(Readable.from([{ not: 'bytes' }]))
    expect(error.message).toBe('the body stream failed: it gave a object chunk instead of bytes or text')
    expect(error.cause).toBeInstanceOf(TypeError)
  })
})
