// A toy template engine with Convoy's two tags, for the template suite's own tests: built, as a third-party engine
// package would be, on @convoy/carpool's shared half of the tags, it passes every template check; each of its bugs
// (switched on by name) must make exactly the checks aimed at that bug fail. Its syntax:
//   [[convoy "css/a.css"]]   [[carpool css]] one path per line [[endcarpool]]   [[raw]]…[[endraw]]   [[# … #]]   [[= name]]
import { readFile } from 'node:fs/promises'
import { carpoolBlockMessages, carpoolMembers, createTemplateTagRuntime, escapeHtml, isCarpoolKind, type CarpoolKind, type ConvoyTemplateContext, type TemplateTagOptions } from '@convoy/carpool'
import { createConvoy } from '@convoy/core'
import { ConvoyError, isConvoyError } from '@convoy/errors'
import type { TemplateEngineUnderTest, TemplateRender, TemplateRenderer, TemplateScannedBlock } from '../template-engine.js'

/** The bugs the toy can have. */
export interface ToyBugs {
  /** The tags never pass the request's Accept-Encoding to the runtime. */
  readonly ignoresAcceptEncoding?: boolean
  /** The scanner reads what a `[[raw]]` block shows as tags. */
  readonly scansRaw?: boolean
  /** The carpool HTML is escaped like any output (the engine forgot to mark it safe). */
  readonly escapesCarpool?: boolean
  /** The scanner gives 0-based lines. */
  readonly zeroBasedLines?: boolean
  /** Render errors are replaced by a plain `Error` with the message only: no code, no cause. */
  readonly losesErrors?: boolean
}

type Token =
  | { readonly type: 'text'; readonly text: string; readonly line: number }
  | { readonly type: 'raw'; readonly text: string; readonly line: number }
  | { readonly type: 'output'; readonly name: string; readonly line: number }
  | { readonly type: 'tag'; readonly name: string; readonly args: string; readonly line: number }

type Node =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'url'; readonly path: string; readonly line: number }
  | { readonly type: 'carpool'; readonly kind: CarpoolKind; readonly members: string[]; readonly line: number }
  | { readonly type: 'output'; readonly name: string; readonly line: number }

const MESSAGES = carpoolBlockMessages({
  tag: '[[carpool]]',
  open: (kind) => `[[carpool ${kind}]]`,
  close: '[[endcarpool]]',
  kinds: 'css or js',
  comments: '[[# comments #]]',
  usage: '[[carpool css]] one logical path per line [[endcarpool]]',
})

class ToyError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

const lines = (text: string): number => text.split('\n').length - 1

function lex(text: string, rawIsText: boolean): Token[] {
  const tokens: Token[] = []
  let at = 0
  let line = 1
  const take = (end: number): string => {
    const taken = text.slice(at, end)
    line += lines(taken)
    at = end
    return taken
  }
  while (at < text.length) {
    const start = text.indexOf('[[', at)
    if (start === -1) {
      const taken = text.slice(at)
      tokens.push({ type: 'text', text: taken, line })
      take(text.length)
      break
    }
    if (start > at) tokens.push({ type: 'text', text: text.slice(at, start), line })
    take(start)
    const opened = line
    if (text.startsWith('[[#', at)) {
      const end = text.indexOf('#]]', at)
      if (end === -1) throw new ToyError('a comment is never closed', opened)
      take(end + 3)
    } else if (!rawIsText && text.startsWith('[[raw]]', at)) {
      const end = text.indexOf('[[endraw]]', at)
      if (end === -1) throw new ToyError('a raw block is never closed', opened)
      tokens.push({ type: 'raw', text: text.slice(at + '[[raw]]'.length, end), line: opened })
      take(end + '[[endraw]]'.length)
    } else {
      const end = text.indexOf(']]', at)
      if (end === -1) throw new ToyError('a tag is never closed', opened)
      const inside = text.slice(at + 2, end).trim()
      take(end + 2)
      if (inside.startsWith('=')) tokens.push({ type: 'output', name: inside.slice(1).trim(), line: opened })
      else {
        const [name = '', ...args] = inside.split(/\s+/)
        tokens.push({ type: 'tag', name, args: args.join(' '), line: opened })
      }
    }
  }
  return tokens
}

/** The nodes of a template; with `mode: 'scan'`, dynamic blocks are left out instead of refused. */
function parse(tokens: Token[], mode: 'compile' | 'scan'): Node[] {
  const nodes: Node[] = []
  for (let token = tokens.shift(); token !== undefined; token = tokens.shift()) {
    if (token.type === 'text' || token.type === 'raw') nodes.push({ type: 'text', text: token.text })
    else if (token.type === 'output') nodes.push({ type: 'output', name: token.name, line: token.line })
    else if (token.name === 'convoy') {
      const literal = /^"([^"]*)"$/.exec(token.args)
      if (literal === null) throw new ToyError('[[convoy]] takes one quoted logical path', token.line)
      nodes.push({ type: 'url', path: literal[1]!, line: token.line })
    } else if (token.name === 'carpool') {
      const block = readCarpool(token, tokens, mode)
      if (block !== undefined) nodes.push(block)
    } else if (mode === 'compile') {
      throw new ToyError(`unknown tag [[${token.name}]]`, token.line)
    }
  }
  return nodes
}

