// A fault-injecting TCP proxy for the tests, in front of a local S3-compatible server on 127.0.0.1. It reads just
// enough HTTP/1.1 to know where each request starts and ends on a connection (the SDK sends Content-Length bodies and
// never pipelines), and decides the fate of every request: forward it, or inject one fault.
import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * - `reset-request`: the connection is reset in the middle of the request (after half its body reached the server,
 *   or right after its head when it has no body);
 * - `reset-response`: the request reaches the server, the connection is reset in the middle of the answer (half of
 *   its body, or half of its head when it has none);
 * - `slow-down` / `internal-error`: the proxy answers `503 SlowDown` / `500 InternalError` itself, as S3 does;
 * - `stall`: the request is read and never answered (the client's timeout must end it).
 */
export type Fault = 'reset-request' | 'reset-response' | 'slow-down' | 'internal-error' | 'stall'
export const FAULTS: readonly Fault[] = ['reset-request', 'reset-response', 'slow-down', 'internal-error', 'stall']

export interface ProxiedRequest {
  readonly method: string
  /** The request target: path and query, e.g. `/convoy-test/site/a.css?x-id=PutObject`. */
  readonly target: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** 1 for the first attempt of an SDK request, 2 for its first retry… (from `amz-sdk-request`). */
  readonly attempt: number
}

export interface FaultCounts {
  requests: number
  forwarded: number
  injected: Record<Fault, number>
  /** Injected faults whose request was later sent again (by the SDK's retries or the storage's own). */
  retried: number
}

export interface FaultProxy {
  readonly endpoint: string
  /** Decides each request's fate: a fault, or `undefined` to forward it. Replace it at any time. */
  decide: (request: ProxiedRequest) => Fault | undefined
  readonly counts: FaultCounts
  /** Every request seen, in order, with its fault. */
  readonly log: { readonly request: ProxiedRequest; readonly fault: Fault | undefined }[]
  /** Request body bytes the server got of each request cut by `reset-request`, and the full length. */
  readonly cuts: { readonly target: string; readonly forwarded: number; readonly length: number }[]
  /** Zeroes the counts and the log. */
  clear(): void
  /** One line for the test output. */
  summary(): string
  close(): Promise<void>
}

const HEAD_END = Buffer.from('\r\n\r\n')
const MAX_HEAD = 64 * 1024

function errorResponse(status: 503 | 500, code: string, message: string): Buffer {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>convoy-fault-proxy</RequestId></Error>`
  const reason = status === 503 ? 'Slow Down' : 'Internal Server Error'
  return Buffer.from(
    [`HTTP/1.1 ${status} ${reason}`, 'Content-Type: application/xml', `Content-Length: ${Buffer.byteLength(body)}`, 'x-amz-request-id: convoy-fault-proxy', 'Connection: close', '', body].join('\r\n'),
  )
}

interface Head {
  readonly firstLine: string
  readonly headers: Record<string, string>
  readonly length: number
}

function parseHead(bytes: Buffer): Head {
  const lines = bytes.toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { firstLine: lines[0] ?? '', headers, length: bytes.byteLength }
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  const sockets = new Set<Socket>()
  const counts: FaultCounts = { requests: 0, forwarded: 0, injected: { 'reset-request': 0, 'reset-response': 0, 'slow-down': 0, 'internal-error': 0, stall: 0 }, retried: 0 }
  const log: FaultProxy['log'] = []
  const cuts: FaultProxy['cuts'] = []
  /** Faults not yet followed by another request for the same method and target. */
  const unretried = new Map<string, number>()

  const proxy: FaultProxy = {
    endpoint: '',
    decide: () => undefined,
    counts,
    log,
    cuts,
    clear() {
      counts.requests = 0
      counts.forwarded = 0
      counts.retried = 0
      for (const fault of FAULTS) counts.injected[fault] = 0
      log.length = 0
      cuts.length = 0
      unretried.clear()
    },
    summary() {
      const injected = FAULTS.reduce((sum, fault) => sum + counts.injected[fault], 0)
      const kinds = FAULTS.map((fault) => `${fault} ${counts.injected[fault]}`).join(', ')
      return `faults injected: ${injected} (${kinds}); retried: ${counts.retried}; requests: ${counts.requests}, forwarded: ${counts.forwarded}`
    },
    close: () => Promise.resolve(),
  }

  const onConnection = (client: Socket): void => {
    sockets.add(client)
    let upstream: Socket | undefined
    let pending = Buffer.alloc(0)
    /** head: reading a request head; body: forwarding its body; drain: reading a body to answer afterwards; tunnel: raw bytes; stall, dead: nothing more. */
    let state: 'head' | 'body' | 'drain' | 'tunnel' | 'stall' | 'dead' = 'head'
    let bodyLeft = 0
    let cut: { target: string; at: number; forwarded: number; length: number } | undefined
    let answerAfterDrain: Buffer | undefined
    let cutResponse = false
    let response = Buffer.alloc(0)

    const kill = (): void => {
      state = 'dead'
      if (!client.destroyed) client.resetAndDestroy()
      if (upstream !== undefined && !upstream.destroyed) upstream.resetAndDestroy()
    }
    const answer = (bytes: Buffer): void => {
      state = 'dead'
      client.end(bytes)
      upstream?.destroy()
    }
    const toUpstream = (bytes: Buffer): void => {
      if (upstream === undefined) {
        const socket = connect(upstreamPort, '127.0.0.1')
        sockets.add(socket)
        socket.on('data', onUpstreamData)
        socket.on('error', kill)
        socket.on('close', () => {
          sockets.delete(socket)
          if (state !== 'dead' && !client.destroyed) client.end()
        })
        upstream = socket
      }
      if (bytes.byteLength > 0) upstream.write(bytes)
    }
    const onUpstreamData = (chunk: Buffer): void => {
      if (state === 'dead') return
      if (!cutResponse) {
        client.write(chunk)
        return
      }
      response = Buffer.concat([response, chunk])
      for (;;) {
        const end = response.indexOf(HEAD_END)
        if (end < 0) return
        const head = parseHead(response.subarray(0, end))
        if (/^HTTP\/1\.[01] 1\d\d/.test(head.firstLine)) {
          // An interim answer (100 Continue) goes through; the cut is in the final one.
          client.write(response.subarray(0, end + 4))
          response = response.subarray(end + 4)
          continue
        }
        const length = Number(head.headers['content-length'] ?? '0')
        const at = length > 0 ? end + 4 + Math.floor(length / 2) : Math.floor((end + 4) / 2)
        if (response.byteLength < at) return
        cutResponse = false
        client.write(response.subarray(0, at), kill)
        return
      }
    }

    const onRequest = (head: Head, raw: Buffer): void => {
      const [method = '', target = ''] = head.firstLine.split(' ')
      const attempt = Number(/attempt=(\d+)/.exec(head.headers['amz-sdk-request'] ?? '')?.[1] ?? '1')
      const request: ProxiedRequest = { method, target, headers: head.headers, attempt }
      const fault = proxy.decide(request)
      counts.requests += 1
      log.push({ request, fault })
      const key = `${method} ${target.replace(/[?&]x-id=[^&]*/, '')}`
      const waiting = unretried.get(key) ?? 0
      if (waiting > 0) {
        counts.retried += 1
        unretried.set(key, waiting - 1)
      }
      if (fault !== undefined) {
        counts.injected[fault] += 1
        unretried.set(key, (unretried.get(key) ?? 0) + 1)
      }
      const length = Number(head.headers['content-length'] ?? '0')
      const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '')
      const expectContinue = /100-continue/i.test(head.headers.expect ?? '')
      switch (fault) {
        case undefined:
        case 'reset-response':
          counts.forwarded += 1
          cutResponse = fault === 'reset-response'
          response = Buffer.alloc(0)
          toUpstream(raw)
          if (chunked) state = 'tunnel'
          else {
            bodyLeft = length
            state = length > 0 ? 'body' : 'head'
          }
          return
        case 'reset-request':
          if (length === 0 || chunked) {
            kill()
            return
          }
          counts.forwarded += 1
          toUpstream(raw)
          cut = { target, at: Math.floor(length / 2), forwarded: 0, length }
          bodyLeft = length
          state = 'body'
          return
        case 'slow-down':
        case 'internal-error': {
          const bytes = fault === 'slow-down' ? errorResponse(503, 'SlowDown', 'Please reduce your request rate.') : errorResponse(500, 'InternalError', 'We encountered an internal error. Please try again.')
          if (length === 0 || chunked || expectContinue) answer(bytes)
          else {
            // Read the whole body first, so the client is not cut off while it sends it.
            answerAfterDrain = bytes
            bodyLeft = length
            state = 'drain'
          }
          return
        }
        case 'stall':
          state = 'stall'
          return
      }
    }

    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.byteLength > 0) {
        if (state === 'dead' || state === 'stall') {
          pending = Buffer.alloc(0)
          return
        }
        if (state === 'tunnel') {
          toUpstream(pending)
          pending = Buffer.alloc(0)
          return
        }
        if (state === 'head') {
          const end = pending.indexOf(HEAD_END)
          if (end < 0) {
            if (pending.byteLength > MAX_HEAD) kill()
            return
          }
          const raw = pending.subarray(0, end + 4)
          pending = pending.subarray(end + 4)
          onRequest(parseHead(raw.subarray(0, end)), raw)
          continue
        }
        const take = Math.min(bodyLeft, pending.byteLength)
        const part = pending.subarray(0, take)
        pending = pending.subarray(take)
        bodyLeft -= take
        if (state === 'drain') {
          if (bodyLeft === 0 && answerAfterDrain !== undefined) answer(answerAfterDrain)
          continue
        }
        if (cut !== undefined) {
          const send = part.subarray(0, Math.max(0, cut.at - cut.forwarded))
          toUpstream(send)
          cut.forwarded += send.byteLength
          if (cut.forwarded >= cut.at) {
            cuts.push({ target: cut.target, forwarded: cut.forwarded, length: cut.length })
            cut = undefined
            // Let the half body reach the server, then reset both sides.
            if (upstream !== undefined) upstream.write(Buffer.alloc(0), kill)
            else kill()
            return
          }
        } else toUpstream(part)
        if (bodyLeft === 0) state = 'head'
      }
    })
    client.on('error', kill)
    client.on('close', () => {
      sockets.delete(client)
      if (upstream !== undefined && !upstream.destroyed) upstream.destroy()
    })
  }

  const server: Server = createServer(onConnection)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('the fault proxy has no address')
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}
