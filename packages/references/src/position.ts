export interface Position {
  readonly line: number
  readonly column: number
}

/**
 * Maps offsets of `source` to 1-based line and column. Line breaks are `\n`, `\r\n` and a lone `\r`;
 * a leading byte-order mark is not counted as a column, as editors do not show it.
 */
export function createPositionFinder(source: string): (offset: number) => Position {
  const starts = [0]
  for (let i = 0; i < source.length; i++) {
    const code = source.charCodeAt(i)
    if (code === 0x0a) starts.push(i + 1)
    else if (code === 0x0d) {
      if (source.charCodeAt(i + 1) === 0x0a) i++
      starts.push(i + 1)
    }
  }
  const bom = hasByteOrderMark(source) ? 1 : 0
  return (offset) => {
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (starts[middle]! <= offset) low = middle
      else high = middle - 1
    }
    const column = offset - starts[low]! + 1 - (low === 0 ? bom : 0)
    return { line: low + 1, column: Math.max(column, 1) }
  }
}

export function hasByteOrderMark(source: string): boolean {
  return source.charCodeAt(0) === 0xfeff
}
