// The checks of a template engine's `convoy` and `carpool` tags and its scanner: each one a plain async function of a
// target (`TemplateTarget`) that rejects when the engine breaks the contract, against a real runtime
// (`createConvoy()` from @convoy/core, given by the engine) over the fixture's manifest. `runTemplateEngineSuite`
// registers one `it` per check; `TEMPLATE_CHECKS` lets a test run them by hand (template-suite-catches-bugs.test.ts
// does, against broken engines).
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { expect } from 'vitest'
import { request } from './client.js'
import { listen } from './listen.js'
import type {
  TemplateCarpoolKind,
  TemplateCheck,
  TemplateConvoy,
  TemplateEngineUnderTest,
  TemplateMalformedCase,
  TemplateRenderer,
  TemplateScannedBlock,
  TemplateScannerCase,
  TemplateTagOptionsLike,
  TemplateTarget,
} from './template-engine.js'
import type { TemplateAsset } from './template-fixture.js'

/** One row of the Accept-Encoding table: a render's variables, and whether the page may link `.gz` files. */
export interface TemplateAcceptEncodingCase {
  /** What the render is given, in words: `req.headers['accept-encoding'] "gzip"`. */
  readonly title: string
  /** The render's variables (made anew for each render: a Fetch `Request` is one of them). */
  readonly context: () => Record<string, unknown>
  /** Whether gzip is acceptable, so that a runtime with `gzipInTemplate` links the `.gz` siblings. */
  readonly gzip: boolean
}

const headers = (acceptEncoding: string | string[] | undefined): { headers: Record<string, string | string[]> } => ({
  headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding },
})
const fetchRequest = (acceptEncoding: string): Request => new Request('http://127.0.0.1/', { headers: { 'Accept-Encoding': acceptEncoding } })

/**
 * Where the tags find the request's `Accept-Encoding` (the default rules of `acceptEncodingFromContext` in
 * `@convoy/carpool`): an `acceptEncoding` variable, else `req.headers`, else `request.headers` (a Node request or a
 * Fetch API `Request`), with q-values honoured by the runtime.
 */
export const TEMPLATE_ACCEPT_ENCODING_CASES: readonly TemplateAcceptEncodingCase[] = [
  { title: 'no request at all', context: () => ({}), gzip: false },
  { title: 'acceptEncoding "gzip, deflate, br"', context: () => ({ acceptEncoding: 'gzip, deflate, br' }), gzip: true },
  { title: 'acceptEncoding "GZIP;q=0.5"', context: () => ({ acceptEncoding: 'GZIP;q=0.5' }), gzip: true },
  { title: 'acceptEncoding "gzip;q=0, br"', context: () => ({ acceptEncoding: 'gzip;q=0, br' }), gzip: false },
  { title: "req.headers['accept-encoding'] \"gzip\"", context: () => ({ req: headers('gzip') }), gzip: true },
  { title: "req.headers['accept-encoding'] [\"br\", \"gzip\"] (a repeated header)", context: () => ({ req: headers(['br', 'gzip']) }), gzip: true },
  { title: "req.headers['accept-encoding'] \"br, *;q=0\"", context: () => ({ req: headers('br, *;q=0') }), gzip: false },
  { title: 'req without the header', context: () => ({ req: headers(undefined) }), gzip: false },
  { title: "request.headers['accept-encoding'] \"gzip\"", context: () => ({ request: headers('gzip') }), gzip: true },
  { title: 'request, a Fetch API Request with Accept-Encoding "gzip"', context: () => ({ request: fetchRequest('gzip') }), gzip: true },
  { title: 'request, a Fetch API Request with Accept-Encoding "br"', context: () => ({ request: fetchRequest('br') }), gzip: false },
  { title: 'acceptEncoding "identity" before req accepting gzip', context: () => ({ acceptEncoding: 'identity', req: headers('gzip') }), gzip: false },
  { title: 'req before request', context: () => ({ req: headers('br'), request: headers('gzip') }), gzip: false },
  { title: 'request that is not a request', context: () => ({ request: 'gzip' }), gzip: false },
]

const URL_GROUP = 'the URL tag'
const CARPOOL_GROUP = 'the carpool block'
const ACCEPT_GROUP = 'Accept-Encoding'
const SCANNER_GROUP = 'the scanner'
const MALFORMED_GROUP = 'malformed blocks'
const HTTP_GROUP = 'over HTTP'
const COLLECT_GROUP = 'convoy collect'
const CASES_GROUP = "the engine's own templates"
const MALFORMED_CASES_GROUP = "the engine's own malformed templates"

/** A base URL with characters an attribute must not hold raw, for the escaping checks. */
const HOSTILE_BASE_URL = '/static/a&"b/'
/** How many times (10 ms apart) a check renders while waiting for a background build. */
const BUILD_ATTEMPTS = 500
const COLLECT_TIMEOUT_MS = 60_000

