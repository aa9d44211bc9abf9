/**
 * A failure of the caller's body stream, kept apart so a storage can tell it from its own (disk, network) failures.
 * `cause` is the stream's own error.
 *
 * @example
 * try {
 *   for await (const chunk of bodyChunks(body)) await upload(chunk)
 * } catch (error) {
 *   if (error instanceof BodyStreamError) throw storageError('the body stream failed', error.cause)
 *   throw error
 * }
 */
export class BodyStreamError extends Error {
  override name = 'BodyStreamError'

  constructor(cause: unknown) {
    super(`the body stream failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/**
 * The chunks of a body stream given to `Storage.write()`, as bytes (text chunks as UTF-8); the stream's own failure,
 * or a chunk that is neither bytes nor text, becomes a {@link BodyStreamError}.
 *
 * @example
 * import { bodyChunks } from '@convoy/storage'
 *
 * for await (const chunk of bodyChunks(Readable.from(['a', Buffer.from('b')]))) handle.write(chunk)
 */
export async function* bodyChunks(body: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) {
      if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8')
      else if (chunk instanceof Uint8Array) yield chunk
      else throw new TypeError(`it gave a ${typeof chunk} chunk instead of bytes or text`)
    }
  } catch (error) {
    throw new BodyStreamError(error)
  }
}
