import picomatch from 'picomatch'
import type { Manifest } from '@convoy/manifest'
import { formatBytes } from './summary.js'

export interface ListedAsset {
  readonly path: string
  readonly served: string
  readonly size: number
  readonly gzip: number | null
  readonly br: number | null
  readonly integrity: string
}

/** The manifest's entries whose logical path matches `pattern` (a glob, or a plain substring when it has no glob characters). */
export function listAssets(manifest: Manifest, pattern: string | undefined): ListedAsset[] {
  const matches =
    pattern === undefined ? () => true : /[*?[\]{}!]/.test(pattern) ? picomatch(pattern, { dot: true }) : (path: string) => path.includes(pattern)
  return Object.entries(manifest.files)
    .filter(([path]) => matches(path))
    .map(([path, entry]) => ({
      path,
      served: entry.served,
      size: entry.size,
      gzip: entry.encodings?.gzip?.size ?? null,
      br: entry.encodings?.br?.size ?? null,
      integrity: entry.integrity,
    }))
}

/** `convoy ls` as a table with totals. */
export function formatAssetTable(assets: readonly ListedAsset[]): string {
  const header = ['path', 'served', 'size', 'gzip', 'brotli', 'integrity']
  const rows = assets.map((asset) => [asset.path, asset.served, formatBytes(asset.size), asset.gzip === null ? '–' : formatBytes(asset.gzip), asset.br === null ? '–' : formatBytes(asset.br), `${asset.integrity.slice(0, 19)}…`])
  const sum = (pick: (asset: ListedAsset) => number): number => assets.reduce((total, asset) => total + pick(asset), 0)
  const total = ['total', `${assets.length} file${assets.length === 1 ? '' : 's'}`, formatBytes(sum((a) => a.size)), formatBytes(sum((a) => a.gzip ?? a.size)), formatBytes(sum((a) => a.br ?? a.size)), '']
  const widths = header.map((title, column) => Math.max(title.length, total[column]!.length, ...rows.map((row) => row[column]!.length)))
  const numeric = new Set([2, 3, 4])
  const line = (cells: readonly string[]): string => `${cells.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ')}`.trimEnd()
  const rule = widths.map((width) => '─'.repeat(width)).join('  ')
  return [line(header), rule, ...rows.map(line), rule, line(total), ''].join('\n')
}