// ─── helpers ───────────────────────────────────────────────────────────────────────────────────────────────────────

const url = (target: TemplateTarget, path: TemplateAsset, gzip = false, base = '/static/'): string => `${base}${target.fixture.served[path]}${gzip ? '.gz' : ''}`

/** The runtime's default carpool HTML for these (unescaped) URLs. */
function carpoolHtml(kind: TemplateCarpoolKind, urls: readonly string[], count = urls.length): string {
  const tags = urls.map((href) => (kind === 'css' ? `<link rel="stylesheet" href="${href}">` : `<script src="${href}"></script>`))
  return [`<!-- carpool ${kind}: ${count} files -->`, ...tags, '<!-- /carpool -->'].join('\n')
}

async function compile(target: TemplateTarget, template: string, convoy: TemplateRenderer, options?: TemplateTagOptionsLike): Promise<(context?: Record<string, unknown>) => Promise<string>> {
  const render = await (options === undefined ? target.engine.compile(template, convoy) : target.engine.compile(template, convoy, options))
  expect(typeof render, `${target.engine.name}: compile() must return a render function`).toBe('function')
  return async (context = {}) => {
    const html: unknown = await render(context)
    expect(typeof html, `${target.engine.name}: a render must give a string`).toBe('string')
    return html as string
  }
}

async function render(target: TemplateTarget, template: string, convoy: TemplateRenderer, context: Record<string, unknown> = {}): Promise<string> {
  return (await compile(target, template, convoy))(context)
}

/** The error of compiling and rendering `template`; fails when it renders. */
async function renderFailure(target: TemplateTarget, template: string, convoy: TemplateRenderer, context: Record<string, unknown> = {}): Promise<unknown> {
  let html: string
  try {
    html = await render(target, template, convoy, context)
  } catch (error) {
    return error
  }
  throw new Error(`${target.engine.name}: expected the render to fail, it gave ${JSON.stringify(html.slice(0, 300))}\n--- template ---\n${template}`)
}

/** The error, its `cause`s and LiquidJS-style `originalError`s, outermost first. */
function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = []
  for (let current = error; typeof current === 'object' && current !== null && !chain.includes(current) && chain.length < 8; ) {
    chain.push(current)
    const { cause, originalError } = current as { cause?: unknown; originalError?: unknown }
    current = cause ?? originalError
  }
  return chain
}

const codesOf = (error: unknown): unknown[] => errorChain(error).map((link) => (link as { code?: unknown }).code)
const messagesOf = (error: unknown): string =>
  [error, ...errorChain(error)].map((link) => (link instanceof Error ? link.message : typeof link === 'string' ? link : '')).join('\n')

/** A render error keeps the runtime's code (on itself or a cause), names `path`, and names `line` when the engine can. */
function expectRuntimeError(target: TemplateTarget, error: unknown, code: string, path: string, line: number): void {
  expect(codesOf(error), `${target.engine.name}: the render error (or its cause) must carry ${code}; got ${messagesOf(error)}`).toContain(code)
  expect(messagesOf(error), 'the message names the logical path').toContain(path)
  if (target.engine.errorLine !== undefined) expect(target.engine.errorLine(error), "the error's line is the failing tag's").toBe(line)
}

/** A runtime's calls of `carpool()`, recorded on their way to it. */
function recording(convoy: TemplateConvoy): { renderer: TemplateRenderer; carpools: { kind: TemplateCarpoolKind; members: string[] }[] } {
  const carpools: { kind: TemplateCarpoolKind; members: string[] }[] = []
  const renderer: TemplateRenderer = {
    url: (path, options) => convoy.url(path, options),
    carpool: (kind, paths, options) => {
      carpools.push({ kind, members: [...paths] })
      return convoy.carpool(kind, paths, options)
    },
  }
  return { renderer, carpools }
}

/** `pieces` joined into one template, and the 1-based line each piece starts on. */
function compose(...pieces: string[]): { template: string; lines: number[] } {
  let template = ''
  const lines: number[] = []
  for (const piece of pieces) {
    lines.push(template.split('\n').length)
    template += piece
  }
  return { template, lines }
}

const SCANNED_FILE = (target: TemplateTarget): string => `views/page${target.engine.extension}`

function scan(target: TemplateTarget, template: string): readonly TemplateScannedBlock[] {
  const blocks = target.engine.scanner.scan(template, SCANNED_FILE(target))
  expect(Array.isArray(blocks), 'scan() returns an array').toBe(true)
  return blocks
}

/**
 * The scanner finds `expected` in `template`, and a render (through the real runtime, or, with `convoy` undefined, a
 * recorder that links nothing) asks for exactly those carpools, in order.
 */
