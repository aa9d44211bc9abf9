import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { removeTemporaryDirectories, runConvoy, temporaryDirectory, writeTree } from './helpers.js'

afterAll(removeTemporaryDirectories)

/** Every file name below `root`, relative. */
async function names(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).map(String).sort()
}

describe('convoy collect on hostile trees', () => {
  it('does not publish what a symlink outside the source points at, and says so once', async () => {
    const cwd = await temporaryDirectory()
    const secret = await temporaryDirectory()
    await writeFile(join(secret, 'shadow'), 'root:$6$secret')
    await writeTree(cwd, { 'static/css/a.css': 'a{}' })
    await symlink(secret, join(cwd, 'static', 'etc'))
    const result = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--no-minify', '--no-compress'], { cwd })
    expect(result.code).toBe(0)
    expect((await names(join(cwd, 'out'))).some((name) => name.includes('shadow'))).toBe(false)
    expect(result.stderr.match(/symbolic link that leaves the sources/g)).toHaveLength(1)
    expect(result.stderr).toContain(join('static', 'etc'))
  })

  it('refuses an output directory inside the source through a symlink (exit 2, nothing written)', async () => {
    const cwd = await temporaryDirectory()
    await writeTree(cwd, { 'static/a.css': 'a{}' })
    await mkdir(join(cwd, 'static', 'public'))
    await symlink(join(cwd, 'static', 'public'), join(cwd, 'out'))
    const result = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/output directory .*out \(really .*static\/public\) is inside the source directory/)
    expect(await readdir(join(cwd, 'static', 'public'))).toEqual([])
  })

  it('skips a file named with a backslash and goes on', async () => {
    const cwd = await temporaryDirectory()
    await writeTree(cwd, { 'static/a.css': 'a{}', 'static/b\\c.css': 'b{}' })
    const result = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('an unsafe file name')
    expect(JSON.parse(await readFile(join(cwd, 'out', 'convoy-manifest.json'), 'utf8')).files).toHaveProperty(['a.css'])
  })

  it('treats a binary file named .css as binary, and bounds and escapes warnings', async () => {
    const cwd = await temporaryDirectory()
    const binary = Buffer.concat([Buffer.from([0, 1, 2]), randomBytes(64 * 1024)])
    const huge = `a{color:red}\n.b{${'x'.repeat(200_000)}`
    await writeTree(cwd, { 'static/bin.css': binary, 'static/huge.css': huge, 'static/nul.js': `${'// padding\n'.repeat(1000)}var a = "\u0000";\nfunction (` })
    const result = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--json'], { cwd })
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as { warnings: { kind?: string; message: string; file?: string }[] }
    expect(report.warnings.filter((warning) => warning.kind === 'binary-text').map((warning) => warning.file)).toEqual([join(cwd, 'static', 'bin.css')])
    expect(report.warnings.filter((warning) => warning.kind === 'minify-error').map((warning) => warning.file)).toContain(join(cwd, 'static', 'nul.js'))
    for (const warning of report.warnings) {
      expect(warning.message.length).toBeLessThanOrEqual(500)
      expect(warning.message.includes(String.fromCharCode(0))).toBe(false)
    }
    const manifest = JSON.parse(await readFile(join(cwd, 'out', 'convoy-manifest.json'), 'utf8')) as { files: Record<string, { served: string }> }
    expect(manifest.files['bin.css']!.served).not.toContain('.cmin.')
    expect(Buffer.compare(await readFile(join(cwd, 'out', manifest.files['bin.css']!.served)), binary)).toBe(0)
  })

  it('groups many warnings of one kind; --verbose lists all; --quiet prints one count', async () => {
    const cwd = await temporaryDirectory()
    const files: Record<string, string> = {}
    for (let index = 0; index < 12; index += 1) files[`static/js/lib${index}.js`] = `var a${index} = 1\n//# sourceMappingURL=lib${index}.js.map\n`
    await writeTree(cwd, files)
    const grouped = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd })
    expect(grouped.code).toBe(0)
    expect(grouped.stderr.trim().split('\n')).toHaveLength(1)
    expect(grouped.stderr).toMatch(/12 × missing-reference \[references\]: .*lib0\.js:2:\d+, .*lib1\.js:2:\d+, .*lib10\.js:2:\d+ and 9 more \(--verbose lists all\)/)
    const verbose = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--verbose'], { cwd })
    expect(verbose.stderr.trim().split('\n')).toHaveLength(12)
    const quiet = await runConvoy(['collect', '--source', 'static', '--out', 'out', '--quiet'], { cwd })
    expect(quiet.stderr.trim()).toBe('convoy: 12 warnings (run without --quiet to see them)')
    expect(quiet.stdout).toBe('')
  })
})

describe('concurrent deploys to one output directory', () => {
  it('the second run exits 1 with ERR_CONVOY_CONFLICT while the first holds the lock; both deploys end up in the manifest', async () => {
    const cwd = await temporaryDirectory()
    const files: Record<string, string> = {}
    for (let index = 0; index < 300; index += 1) files[`one/js/f${index}.js`] = `export const f${index} = ${index} * 2\n`
    await writeTree(cwd, { ...files, 'two/css/b.css': 'b{color:red}' })
    const first = runConvoy(['collect', '--source', 'one', '--out', 'out'], { cwd })
    // Wait (bounded) until the first run holds the lock, then start the second.
    for (let tries = 0; tries < 200; tries += 1) {
      if ((await readdir(join(cwd, 'out')).catch((): string[] => [])).includes('.convoy-lock')) break
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const second = await runConvoy(['collect', '--source', 'two', '--out', 'out'], { cwd })
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/locked, held by pid \d+ on host .* for "convoy collect"/)
    expect((await first).code).toBe(0)
    const waiting = await runConvoy(['collect', '--source', 'two', '--out', 'out', '--lock-timeout', '60'], { cwd })
    expect(waiting.code).toBe(0)
    const manifest = JSON.parse(await readFile(join(cwd, 'out', 'convoy-manifest.json'), 'utf8')) as { files: Record<string, unknown>; history: unknown[] }
    expect(Object.keys(manifest.files)).toEqual(['css/b.css'])
    expect(JSON.stringify(manifest.history)).toContain('js/f0.')
  }, 120_000)

  it('removes temp files of a killed run on the next collect', async () => {
    const cwd = await temporaryDirectory()
    await writeTree(cwd, { 'static/a.css': 'a{}' })
    await mkdir(join(cwd, 'out', 'css'), { recursive: true })
    // pid 2^22+1 is above Linux's pid_max: never alive.
    const hostId = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    await writeFile(join(cwd, 'out', 'css', `.convoy-tmp-4194305-${hostId}-0123456789abcdef`), 'half')
    const result = await runConvoy(['collect', '--source', 'static', '--out', 'out'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/removed 1 temporary file left by an interrupted run/)
    expect(await readdir(join(cwd, 'out', 'css'))).toEqual([])
    await writeFile(join(cwd, 'out', `.convoy-tmp-4194305-${hostId}-fedcba9876543210`), 'half')
    const cleaned = await runConvoy(['clean', '--out', 'out'], { cwd })
    expect(cleaned.code).toBe(0)
    expect(cleaned.stdout).toContain('removed 1 temporary file left by interrupted runs')
    expect((await readdir(join(cwd, 'out'))).filter((name) => name.startsWith('.convoy-tmp-'))).toEqual([])
  })
})
