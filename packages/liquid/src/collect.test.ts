import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

// `convoy collect` as users run it: @convoy/core's built CLI (a peer dependency, linked in this workspace), in a
// project where this package is installed (its build), with `templates: [{ files, scanner: liquidScanner }]` in a
// convoy.config.mjs.
const CLI = join(dirname(createRequire(import.meta.url).resolve('@convoy/core/package.json')), 'dist/cli.js')
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))

const directories: string[] = []
afterEach(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })))
})

/** A project with `files`, and this package installed in its node_modules (a link, as pnpm and npm link make). */
async function project(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'convoy-liquid-'))
  directories.push(directory)
  const all = {
    'static/css/a.css': '.a{color:red}\n',
    'static/css/b.css': '.b{color:blue}\n',
    'static/js/app.js': 'var app = 1\n',
    'convoy.config.mjs': [
      "import { liquidScanner } from '@convoy/liquid'",
      '',
      "export default { sources: ['static'], out: 'out', templates: [{ files: ['views/*.liquid'], scanner: liquidScanner }] }",
      '',
    ].join('\n'),
    ...files,
  }
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(directory, path)), { recursive: true })
    await writeFile(join(directory, path), text)
  }
  await mkdir(join(directory, 'node_modules/@convoy'), { recursive: true })
  await symlink(PACKAGE, join(directory, 'node_modules/@convoy/liquid'), 'dir')
  return directory
}

function collect(cwd: string): { status: number | null; stderr: string } {
  // No NODE_PATH (pnpm sets one for scripts): @convoy/liquid must be found from the project, as for a user.
  const run = spawnSync(process.execPath, [CLI, 'collect', '--quiet'], { cwd, env: { ...process.env, NODE_PATH: '' }, encoding: 'utf8' })
  return { status: run.status, stderr: run.stderr }
}

describe('convoy collect with templates: [{ files, scanner: liquidScanner }]', () => {
  it('builds the carpool blocks liquidScanner finds, and none that {% raw %} or {% comment %} only shows', async () => {
    const directory = await project({
      'views/page.liquid': "<head>\n{% raw %}{% carpool css %}css/b.css{% endcarpool %}{% endraw %}\n{%- carpool 'css' -%}\n  css/a.css\n  {% # the theme %}\n  css/b.css\n{%- endcarpool %}\n</head>\n",
      'views/scripts.liquid': '{% if true %}\n{% comment %}{% carpool css %}css/a.css{% endcarpool %}{% endcomment %}\n{% carpool js %}\r\njs/app.js\r\n{% endcarpool %}{% endif %}',
      'views/dynamic.liquid': '{% carpool css %}{{ theme }}.css{% endcarpool %}',
      'views/other.njk': '{% carpool js %}js/app.js{% endcarpool %}',
    })
    const run = collect(directory)
    expect(run.status, run.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(join(directory, 'out/convoy-manifest.json'), 'utf8')) as { carpools: Record<string, { kind: string; members: string[]; served: string }> }
    expect(Object.keys(manifest.carpools).sort()).toEqual(['views/page.liquid:3', 'views/scripts.liquid:3'])
    expect(manifest.carpools['views/page.liquid:3']).toMatchObject({ kind: 'css', members: ['css/a.css', 'css/b.css'], served: expect.stringMatching(/^CARPOOL\/css\/[0-9a-f]{12}\.cmin\.css$/) as string })
    expect(manifest.carpools['views/scripts.liquid:3']).toMatchObject({ kind: 'js', members: ['js/app.js'], served: expect.stringMatching(/^CARPOOL\/js\/[0-9a-f]{12}\.cmin\.js$/) as string })
    // The bundle itself is in the storage: the members' minified CSS, in order.
    const served = manifest.carpools['views/page.liquid:3']!.served
    expect(await readFile(join(directory, 'out', served), 'utf8')).toMatch(/\.a\{color:red\}[\s\S]*\.b\{color:/)
  }, 60_000)

  it('fails the run naming the template, line and column of a malformed block', async () => {
    const directory = await project({ 'views/bad.liquid': '<head>\n\n{% carpool scss %}\ncss/a.css\n{% endcarpool %}\n' })
    const run = collect(directory)
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('views/bad.liquid:3:12: {% carpool %} kind must be css or js, not "scss"')
  }, 60_000)
})
