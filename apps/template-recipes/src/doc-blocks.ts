// Reading the recipe blocks of docs/template-engines.md, and running its JavaScript blocks, so that the tests prove
// the page exactly as it is written.
import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'

/** The page the recipes come from. */
export const DOC = new URL('../../../docs/template-engines.md', import.meta.url)

/** The test file every recipe block's marker must name. */
export const TEST_FILE = 'apps/template-recipes/src/recipes.test.ts'

/** One fenced block of the page that a marker hands to this package's tests. */
export interface DocBlock {
  readonly id: string
  readonly lang: string
  readonly code: string
  /** 1-based line of the opening fence. */
  readonly line: number
}

/**
 * The blocks whose marker, on the lines right above the fence, is a docs-check skip naming {@link TEST_FILE} and a
 * block id in quotes and parentheses: `<!-- docs-check: skip — proven by apps/template-recipes/…, … ("ejs-view") … -->`.
 *
 * @throws when two blocks share an id, or a marker names this test without an id (the test could not find it).
 */
export function readDocBlocks(markdown: string = readFileSync(DOC, 'utf8')): Map<string, DocBlock> {
  const lines = markdown.split(/\r?\n/)
  const blocks = new Map<string, DocBlock>()
  for (let index = 0; index < lines.length; index++) {
    const open = /^(`{3,})(\S*)\s*$/.exec(lines[index]!)
    if (open === null) continue
    const [, fence, lang] = open as unknown as [string, string, string]
    let end = index + 1
    while (end < lines.length && lines[end] !== fence) end++
    const code = lines.slice(index + 1, end).join('\n')
    for (let above = index - 1; above >= 0 && /^<!--.*-->$/.test(lines[above]!); above--) {
      const marker = lines[above]!
      if (!/^<!--\s*docs-check:\s*skip\b/.test(marker) || !marker.includes(TEST_FILE)) continue
      const id = /\("([a-z0-9-]+)"\)/.exec(marker)?.[1]
      if (id === undefined) throw new Error(`docs/template-engines.md:${above + 1}: the marker names ${TEST_FILE} but no ("block-id")`)
      if (blocks.has(id)) throw new Error(`docs/template-engines.md:${above + 1}: a second block "${id}"`)
      blocks.set(id, { id, lang, code, line: index + 1 })
    }
    index = end
  }
  return blocks
}

/**
 * Runs a JavaScript block of the page as a script whose imports are `modules` (`import { Eta } from 'eta'` takes
 * `modules.eta.Eta`; `import ejs from 'ejs'` takes `modules.ejs.default`) and whose free variables are `globals`
 * (`app`, `convoy`): the rest of the block runs exactly as written.
 *
 * @throws when the block imports a module that `modules` does not give.
 */
export function runBlock(block: DocBlock, modules: Readonly<Record<string, Readonly<Record<string, unknown>>>>, globals: Readonly<Record<string, unknown>>): void {
  const bindings: Record<string, unknown> = { ...globals, process, console }
  const body = block.code.replace(/^import\s+(.+?)\s+from\s+'([^']+)'\s*$/gm, (_, clause: string, specifier: string) => {
    const module = modules[specifier]
    if (module === undefined) throw new Error(`docs/template-engines.md:${block.line}: block "${block.id}" imports ${specifier}, which the test does not give`)
    const named = /^\{(.*)\}$/.exec(clause)
    if (named === null) {
      bindings[clause] = module.default
    } else {
      for (const name of named[1]!.split(',').map((part) => part.trim()).filter(Boolean)) {
        if (!(name in module)) throw new Error(`docs/template-engines.md:${block.line}: ${specifier} has no export ${name}`)
        bindings[name] = module[name]
      }
    }
    return ''
  })
  runInNewContext(body, bindings, { filename: `docs/template-engines.md (block "${block.id}", line ${block.line})` })
}
