import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgressBar } from './progress.js'

/** A writable that says it is a terminal and keeps what it is given. */
function terminal(): Writable & { readonly text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  return Object.assign(stream, { isTTY: true, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, text: () => chunks.join('') })
}

describe('createProgressBar', () => {
  it('draws the phase and the counts on a terminal, and clears itself when stopped', () => {
    const stream = terminal()
    const bar = createProgressBar(stream)
    bar.update({ phase: 'process', done: 3, total: 10 })
    bar.update({ phase: 'write', done: 7, total: 12 })
    bar.stop()
    expect(stream.text()).toContain('processing')
    expect(stream.text()).toContain('3/10')
    expect(stream.text()).toContain('7/12')
  })
})
