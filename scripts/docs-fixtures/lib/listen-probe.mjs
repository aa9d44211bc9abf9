// Preloaded (`node --import`) into every ts/js block the docs check runs. A README block that starts a server listens on
// a fixed port (`app.listen(8080)`) and would run until killed: here it listens on a free port of 127.0.0.1 instead, is
// requested once — `GET /`, then the collected `css/base.css` under `/static/` when `public/static/convoy-manifest.json`
// is there — and is closed, so the block ends by itself. A failed request or a 5xx answer fails the block. What was
// answered is appended to the file named by DOCS_CHECK_PROBE_LOG, for the block's `ok` line.
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { Server as HttpServer, request } from 'node:http'
import { Server } from 'node:net'

const MANIFEST = 'public/static/convoy-manifest.json'
const listen = Server.prototype.listen

Server.prototype.listen = function docsCheckListen(...args) {
  if (!(this instanceof HttpServer)) return listen.apply(this, args)
  const callback = typeof args.at(-1) === 'function' ? args.at(-1) : undefined
  this.once('listening', () => void probe(this))
  return listen.call(this, 0, '127.0.0.1', callback)
}

/** The paths to request: the home page, and the served stylesheet of the collected site when there is one. */
function probePaths() {
  const paths = ['/']
  if (existsSync(MANIFEST)) {
    const served = JSON.parse(readFileSync(MANIFEST, 'utf8')).files?.['css/base.css']?.served
    if (typeof served === 'string') paths.push(`/static/${served}`)
  }
  return paths
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { 'accept-encoding': 'br, gzip', connection: 'close' } },
      (response) => {
        response.resume()
        response.on('end', () => resolve({ status: response.statusCode, encoding: response.headers['content-encoding'] }))
        response.on('error', reject)
      },
    )
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('no answer within 10 s')))
    outgoing.on('error', reject)
    outgoing.end()
  })
}

async function probe(server) {
  const { port } = server.address()
  const answers = []
  try {
    for (const path of probePaths()) {
      try {
        const { status, encoding } = await get(port, path)
        answers.push(`GET ${path} → ${status}${encoding === undefined ? '' : ` ${encoding}`}`)
        if (status >= 500) {
          process.exitCode = 1
          console.error(`docs-check: the block's server answered GET ${path} with ${status}`)
        }
      } catch (error) {
        process.exitCode = 1
        console.error(`docs-check: GET ${path} on the block's server failed: ${error.message}`)
      }
    }
  } finally {
    if (process.env.DOCS_CHECK_PROBE_LOG) appendFileSync(process.env.DOCS_CHECK_PROBE_LOG, `${answers.join(', ')}\n`)
    server.close()
    server.closeAllConnections()
  }
}
