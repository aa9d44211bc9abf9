import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEMPLATE_ACCEPT_ENCODING_CASES, TEMPLATE_CHECKS, engineCaseChecks } from './template-checks.js'
import { missingPart, startTemplateTarget, type TemplateCheck, type TemplateEngineUnderTest } from './template-engine.js'
import { createToyEngine, type ToyBugs } from './test/toy-engine.js'

// The template table is only worth something if it fails on broken engines: run its checks, as plain functions,
// against the toy engine (src/test/toy-engine.ts) with one bug at a time, and see exactly the checks aimed at that
// bug reject. Without bugs the toy passes them all, so no check asks for what no engine can do.

const allChecks = (engine: TemplateEngineUnderTest): TemplateCheck[] => [...TEMPLATE_CHECKS, ...engineCaseChecks(engine)]

/** Runs every check `engine` has the parts for; returns the failed ones, title → message. */
async function failures(engine: TemplateEngineUnderTest): Promise<Map<string, string>> {
  const target = await startTemplateTarget(engine)
  const failed = new Map<string, string>()
  try {
    for (const check of allChecks(engine)) {
      if (missingPart(engine, check) !== undefined) continue
      try {
        await check.run(target)
      } catch (error) {
        failed.set(check.title, error instanceof Error ? error.message : String(error))
      }
    }
  } finally {
    await target.close()
  }
  return failed
}

function against(bugs: ToyBugs): () => Map<string, string> {
  let failed = new Map<string, string>()
  beforeAll(async () => {
    failed = await failures(createToyEngine(bugs))
  }, 120_000)
  afterAll(() => {
    failed.clear()
  })
  return () => failed
}

const titles = (predicate: (check: TemplateCheck) => boolean): string[] =>
  allChecks(createToyEngine()).filter((check) => check.group !== 'convoy collect' && predicate(check)).map((check) => check.title).sort()

const sorted = (failed: Map<string, string>): string[] => [...failed.keys()].sort()

describe('the toy engine without bugs', () => {
  const failed = against({})

  it('passes every check it has the parts for (all but convoy collect)', () => {
    expect(Object.fromEntries(failed())).toEqual({})
    expect(TEMPLATE_CHECKS.filter((check) => missingPart(createToyEngine(), check) !== undefined).map((check) => check.group)).toEqual(['convoy collect', 'convoy collect'])
  })
})

describe('an engine whose tags ignore the Accept-Encoding', () => {
  const failed = against({ ignoresAcceptEncoding: true })

  it('fails every Accept-Encoding row that accepts gzip, the node:http request and the HTTP recipe, and nothing else', () => {
    const gzipRows = TEMPLATE_ACCEPT_ENCODING_CASES.filter((row) => row.gzip).map((row) => `${row.title} → .gz links`)
    expect(gzipRows.length).toBeGreaterThanOrEqual(6)
    expect(sorted(failed())).toEqual(
      [
        ...gzipRows,
        'a getAcceptEncoding option replaces the default rules, reading the render through context.lookup()',
        'req, a node:http request: .gz links when it accepts gzip, none when it does not',
        "the engine's framework recipe renders a page whose tags see the request: .gz links only when it accepts gzip",
      ].sort(),
    )
    expect(failed().get('acceptEncoding "gzip, deflate, br" → .gz links')).toMatch(/the URL and the carpool link the \.gz siblings/)
  })
})

describe('an engine whose scanner reads inside raw blocks', () => {
  const failed = against({ scansRaw: true })

  it('fails the raw-block check only, on the blocks found', () => {
    expect(sorted(failed())).toEqual(['a block a raw block only shows is not a block, and renders as text', 'a raw block showing a block, then a block: 1 block, as the tags render them'])
    expect(failed().get('a block a raw block only shows is not a block, and renders as text')).toMatch(/the blocks of/)
  })
})

describe('an engine that escapes the carpool HTML', () => {
  const failed = against({ escapesCarpool: true })

  it('fails every check that looks at a rendered carpool, and none of the scanner checks', () => {
    expect(sorted(failed())).toEqual(
      titles(
        (check) =>
          ['the carpool block', 'Accept-Encoding', 'over HTTP'].includes(check.group) ||
          check.title === 'in debug mode, links the originals, one tag per carpool member, never a .gz' ||
          check.title === 'a block on one line: 1 block, as the tags render them',
      ).filter((title) => !['reads one logical path per line: indentation and blank lines are not members', 'a comment in the body is not a member', 'a member the manifest does not know fails the render with ERR_CONVOY_MISSING_ASSET'].includes(title)),
    )
    expect(failed().get("inserts the runtime's HTML as it is (the runtime escaped it once)")).toMatch(/&amp;amp;|&lt;/)
  })
})

describe('an engine whose scanner gives 0-based lines', () => {
  const failed = against({ zeroBasedLines: true })

  it('fails every check that looks at a line the scanner gives', () => {
    const withLines = (check: TemplateCheck): boolean =>
      ['the scanner', 'malformed blocks', "the engine's own templates", "the engine's own malformed templates"].includes(check.group) &&
      !/^is a TemplateScanner|^a template without|: 0 blocks/.test(check.title)
    expect(sorted(failed())).toEqual(titles(withLines))
  })
})

describe('an engine that loses the code and cause of render errors', () => {
  const failed = against({ losesErrors: true })

  it('fails the missing-asset checks, naming the code it looked for', () => {
    expect(sorted(failed())).toEqual(titles((check) => check.title.includes('ERR_CONVOY_MISSING_ASSET')))
    for (const message of failed().values()) expect(message).toContain('must carry ERR_CONVOY_MISSING_ASSET')
  })
})