async function expectScanAgrees(
  target: TemplateTarget,
  template: string,
  expected: readonly TemplateScannedBlock[],
  options: { convoy?: TemplateConvoy | undefined; context?: Record<string, unknown> | undefined; renders?: false | undefined; html?: string | undefined } = {},
): Promise<string> {
  expect(scan(target, template), `${target.engine.scanner.name}: the blocks of\n${template}`).toEqual(expected)
  if (options.renders === false) return ''
  const { renderer, carpools } = recording(options.convoy ?? RECORDER)
  const html = await render(target, template, renderer, options.context)
  expect(carpools, 'what the rendered tags asked the runtime for').toEqual(expected.map(({ kind, members }) => ({ kind, members: [...members] })))
  if (options.html !== undefined) expect(html, 'the render').toBe(options.html)
  return html
}

/** {@link expectScanAgrees} through the real runtime over the fixture's manifest. */
async function expectScanAgreesWithRender(target: TemplateTarget, template: string, expected: readonly TemplateScannedBlock[]): Promise<string> {
  return expectScanAgrees(target, template, expected, { convoy: await target.convoy({ combineDuringRequest: false }) })
}

/**
 * A stand-in runtime for the engine's own templates, whose paths no manifest knows: every URL is `/static/<path>`,
 * every carpool `<!-- carpool <kind>: <members> -->`.
 */
const RECORDER: TemplateConvoy = {
  url: (path) => `/static/${path}`,
  carpool: (kind, paths) => `<!-- carpool ${kind}: ${paths.join(' ')} -->`,
  prepareCarpool: () => Promise.reject(new Error('not here')),
  reload: () => Promise.resolve(),
}

/**
 * The scanner refuses `template` with ERR_CONVOY_TEMPLATE at `line` (and `column`), its message naming the template,
 * the position and `says`; a render fails too (saying `says`, when `tagSays`).
 */
async function expectMalformed(target: TemplateTarget, template: string, at: { line: number; column?: number | undefined }, says?: string, tagSays = true): Promise<void> {
  const file = SCANNED_FILE(target)
  let scanError: unknown
  try {
    target.engine.scanner.scan(template, file)
  } catch (error) {
    scanError = error
  }
  expect(scanError, `${target.engine.scanner.name}: scan() must throw for\n${template}`).toBeInstanceOf(Error)
  const { code, file: named, line, column } = scanError as { code?: unknown; file?: unknown; line?: unknown; column?: unknown }
  const expected = { code: 'ERR_CONVOY_TEMPLATE', file, line: at.line, ...(at.column === undefined ? {} : { column: at.column }) }
  expect({ code, file: named, line, ...(at.column === undefined ? {} : { column }) }, `the scan error: ${messagesOf(scanError)}`).toEqual(expected)
  const position = `${file}:${at.line}${at.column === undefined ? '' : `:${at.column}`}`
  expect((scanError as Error).message, 'the message names the template and the position').toContain(position)
  if (says !== undefined) expect((scanError as Error).message).toContain(says)
  const renderError = await renderFailure(target, template, RECORDER)
  if (says !== undefined && tagSays) expect(messagesOf(renderError), 'the tag says what is wrong').toContain(says)
  if (tagSays && target.engine.errorLine !== undefined) expect(target.engine.errorLine(renderError), "the render error's line").toBe(at.line)
}

/** Runs `node <args>` in `cwd` (bounded by a timeout), without NODE_PATH, as a user's shell would. */
function runNode(args: readonly string[], cwd: string): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    // No NODE_PATH (pnpm sets one for scripts): the engine package must be found from the project, as for a user.
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NODE_PATH: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), COLLECT_TIMEOUT_MS - 5000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stderr, stdout })
    })
  })
}

/** The `convoy` bin of the `@convoy/core` the engine package in `directory` resolves (its peer dependency). */
async function convoyCli(directory: string): Promise<string> {
  const core = createRequire(join(directory, 'package.json')).resolve('@convoy/core/package.json')
  const { bin } = JSON.parse(await readFile(core, 'utf8')) as { bin?: string | Record<string, string> }
  const script = typeof bin === 'string' ? bin : bin?.convoy
  if (script === undefined) throw new Error(`${core} names no convoy bin`)
  return join(dirname(core), script)
}

