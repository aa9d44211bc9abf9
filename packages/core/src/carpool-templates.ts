import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { glob } from 'tinyglobby'
import { ConvoyError } from '@convoy/errors'

/** A carpool `collect` builds ahead of time: declared in the config, or found in a template. */
export interface DeclaredCarpool {
  /** Key in the manifest's `carpools`: the config's name, or `<template>:<line>`. */
  readonly name: string
  readonly kind: 'css' | 'js'
  /** Logical paths, in order. */
  readonly members: readonly string[]
}

// `{% carpool css %} … {% endcarpool %}`, with Nunjucks' whitespace control (`{%-`, `-%}`) and a quoted kind.
const BLOCK = /\{%-?\s*carpool\s+(["']?)(css|js)\1\s*-?%\}([\s\S]*?)\{%-?\s*endcarpool\s*-?%\}/g

/**
 * Every `{% carpool %}` block in the templates matching `patterns` (globs relative to `cwd`), read the way
 * `@convoy/nunjucks` reads them: one logical path per line, `{# comments #}` and blank lines ignored. Blocks
 * whose body is not static (it holds `{{ }}` or a tag) are skipped: they cannot be known before a render.
 */
export async function findTemplateCarpools(patterns: readonly string[], cwd: string): Promise<DeclaredCarpool[]> {
  const files = (await glob([...patterns], { cwd, absolute: true, onlyFiles: true })).sort()
  const found: DeclaredCarpool[] = []
  for (const file of files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new ConvoyError('ERR_CONVOY_READ', `@convoy/core: cannot read template ${file}: ${(error as Error).message}`, { file, cause: error })
    }
    for (const match of text.matchAll(BLOCK)) {
      const body = match[3]!.replace(/\{#[\s\S]*?#\}/g, '')
      if (/\{\{|\{%/.test(body)) continue
      const members = body.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '')
      if (members.length === 0) continue
      const line = text.slice(0, match.index).split('\n').length
      found.push({ name: `${relative(cwd, file).split('\\').join('/')}:${line}`, kind: match[2] as 'css' | 'js', members })
    }
  }
  return found
}
