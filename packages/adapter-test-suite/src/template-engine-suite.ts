import { describe } from 'vitest'
import { registerChecks } from './register-checks.js'
import { TEMPLATE_CHECKS, engineCaseChecks } from './template-checks.js'
import { checkTemplateEngine, missingPart, startTemplateTarget, type TemplateEngineUnderTest } from './template-engine.js'

export interface TemplateEngineSuiteOptions {
  /** Time limit of each check (collect's get at least 60 s), and of building and removing the fixture, in milliseconds. Default `20000`. */
  readonly timeout?: number
}

const PACKAGE = '@convoy/adapter-test-suite'

/**
 * Registers the template-engine conformance suite with vitest: a `describe` block named
 * `Template engine conformance: <name>`, holding one test per check of {@link TEMPLATE_CHECKS}, against a real
 * runtime (`engine.createConvoy`, i.e. `createConvoy()` from `@convoy/core`) over a manifest the suite writes: the URL
 * tag, the carpool block, where the request's Accept-Encoding is found, the scanner agreeing with the tags, malformed
 * blocks, and — when the engine gives `serve` and `collect` — its framework recipe over HTTP and `convoy collect`;
 * then one test per template of `engine.cases` (its own spellings and errors, through the same checks). A check
 * needing a part the engine lacks (`syntax.raw`, `serve`…) is reported as skipped, with the reason in its name.
 * Call it once, at the top level of a test file.
 *
 * @throws TypeError at once when `engine` is not a {@link TemplateEngineUnderTest}, naming what is wrong.
 *
 * @example
 * import { runTemplateEngineSuite } from '@convoy/adapter-test-suite'
 * import { createConvoy } from '@convoy/core'
 * import { addConvoyExtension, nunjucksScanner } from '@convoy/nunjucks'
 * import nunjucks from 'nunjucks'
 *
 * const escaper = new nunjucks.Environment(null, { autoescape: true })
 * runTemplateEngineSuite({
 *   name: '@convoy/nunjucks',
 *   extension: '.njk',
 *   createConvoy,
 *   compile: (template, convoy, options) => {
 *     const env = addConvoyExtension(new nunjucks.Environment(null, { autoescape: true, dev: true }), convoy, options)
 *     const compiled = nunjucks.compile(template, env)
 *     return (context) => compiled.render(context)
 *   },
 *   syntax: {
 *     url: (path) => `{% convoy "${path}" %}`,
 *     carpool: (kind, lines) => `{% carpool ${kind} %}\n${lines.join('\n')}\n{% endcarpool %}`,
 *     raw: (text) => `{% raw %}${text}{% endraw %}`,
 *     comment: (text) => `{# ${text} #}`,
 *     output: (name) => `{{ ${name} }}`,
 *   },
 *   escapeHtml: (text) => escaper.renderString('{{ text }}', { text }),
 *   scanner: nunjucksScanner,
 * })
 */
export function runTemplateEngineSuite(engine: TemplateEngineUnderTest, options: TemplateEngineSuiteOptions = {}): void {
  checkTemplateEngine(engine)
  const timeout = options.timeout ?? 20_000
  if (!(Number.isFinite(timeout) && timeout > 0)) throw new TypeError(`${PACKAGE}: timeout must be a positive number of milliseconds, got ${String(timeout)}`)

  const checks = [...TEMPLATE_CHECKS, ...engineCaseChecks(engine)].map((check) => ({ ...check, skip: missingPart(engine, check) }))
  describe(`Template engine conformance: ${engine.name}`, () => {
    registerChecks(() => startTemplateTarget(engine), checks, timeout, `${PACKAGE}: the template fixture was not built (see the error of beforeAll)`)
  })
}