/** A project with `files`, the engine package linked in its node_modules, collected with `convoy collect --quiet`. */
async function collectProject(target: TemplateTarget, templates: Record<string, string>): Promise<{ status: number | null; stderr: string; directory: string; cleanup(): Promise<void> }> {
  const collect = target.engine.collect!
  const directory = await mkdtemp(join(tmpdir(), 'convoy-template-collect-'))
  const cleanup = () => rm(directory, { recursive: true, force: true })
  try {
    const { name } = JSON.parse(await readFile(join(collect.packageDirectory, 'package.json'), 'utf8')) as { name: string }
    const files = JSON.stringify(`views/*${target.engine.extension}`)
    const config = [
      collect.scanner === undefined ? '' : `import { ${collect.scanner} } from '${name}'`,
      `export default { sources: ['static'], out: 'out', templates: [${collect.scanner === undefined ? files : `{ files: [${files}], scanner: ${collect.scanner} }`}] }`,
      '',
    ].join('\n')
    const all: Record<string, string> = {
      'static/css/a.css': '.a{color:red}\n',
      'static/css/b.css': '.b{color:blue}\n',
      'static/js/app.js': 'var app = 1\n',
      'convoy.config.mjs': config,
      ...templates,
    }
    for (const [path, text] of Object.entries(all)) {
      await mkdir(dirname(join(directory, path)), { recursive: true })
      await writeFile(join(directory, path), text)
    }
    const link = join(directory, 'node_modules', ...name.split('/'))
    await mkdir(dirname(link), { recursive: true })
    await symlink(collect.packageDirectory, link, 'dir')
    const run = await runNode([await convoyCli(collect.packageDirectory), 'collect', '--quiet'], directory)
    return { ...run, directory, cleanup }
  } catch (error) {
    await cleanup()
    throw error
  }
}

// ─── the checks ────────────────────────────────────────────────────────────────────────────────────────────────────

