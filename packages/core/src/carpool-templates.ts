import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { glob } from 'tinyglobby'
import { isCarpoolKind, isTemplateScanner, type CarpoolBlock, type TemplateScanner } from '@convoy/carpool'
import { ConvoyError, isConvoyError } from '@convoy/errors'

/** A carpool `collect` builds ahead of time: declared in the config, or found in a template. */
export interface DeclaredCarpool {
  /** Key in the manifest's `carpools`: the config's name, or `<template>:<line>`. */
  readonly name: string
  readonly kind: 'css' | 'js'
  /** Logical paths, in order. */
  readonly members: readonly string[]
}

/** Templates of one engine: which files, and the engine package's scanner that finds their carpool blocks. */
export interface TemplateSource {
  /** Globs of template files, relative to the config's folder. */
  readonly files: readonly string[]
  /** E.g. `nunjucksScanner` from `@convoy/nunjucks`. */
  readonly scanner: TemplateScanner
}

/** An entry of the config's `templates`: a glob of Nunjucks templates (the shorthand), or a {@link TemplateSource}. */
export type TemplatesEntry = string | TemplateSource

const NUNJUCKS = '@convoy/nunjucks'
const NO_NUNJUCKS = `templates as a list of globs needs ${NUNJUCKS} (npm i ${NUNJUCKS} nunjucks), or give { files, scanner }`

/** True for `{ files: [globs…], scanner: TemplateScanner }`. */
export function isTemplateSource(value: unknown): value is TemplateSource {
  const source = value as Partial<TemplateSource> | null | undefined
  return (
    typeof source === 'object' && source !== null && Array.isArray(source.files) && source.files.length > 0 &&
    source.files.every((file) => typeof file === 'string' && file !== '') && isTemplateScanner(source.scanner)
  )
}

/**
 * The config's `templates` as sources: object entries as they are, and glob strings (the shorthand for Nunjucks
 * templates) as one source scanned by `nunjucksScanner` of `@convoy/nunjucks`, loaded from the project in `cwd` (not
 * a dependency of core: it depends on core).
 *
 * @throws {ConvoyError} `ERR_CONVOY_CONFIG` when there are glob strings and `@convoy/nunjucks` (or its `nunjucks`
 * peer) cannot be loaded from `cwd`, or has no `nunjucksScanner`.
 */
export async function resolveTemplateSources(templates: readonly TemplatesEntry[], cwd: string): Promise<TemplateSource[]> {
  const globs = templates.filter((entry): entry is string => typeof entry === 'string')
  const scanner = globs.length === 0 ? undefined : await loadNunjucksScanner(cwd)
  const first = templates.findIndex((entry) => typeof entry === 'string')
  // All the globs in one source, where the first one stood.
  return templates.flatMap((entry, index) => (typeof entry !== 'string' ? [entry] : index === first && scanner !== undefined ? [{ files: globs, scanner }] : []))
}

async function loadNunjucksScanner(cwd: string): Promise<TemplateScanner> {
  let module: { nunjucksScanner?: unknown }
  try {
    const entry = createRequire(join(cwd, 'package.json')).resolve(NUNJUCKS)
    module = (await import(pathToFileURL(entry).href)) as { nunjucksScanner?: unknown }
  } catch (error) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: ${NO_NUNJUCKS} (${describe(error)})`, { cause: error })
  }
  if (!isTemplateScanner(module.nunjucksScanner)) {
    throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: ${NO_NUNJUCKS} (the installed ${NUNJUCKS} has no nunjucksScanner: update it)`)
  }
  return module.nunjucksScanner
}

/**
 * Every carpool block in the templates of `templates` (globs relative to `cwd`), found by each source's scanner,
 * template by template in path order. Blocks whose body is not static are left out by the scanners: they cannot be
 * known before a render. A template matched by several globs of one source is scanned once.
 *
 * @throws {ConvoyError} `ERR_CONVOY_READ` when a template cannot be read; the scanner's `ConvoyError` for a
 * malformed block (anything else a scanner throws becomes `ERR_CONVOY_TEMPLATE` naming the scanner and template);
 * `ERR_CONVOY_CONFIG` when two scanners find a block at the same template line.
 */
export async function findTemplateCarpools(templates: readonly TemplateSource[], cwd: string): Promise<DeclaredCarpool[]> {
  const found: DeclaredCarpool[] = []
  const foundBy = new Map<string, string>()
  for (const { files: patterns, scanner } of templates) {
    const files = (await glob([...patterns], { cwd, absolute: true, onlyFiles: true })).sort()
    for (const file of files) {
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (error) {
        throw new ConvoyError('ERR_CONVOY_READ', `@convoy/core: cannot read template ${file}: ${(error as Error).message}`, { file, cause: error })
      }
      const template = relative(cwd, file).split('\\').join('/')
      for (const block of scan(scanner, text, template)) {
        if (block.members.length === 0) continue
        const name = `${template}:${block.line}`
        const other = foundBy.get(name)
        if (other !== undefined) {
          throw new ConvoyError('ERR_CONVOY_CONFIG', `@convoy/core: template scanners ${other} and ${scanner.name} both found a carpool at ${name}: give each template to one scanner`, { file: template, line: block.line })
        }
        foundBy.set(name, scanner.name)
        found.push({ name, kind: block.kind, members: block.members })
      }
    }
  }
  return found
}

/** The scanner's blocks of one template, checked, with any failure naming the scanner and the template. */
function scan(scanner: TemplateScanner, text: string, template: string): readonly CarpoolBlock[] {
  let blocks: unknown
  try {
    blocks = scanner.scan(text, template)
  } catch (error) {
    if (isConvoyError(error)) throw error
    throw new ConvoyError('ERR_CONVOY_TEMPLATE', `@convoy/core: template scanner ${scanner.name} failed on ${template}: ${describe(error)}`, { file: template, cause: error })
  }
  if (!Array.isArray(blocks) || !blocks.every(isBlock)) {
    throw new ConvoyError('ERR_CONVOY_TEMPLATE', `@convoy/core: template scanner ${scanner.name} returned something other than carpool blocks ({ kind: 'css' | 'js', members: string[], line }) for ${template}`, { file: template })
  }
  return blocks
}

function isBlock(value: unknown): value is CarpoolBlock {
  const block = value as Partial<CarpoolBlock> | null
  return (
    typeof block === 'object' && block !== null && isCarpoolKind(block.kind) && Number.isInteger(block.line) && (block.line as number) > 0 &&
    Array.isArray(block.members) && block.members.every((member) => typeof member === 'string' && member !== '')
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