function readCarpool(tag: Token & { type: 'tag' }, tokens: Token[], mode: 'compile' | 'scan'): Node | undefined {
  const kind = tag.args
  if (!isCarpoolKind(kind)) throw new ToyError(MESSAGES.kindMustBe(JSON.stringify(kind)), tag.line)
  let body = ''
  let dynamic = false
  for (;;) {
    const token = tokens.shift()
    if (token === undefined) throw new ToyError(MESSAGES.neverClosed(kind, tag.line), tag.line)
    if (token.type === 'tag' && token.name === 'endcarpool') break
    if (token.type === 'text') body += token.text
    else if (mode === 'compile') throw new ToyError(MESSAGES.notAllowed(token.type === 'output' ? 'an output' : 'a tag'), token.line)
    else dynamic = true
  }
  if (dynamic) return undefined
  const members = carpoolMembers(body)
  if (members.length === 0) throw new ToyError(MESSAGES.noPaths(kind, tag.line), tag.line)
  return { type: 'carpool', kind, members, line: tag.line }
}

/** The toy engine as the template suite sees it, with `bugs`. */
export function createToyEngine(bugs: ToyBugs = {}): TemplateEngineUnderTest {
  const compile = (template: string, convoy: TemplateRenderer, options: TemplateTagOptions = {}): TemplateRender => {
    const tags = createTemplateTagRuntime(convoy, bugs.ignoresAcceptEncoding === true ? { getAcceptEncoding: () => undefined } : options, {
      packageName: 'toy',
      urlTag: '[[convoy]]',
    })
    let nodes: Node[]
    try {
      nodes = parse(lex(template, false), 'compile')
    } catch (error) {
      if (!(error instanceof ToyError)) throw error
      throw new ConvoyError('ERR_CONVOY_TEMPLATE', `toy: line ${error.line}: ${error.message}`, { line: error.line, cause: error })
    }
    return (context) => {
      const lookup: ConvoyTemplateContext = { lookup: (name) => context[name] }
      let html = ''
      for (const node of nodes) {
        try {
          if (node.type === 'text') html += node.text
          else if (node.type === 'output') {
            const value = context[node.name]
            html += escapeHtml(typeof value === 'string' || typeof value === 'number' ? String(value) : '')
          }
          else if (node.type === 'url') html += escapeHtml(tags.url(node.path, lookup))
          else {
            const carpool = tags.carpool(node.kind, node.members, lookup)
            html += bugs.escapesCarpool === true ? escapeHtml(carpool) : carpool
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          if (bugs.losesErrors === true) throw new Error(message)
          throw new ConvoyError(isConvoyError(error) ? error.code : 'ERR_CONVOY_TEMPLATE', `toy: line ${node.type === 'text' ? 0 : node.line}: ${message}`, {
            ...(node.type === 'text' ? {} : { line: node.line }),
            cause: error,
          })
        }
      }
      return html
    }
  }

  return {
    name: `toy engine${Object.keys(bugs).length === 0 ? '' : ` (${Object.keys(bugs).join(', ')})`}`,
    extension: '.toy',
    createConvoy,
    compile,
    syntax: {
      url: (path) => `[[convoy "${path}"]]`,
      carpool: (kind, body) => `[[carpool ${kind}]]\n${body.join('\n')}\n[[endcarpool]]`,
      raw: (text) => `[[raw]]${text}[[endraw]]`,
      comment: (text) => `[[# ${text} #]]`,
      output: (name) => `[[= ${name}]]`,
    },
    escapeHtml,
    scanner: {
      name: 'toy',
      scan(text, file) {
        try {
          const blocks: TemplateScannedBlock[] = []
          for (const node of parse(lex(text, bugs.scansRaw === true), 'scan')) {
            if (node.type === 'carpool') blocks.push({ kind: node.kind, members: node.members, line: bugs.zeroBasedLines === true ? node.line - 1 : node.line })
          }
          return blocks
        } catch (error) {
          if (!(error instanceof ToyError)) throw error
          const line = bugs.zeroBasedLines === true ? error.line - 1 : error.line
          throw new ConvoyError('ERR_CONVOY_TEMPLATE', `toy: ${file}:${line}: ${error.message}`, { file, line, cause: error })
        }
      },
    },
    errorLine: (error) => (isConvoyError(error) ? error.line : undefined),
    cases: {
      scanner: [
        {
          title: 'a block on one line',
          template: '<b>[[carpool css]]css/a.css[[endcarpool]]</b>',
          blocks: [{ kind: 'css', members: ['css/a.css'], line: 1 }],
          html: '<b><!-- carpool css: css/a.css --></b>',
        },
        {
          title: 'a raw block showing a block, then a block',
          template: '[[raw]][[carpool js]]x.js[[endcarpool]][[endraw]]\n[[carpool css]]\ncss/a.css\n[[endcarpool]]',
          blocks: [{ kind: 'css', members: ['css/a.css'], line: 2 }],
        },
        { title: 'a block whose body holds an output', template: '[[carpool css]][[= theme]][[endcarpool]]', blocks: [], renders: false },
      ],
      malformed: [{ title: 'a block never closed', template: 'x\n[[carpool css]]\ncss/a.css', line: 2, message: 'is never closed' }],
    },
    serve: async ({ file, convoy }) => {
      const page = compile(await readFile(file, 'utf8'), convoy)
      return (req, res) => {
        Promise.resolve(page({ req })).then(
          (html) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
          (error: unknown) => res.writeHead(500).end(String(error)),
        )
      }
    },
  }
}