const URL_CHECKS: TemplateCheck[] = [
  {
    group: URL_GROUP,
    title: 'renders the served URL of a logical path',
    run: async (target) => {
      const { syntax } = target.engine
      const html = await render(target, `<link href="${syntax.url('css/a.css')}">\n<script src="${syntax.url('js/app.js')}"></script>`, await target.convoy())
      expect(html).toBe(`<link href="${url(target, 'css/a.css')}">\n<script src="${url(target, 'js/app.js')}"></script>`)
    },
  },
  {
    group: URL_GROUP,
    title: 'escapes the URL as the engine escapes its output (it stands in an attribute)',
    run: async (target) => {
      const { escapeHtml, syntax } = target.engine
      const raw = url(target, 'css/a.css', false, HOSTILE_BASE_URL)
      const html = await render(target, `<link href="${syntax.url('css/a.css')}">`, await target.convoy({ baseUrl: HOSTILE_BASE_URL }))
      if (escapeHtml === false) {
        expect(html, 'escapeHtml is false: the URL as is').toBe(`<link href="${raw}">`)
        return
      }
      const escaped = escapeHtml(raw)
      expect(escaped, `${target.engine.name}'s escapeHtml must escape " and &`).not.toMatch(/"|&(?![a-z]+;|#\d+;|#x[\da-f]+;)/i)
      expect(html).toBe(`<link href="${escaped}">`)
    },
  },
  {
    group: URL_GROUP,
    title: 'looks the path up at every render: convoy.reload() shows without compiling again',
    run: async (target) => {
      const { fixture } = target
      const manifestFile = await fixture.writeManifest('reload', fixture.manifest)
      const convoy = await target.engine.createConvoy({ manifest: manifestFile, onWarning: () => undefined })
      const page = await compile(target, target.engine.syntax.url('css/a.css'), convoy)
      expect(await page()).toBe(url(target, 'css/a.css'))
      const entry = fixture.manifest.files['css/a.css']!
      await fixture.writeManifest('reload', { ...fixture.manifest, files: { ...fixture.manifest.files, 'css/a.css': { ...entry, served: 'css/a.fedcba987654.cmin.css' } } })
      await convoy.reload()
      expect(await page()).toBe('/static/css/a.fedcba987654.cmin.css')
    },
  },
  {
    group: URL_GROUP,
    title: 'a logical path the manifest does not know fails the render with ERR_CONVOY_MISSING_ASSET',
    run: async (target) => {
      const error = await renderFailure(target, `<p>\n${target.engine.syntax.url('css/nope.css')}</p>`, await target.convoy())
      expectRuntimeError(target, error, 'ERR_CONVOY_MISSING_ASSET', 'css/nope.css', 2)
    },
  },
  {
    group: URL_GROUP,
    title: 'in debug mode, links the originals, one tag per carpool member, never a .gz',
    run: async (target) => {
      const { syntax } = target.engine
      const convoy = await target.convoy({ debug: true, gzipInTemplate: true })
      const html = await render(target, `<i>${syntax.url('css/a.css')}</i><i>${syntax.carpool('js', ['js/vendor.js', 'js/app.js'])}</i>`, convoy, { acceptEncoding: 'gzip' })
      expect(html).toBe(`<i>/static/css/a.css</i><i>${carpoolHtml('js', ['/static/js/vendor.js', '/static/js/app.js'])}</i>`)
    },
  },
]

const CARPOOL_CHECKS: TemplateCheck[] = [
  {
    group: CARPOOL_GROUP,
    title: 'a bundle that exists renders as its one tag',
    run: async (target) => {
      const convoy = await target.convoy()
      const bundle = await convoy.prepareCarpool('css', ['css/a.css', 'css/b.css'])
      expect(bundle).toMatch(/^\/static\/CARPOOL\/css\/[\da-f]{12}\.cmin\.css$/)
      const html = await render(target, `<i>${target.engine.syntax.carpool('css', ['css/a.css', 'css/b.css'])}</i>`, convoy)
      expect(html).toBe(`<i>${carpoolHtml('css', [bundle], 2)}</i>`)
    },
  },
  {
    group: CARPOOL_GROUP,
    title: 'a bundle not built yet renders one tag per member, css and js',
    run: async (target) => {
      const { syntax } = target.engine
      const template = `<i>${syntax.carpool('css', ['css/a.css', 'css/b.css'])}</i><i>${syntax.carpool('js', ['js/vendor.js', 'js/app.js'])}</i>`
      const html = await render(target, template, await target.convoy({ combineDuringRequest: false }))
      const css = carpoolHtml('css', [url(target, 'css/a.css'), url(target, 'css/b.css')])
      expect(html).toBe(`<i>${css}</i><i>${carpoolHtml('js', [url(target, 'js/vendor.js'), url(target, 'js/app.js')])}</i>`)
    },
  },
  {
    group: CARPOOL_GROUP,
    title: 'reads one logical path per line: indentation and blank lines are not members',
    run: async (target) => {
      const { renderer, carpools } = recording(await target.convoy({ combineDuringRequest: false }))
      await render(target, target.engine.syntax.carpool('css', ['', '   css/a.css   ', '', '\tcss/b.css', '']), renderer)
      expect(carpools).toEqual([{ kind: 'css', members: ['css/a.css', 'css/b.css'] }])
    },
  },
  {
    group: CARPOOL_GROUP,
    title: 'a comment in the body is not a member',
    needs: ['comment'],
    run: async (target) => {
      const { syntax } = target.engine
      const { renderer, carpools } = recording(await target.convoy({ combineDuringRequest: false }))
      await render(target, syntax.carpool('css', ['css/a.css', syntax.comment!('css/old.css'), 'css/b.css']), renderer)
      expect(carpools).toEqual([{ kind: 'css', members: ['css/a.css', 'css/b.css'] }])
    },
  },
  {
    group: CARPOOL_GROUP,
    title: "inserts the runtime's HTML as it is (the runtime escaped it once)",
    run: async (target) => {
      const convoy = await target.convoy({ baseUrl: HOSTILE_BASE_URL, combineDuringRequest: false })
      const expected = convoy.carpool('css', ['css/a.css'])
      expect(expected).toContain('&amp;')
      expect(await render(target, `<i>${target.engine.syntax.carpool('css', ['css/a.css'])}</i>`, convoy)).toBe(`<i>${expected}</i>`)
    },
  },
  {
    group: CARPOOL_GROUP,
    title: 'a member the manifest does not know fails the render with ERR_CONVOY_MISSING_ASSET',
    run: async (target) => {
      const error = await renderFailure(target, `<p>\n${target.engine.syntax.carpool('js', ['js/app.js', 'js/missing.js'])}`, await target.convoy({ combineDuringRequest: false }))
      expectRuntimeError(target, error, 'ERR_CONVOY_MISSING_ASSET', 'js/missing.js', 2)
    },
  },
  {
    group: CARPOOL_GROUP,
    title: 'a bundle not built yet is built in the background by a render, and linked from then on',
    run: async (target) => {
      const convoy = await target.convoy()
      const page = await compile(target, `<i>${target.engine.syntax.carpool('css', ['css/b.css', 'css/a.css'])}</i>`, convoy)
      expect(await page(), 'the first render links the members').toBe(`<i>${carpoolHtml('css', [url(target, 'css/b.css'), url(target, 'css/a.css')])}</i>`)
      let html = await page()
      for (let attempt = 0; attempt < BUILD_ATTEMPTS && !html.includes('/CARPOOL/'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        html = await page()
      }
      expect(html).toMatch(/^<i><!-- carpool css: 2 files -->\n<link rel="stylesheet" href="\/static\/CARPOOL\/css\/[\da-f]{12}\.cmin\.css">\n<!-- \/carpool --><\/i>$/)
    },
  },
]

/** The page of the Accept-Encoding checks: a URL and a one-member carpool, with `gzip` when the `.gz` files are linked. */
const acceptPage = (target: TemplateTarget): string => `<i>${target.engine.syntax.url('css/a.css')}</i><i>${target.engine.syntax.carpool('js', ['js/app.js'])}</i>`
const gzipSays = (gzip: boolean): string => (gzip ? 'the URL and the carpool link the .gz siblings' : 'no .gz sibling is linked')
const acceptHtml = (target: TemplateTarget, gzip: boolean): string => `<i>${url(target, 'css/a.css', gzip)}</i><i>${carpoolHtml('js', [url(target, 'js/app.js', gzip)])}</i>`

const ACCEPT_CHECKS: TemplateCheck[] = [
  ...TEMPLATE_ACCEPT_ENCODING_CASES.map(
    (row): TemplateCheck => ({
      group: ACCEPT_GROUP,
      title: `${row.title} → ${row.gzip ? '.gz links' : 'no .gz link'}`,
      run: async (target) => {
        const html = await render(target, acceptPage(target), await target.convoy({ gzipInTemplate: true, combineDuringRequest: false }), row.context())
        expect(html, gzipSays(row.gzip)).toBe(acceptHtml(target, row.gzip))
      },
    }),
  ),
  {
    group: ACCEPT_GROUP,
    title: 'a getAcceptEncoding option replaces the default rules, reading the render through context.lookup()',
    run: async (target) => {
      const convoy = await target.convoy({ gzipInTemplate: true, combineDuringRequest: false })
      const seen: unknown[] = []
      const page = await compile(target, acceptPage(target), convoy, {
        getAcceptEncoding: (context) => {
          const value = context.lookup('encodings')
          seen.push(value)
          return typeof value === 'string' ? value : undefined
        },
      })
      expect(await page({ encodings: 'gzip' }), gzipSays(true)).toBe(acceptHtml(target, true))
      expect(await page({ req: { headers: { 'accept-encoding': 'gzip' } } }), `the default rules are replaced: ${gzipSays(false)}`).toBe(acceptHtml(target, false))
      expect(seen, 'getAcceptEncoding is asked at each render').toContain('gzip')
      expect(seen, 'getAcceptEncoding is asked at each render').toContain(undefined)
    },
  },
  {
    group: ACCEPT_GROUP,
    title: 'req, a node:http request: .gz links when it accepts gzip, none when it does not',
    run: async (target) => {
      const page = await compile(target, acceptPage(target), await target.convoy({ gzipInTemplate: true, combineDuringRequest: false }))
      const server = await listen((req, res) => {
        page({ req }).then(
          (html) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
          (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
        )
      })
      try {
        for (const [acceptEncoding, gzip] of [['gzip, deflate', true], ['identity', false]] as const) {
          const reply = await request(server.url, '/', { headers: { 'accept-encoding': acceptEncoding } })
          expect([reply.status, reply.body.toString('utf8')], `Accept-Encoding: ${acceptEncoding}: ${gzipSays(gzip)}`).toEqual([200, acceptHtml(target, gzip)])
        }
      } finally {
        await server.close()
      }
    },
  },
]

const SCANNER_CHECKS: TemplateCheck[] = [
  {
    group: SCANNER_GROUP,
    title: 'is a TemplateScanner: a name, and scan() giving the blocks',
    run: (target) => {
      const { scanner } = target.engine
      expect([typeof scanner.name, scanner.name.length > 0, typeof scanner.scan]).toEqual(['string', true, 'function'])
      return Promise.resolve()
    },
  },
  {
    group: SCANNER_GROUP,
    title: 'finds exactly the blocks the tags render, at the lines of their opening tags',
    run: async (target) => {
      const { syntax } = target.engine
      const { template, lines } = compose(
        '<head>\n',
        syntax.carpool('css', ['  css/a.css', '', 'css/b.css  ']),
        `\n<link href="${syntax.url('js/app.js')}">\n<p>`,
        syntax.carpool('js', ['js/vendor.js', 'js/app.js']),
        '</p>\n',
      )
      await expectScanAgreesWithRender(target, template, [
        { kind: 'css', members: ['css/a.css', 'css/b.css'], line: lines[1]! },
        { kind: 'js', members: ['js/vendor.js', 'js/app.js'], line: lines[3]! },
      ])
    },
  },
  {
    group: SCANNER_GROUP,
    title: 'reads CRLF line ends as the tags do',
    run: async (target) => {
      const { syntax } = target.engine
      const { template, lines } = compose('<head>\n\n', syntax.carpool('css', ['css/a.css', 'css/b.css']), '\n', syntax.carpool('js', ['js/app.js']), '\n')
      await expectScanAgreesWithRender(target, template.replaceAll('\n', '\r\n'), [
        { kind: 'css', members: ['css/a.css', 'css/b.css'], line: lines[1]! },
        { kind: 'js', members: ['js/app.js'], line: lines[3]! },
      ])
    },
  },
  {
    group: SCANNER_GROUP,
    title: 'a block a raw block only shows is not a block, and renders as text',
    needs: ['raw'],
    run: async (target) => {
      const { syntax } = target.engine
      const shown = syntax.carpool('css', ['css/b.css'])
      const { template, lines } = compose('<head>\n', syntax.raw!(shown), '\n', syntax.carpool('js', ['js/app.js']), '\n')
      const html = await expectScanAgreesWithRender(target, template, [{ kind: 'js', members: ['js/app.js'], line: lines[3]! }])
      expect(html, 'the raw block is output as written').toContain(shown)
    },
  },
  {
    group: SCANNER_GROUP,
    title: 'a block inside a comment is not a block, and renders nothing',
    needs: ['comment'],
    run: async (target) => {
      const { syntax } = target.engine
      const { template, lines } = compose('<head>\n', syntax.comment!(syntax.carpool('css', ['css/b.css'])), '\n', syntax.carpool('js', ['js/app.js']), '\n')
      const html = await expectScanAgreesWithRender(target, template, [{ kind: 'js', members: ['js/app.js'], line: lines[3]! }])
      expect(html, 'nothing of the comment is output').not.toContain('css/b.css')
    },
  },
  {
    group: SCANNER_GROUP,
    title: 'a block whose body holds an output is skipped: its members are not known before a render',
    needs: ['output'],
    run: (target) => {
      const { syntax } = target.engine
      const { template, lines } = compose(syntax.carpool('css', [`css/${syntax.output!('theme')}.css`]), '\n', syntax.carpool('js', ['js/app.js']))
      expect(scan(target, template)).toEqual([{ kind: 'js', members: ['js/app.js'], line: lines[2]! }])
      return Promise.resolve()
    },
  },
  {
    group: SCANNER_GROUP,
    title: 'a template without carpool blocks has none',
    run: async (target) => {
      await expectScanAgreesWithRender(target, `<p>carpool css</p>\n<link href="${target.engine.syntax.url('css/a.css')}">\n`, [])
    },
  },
]

const MALFORMED_CHECKS: TemplateCheck[] = [
  {
    group: MALFORMED_GROUP,
    title: 'an unknown kind: the scanner throws ERR_CONVOY_TEMPLATE at the line of the block, and the tag refuses it',
    run: (target) => expectMalformed(target, `<html>\n\n${target.engine.syntax.carpool('scss', ['css/a.css'])}\n`, { line: 3 }, 'scss'),
  },
  {
    group: MALFORMED_GROUP,
    title: 'a block without paths: the same',
    run: async (target) => {
      const { syntax } = target.engine
      await expectMalformed(target, `<html>\n${syntax.carpool('css', ['', '   ', ''])}\n`, { line: 2 })
      if (syntax.comment !== undefined) await expectMalformed(target, `<html>\n${syntax.carpool('css', [syntax.comment('css/a.css')])}\n`, { line: 2 })
    },
  },
]

const HTTP_CHECKS: TemplateCheck[] = [
  {
    group: HTTP_GROUP,
    title: "the engine's framework recipe renders a page whose tags see the request: .gz links only when it accepts gzip",
    needs: ['serve'],
    run: async (target) => {
      const { engine } = target
      const directory = await mkdtemp(join(tmpdir(), 'convoy-template-views-'))
      try {
        const file = join(directory, `page${engine.extension}`)
        await writeFile(file, acceptPage(target))
        const convoy = await target.convoy({ gzipInTemplate: true, combineDuringRequest: false })
        const server = await listen(await engine.serve!({ directory, view: 'page', file, convoy }))
        try {
          for (const [acceptEncoding, gzip] of [['gzip', true], ['identity', false]] as const) {
            const reply = await request(server.url, '/', { headers: { 'accept-encoding': acceptEncoding } })
            expect([reply.status, reply.body.toString('utf8')], `GET / with Accept-Encoding: ${acceptEncoding}: ${gzipSays(gzip)}`).toEqual([200, acceptHtml(target, gzip)])
          }
        } finally {
          await server.close()
        }
      } finally {
        await rm(directory, { recursive: true, force: true })
      }
    },
  },
]

const COLLECT_CHECKS: TemplateCheck[] = [
  {
    group: COLLECT_GROUP,
    title: 'builds the blocks the scanner finds, and none a raw block or a comment only shows',
    needs: ['collect'],
    timeout: COLLECT_TIMEOUT_MS,
    run: async (target) => {
      const { engine } = target
      const { syntax, extension } = engine
      const page = compose(
        '<head>\n',
        syntax.raw?.(syntax.carpool('css', ['css/b.css'])) ?? '',
        '\n',
        syntax.carpool('css', ['  css/a.css', ...(syntax.comment === undefined ? [] : [syntax.comment('the theme')]), '  css/b.css']),
        '\n</head>\n',
      )
      const scripts = compose(syntax.comment?.(syntax.carpool('css', ['css/a.css'])) ?? '', '\n\n', syntax.carpool('js', ['js/app.js']), '\n')
      const files: Record<string, string> = {
        [`views/page${extension}`]: page.template,
        [`views/scripts${extension}`]: scripts.template.replaceAll('\n', '\r\n'),
        // Not a template of the engine's: the glob leaves it out.
        'views/other.txt': syntax.carpool('js', ['js/app.js']),
      }
      if (syntax.output !== undefined) files[`views/dynamic${extension}`] = syntax.carpool('css', [`css/${syntax.output('theme')}.css`])
      const project = await collectProject(target, files)
      try {
        expect(project.status, project.stderr).toBe(0)
        const manifest = JSON.parse(await readFile(join(project.directory, 'out/convoy-manifest.json'), 'utf8')) as {
          carpools: Record<string, { kind: string; members: string[]; served: string }>
        }
        const pageKey = `views/page${extension}:${page.lines[3]}`
        const scriptsKey = `views/scripts${extension}:${scripts.lines[2]}`
        expect(Object.keys(manifest.carpools).sort()).toEqual([pageKey, scriptsKey].sort())
        expect(manifest.carpools[pageKey]).toMatchObject({ kind: 'css', members: ['css/a.css', 'css/b.css'], served: expect.stringMatching(/^CARPOOL\/css\/[\da-f]{12}\.cmin\.css$/) as unknown })
        expect(manifest.carpools[scriptsKey]).toMatchObject({ kind: 'js', members: ['js/app.js'], served: expect.stringMatching(/^CARPOOL\/js\/[\da-f]{12}\.cmin\.js$/) as unknown })
        // The bundle itself is in the storage: the members' minified CSS, in order.
        expect(await readFile(join(project.directory, 'out', manifest.carpools[pageKey]!.served), 'utf8')).toMatch(/\.a\{color:red\}[\s\S]*\.b\{color:/)
      } finally {
        await project.cleanup()
      }
    },
  },
  {
    group: COLLECT_GROUP,
    title: 'fails the run naming the template and the line of a malformed block',
    needs: ['collect'],
    timeout: COLLECT_TIMEOUT_MS,
    run: async (target) => {
      const { extension, syntax } = target.engine
      const project = await collectProject(target, { [`views/bad${extension}`]: `<head>\n\n${syntax.carpool('scss', ['css/a.css'])}\n` })
      try {
        expect(project.status, project.stderr).toBe(1)
        expect(project.stderr).toContain(`views/bad${extension}:3:`)
        expect(project.stderr).toContain('scss')
      } finally {
        await project.cleanup()
      }
    },
  },
]

/**
 * The checks of an engine's own templates (`engine.cases`): each scanner case is scanned and (unless `renders: false`)
 * rendered with a runtime that links nothing; each malformed case must make the scanner throw at its position and a
 * render fail.
 */
export function engineCaseChecks(engine: TemplateEngineUnderTest): TemplateCheck[] {
  const scanner = (row: TemplateScannerCase): TemplateCheck => ({
    group: CASES_GROUP,
    title: `${row.title}: ${row.blocks.length} block${row.blocks.length === 1 ? '' : 's'}${row.renders === false ? ' (scan only)' : ', as the tags render them'}`,
    run: async (target) => {
      await expectScanAgrees(target, row.template, row.blocks, { context: row.context, renders: row.renders, html: row.html })
    },
  })
  const malformed = (row: TemplateMalformedCase): TemplateCheck => ({
    group: MALFORMED_CASES_GROUP,
    title: `${row.title}: ERR_CONVOY_TEMPLATE at ${row.line}${row.column === undefined ? '' : `:${row.column}`}, and the render fails`,
    run: (target) => expectMalformed(target, row.template, { line: row.line, column: row.column }, row.message, false),
  })
  return [...(engine.cases?.scanner ?? []).map(scanner), ...(engine.cases?.malformed ?? []).map(malformed)]
}

/** Every template check, in order: the URL tag, the carpool block, Accept-Encoding, the scanner, malformed blocks, HTTP, collect. */
export const TEMPLATE_CHECKS: readonly TemplateCheck[] = [
  ...URL_CHECKS,
  ...CARPOOL_CHECKS,
  ...ACCEPT_CHECKS,
  ...SCANNER_CHECKS,
  ...MALFORMED_CHECKS,
  ...HTTP_CHECKS,
  ...COLLECT_CHECKS,
]
