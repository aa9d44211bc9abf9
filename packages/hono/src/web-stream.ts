import type { Readable } from 'node:stream'

/**
 * A Web `ReadableStream` over a node `Readable` (a file `@convoy/serve` opened), pulled lazily: nothing is read
 * before the server asks for the first chunk, one chunk is asked for at a time (so a slow client holds back the
 * file, not memory), an error of the file becomes an error of the stream, and a cancelled response (the client went
 * away) destroys the `Readable`, closing its file.
 */
export function webStreamOf(readable: Readable): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array | string> | undefined
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= readable[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>
        const next = await iterator.next()
        if (next.done === true) controller.close()
        else controller.enqueue(typeof next.value === 'string' ? new TextEncoder().encode(next.value) : next.value)
      },
      cancel() {
        readable.destroy()
      },
    },
    { highWaterMark: 0 },
  )
}
