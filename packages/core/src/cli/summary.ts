import type { CollectReport } from '../collect/collect.js'

/** The closing table of `convoy collect`: files and bytes per kind, original → served → gzip → brotli. */
export function formatSummary(report: CollectReport, storageName: string): string {
  const header = ['kind', 'files', 'original', 'served', 'gzip', 'brotli']
  const rows = Object.entries(report.kinds)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, k]) => [kind, String(k.files), formatBytes(k.original), formatBytes(k.served), formatBytes(k.gzip), formatBytes(k.br)])
  const total = report.bytes
  rows.push(['total', String(report.files), formatBytes(total.original), formatBytes(total.served), formatBytes(total.gzip), formatBytes(total.br)])
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const line = (cells: readonly string[]): string => `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}`
  const rule = `  ${widths.map((width) => '─'.repeat(width)).join('  ')}`
  const verb = report.dryRun ? 'would write' : 'wrote'
  const { added, changed, removed } = report.changes
  const manifestLine = report.manifest.written
    ? `  manifest ${report.manifest.path} ${report.dryRun ? 'would be written' : 'written'} (${report.manifest.id}): ${added.length} new, ${changed.length} changed, ${removed.length} removed`
    : `  manifest ${report.manifest.path} unchanged (${report.manifest.id})`
  return [
    `convoy collect → ${storageName}${report.dryRun ? ' (dry run: nothing written)' : ''}`,
    line(header),
    rule,
    ...rows.slice(0, -1).map(line),
    rule,
    line(rows[rows.length - 1]!),
    `  ${verb} ${report.written} object${report.written === 1 ? '' : 's'}, ${report.unchanged} unchanged, ${report.cacheHits} cache hit${report.cacheHits === 1 ? '' : 's'}, ${report.reused === 0 ? '' : `${report.reused} file${report.reused === 1 ? '' : 's'} unchanged (not read), `}${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}, ${report.seconds.toFixed(2)} s`,
    manifestLine,
    // Said once per run, not per file: what was configured and this Node cannot build.
    ...report.notices.map((notice) => `  note: ${notice}`),
    // A dry run is asked for to see what would change: say which files.
    ...(report.dryRun ? changeLines(report.changes) : []),
    '',
  ].join('\n')
}

/** Changed logical paths listed in a dry run; more than this many are counted instead (`--json` lists all). */
export const LISTED_CHANGES = 20

function changeLines({ added, changed, removed }: CollectReport['changes']): string[] {
  const all = [...added.map((path) => `    new      ${path}`), ...changed.map((path) => `    changed  ${path}`), ...removed.map((path) => `    removed  ${path}`)]
  if (all.length <= LISTED_CHANGES) return all
  return [...all.slice(0, LISTED_CHANGES), `    … and ${all.length - LISTED_CHANGES} more (--json lists them all)`]
}

/** `1.2 kB`, `3.4 MB`: sizes for people. */
export function formatBytes(count: number): string {
  if (count < 1024) return `${count} B`
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} kB`
  return `${(count / 1024 / 1024).toFixed(1)} MB`
}
