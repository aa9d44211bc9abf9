// A real S3-compatible server (s3rver) on 127.0.0.1 for the tests, and clients that count what they send.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, renameSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, unlink } from 'node:fs/promises'
import type { IncomingMessage, Server } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { S3Client } from '@aws-sdk/client-s3'
import type { Storage } from '@convoy/storage'
import S3rver from 's3rver'

export const BUCKET = 'convoy-test'
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
const OBJECT_SUFFIX = '._S3rver_object'

interface S3rverObject {
  readonly bucket: string
  readonly key: string
  readonly content: Buffer | Readable
  readonly metadata: Record<string, string>
}

interface FilesystemStore {
  getBucketPath(bucket: string): string
  getResourcePath(bucket: string, key: string, resource: string): string
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>
  listObjects(bucket: string, options: ListOptions): Promise<unknown>
}

interface ListOptions {
  readonly delimiter?: string
  readonly startAfter?: string
  readonly prefix?: string
  readonly maxKeys?: number
}

type S3ObjectClass = new (bucket: string, key: string, content: null, metadata: Record<string, string>) => unknown
const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object') as S3ObjectClass
const ALLOWED_METADATA = (S3Object as unknown as { ALLOWED_METADATA: readonly string[] }).ALLOWED_METADATA

/**
 * s3rver's file store takes two shortcuts real S3 does not: it writes an object in place (a reader can see half of
 * it, and it answers the PUT before the file is flushed), and it lists keys in directory order, so pages past the
 * first can skip keys. The tests check our storage, not those shortcuts, so the store gets an S3-like PUT (temporary
 * file, then a rename, metadata and bytes swapped together) and a sorted listing.
 */
function makeStoreLikeS3(store: FilesystemStore): void {
  const listWithDelimiter = store.listObjects.bind(store)

  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object')
    const metadataPath = store.getResourcePath(object.bucket, object.key, 'metadata.json')
    await mkdir(dirname(objectPath), { recursive: true })
    const temp = `${objectPath}.${randomBytes(6).toString('hex')}.tmp`
    const md5 = createHash('md5')
    let size = 0
    try {
      const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            md5.update(chunk)
            size += chunk.byteLength
            yield chunk
          }
        },
        createWriteStream(temp),
      )
      const digest = md5.digest('hex')
      const metadata: Record<string, string> = {}
      for (const [name, value] of Object.entries(object.metadata)) {
        if (ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) metadata[name] = value
      }
      await Promise.all([writeText(`${temp}.md5`, digest), writeText(`${temp}.json`, JSON.stringify(metadata))])
      // Synchronous renames: no other request of this process runs in between, so the three files change together.
      renameSync(`${temp}.md5`, `${objectPath}.md5`)
      renameSync(`${temp}.json`, metadataPath)
      renameSync(temp, objectPath)
      return { size, md5: digest }
    } catch (error) {
      await Promise.all([temp, `${temp}.md5`, `${temp}.json`].map((file) => unlink(file).catch(() => undefined)))
      throw error
    }
  }

  store.listObjects = async (bucket, options) => {
    if (options.delimiter !== undefined && options.delimiter !== '') return listWithDelimiter(bucket, options)
    const { startAfter = '', prefix = '', maxKeys = Infinity } = options
    const bucketPath = store.getBucketPath(bucket)
    const files = (await readdir(bucketPath, { recursive: true })).filter((file) => file.endsWith(OBJECT_SUFFIX))
    const keys = files
      .map((file) => file.split(sep).join('/').slice(0, -OBJECT_SUFFIX.length))
      .filter((key) => key.startsWith(prefix) && key > startAfter)
      .sort()
    const page = keys.slice(0, maxKeys)
    const objects = []
    for (const key of page) {
      const metadata = await store.getMetadata(bucket, key).catch(() => undefined)
      if (metadata !== undefined) objects.push(new S3Object(bucket, key, null, metadata))
    }
    return { objects, commonPrefixes: [], isTruncated: keys.length > page.length }
  }
}

async function writeText(file: string, text: string): Promise<void> {
  await pipeline(Readable.from([Buffer.from(text)]), createWriteStream(file))
}

/** A running server; `stop()` drops every connection at once (keep-alive ones too), as a crashed server would. */
export interface TestS3Server {
  /** Called with each request as it arrives (whoever sent it: this process or a child), e.g. to stop the server midway. */
  onRequest: ((request: IncomingMessage) => void) | undefined
  readonly endpoint: string
  readonly port: number
  readonly directory: string
  stop(): Promise<void>
  /** Starts again on the same port and directory. */
  restart(): Promise<void>
  /** Stops and removes the directory. */
  dispose(): Promise<void>
}

export async function startS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'convoy-s3rver-'))
  let port = 0
  let running: { server: S3rver; http: Server } | undefined
  const handle: { onRequest: TestS3Server['onRequest'] } = { onRequest: undefined }
  const start = async (): Promise<void> => {
    const server = new S3rver({ address: '127.0.0.1', port, directory, silent: process.env.S3_LOG !== "1", configureBuckets: [{ name: BUCKET, configs: [] }] })
    makeStoreLikeS3((server as unknown as { store: FilesystemStore }).store)
    const address = await server.run()
    port = address.port
    const http = (server as unknown as { httpServer: Server }).httpServer
    http.prependListener('request', (request: IncomingMessage) => handle.onRequest?.(request))
    running = { server, http }
  }
  const stop = async (): Promise<void> => {
    if (running === undefined) return
    const { http } = running
    running = undefined
    // s3rver closes its logger when the server closes; requests still being handled would then complain on stderr.
    http.removeAllListeners('close')
    const closed = new Promise<void>((resolve) => http.close(() => resolve()))
    http.closeAllConnections()
    await closed
  }
  await start()
  return {
    get onRequest() {
      return handle.onRequest
    },
    set onRequest(hook) {
      handle.onRequest = hook
    },
    endpoint: `http://127.0.0.1:${port}`,
    port,
    directory,
    stop,
    restart: start,
    async dispose() {
      await stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

/** Commands sent by a client, by name (`PutObjectCommand`…), counted once per command whatever its retries. */
export type CommandCounts = Map<string, number>

/**
 * An S3Client for the test server, as a user of an S3-compatible service would configure it (path-style, checksums
 * only when required), counting the commands it sends. `onCommand` runs before each command is sent.
 */
export function createTestClient(server: TestS3Server, onCommand?: (name: string, counts: CommandCounts) => void): { client: S3Client; counts: CommandCounts } {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const counts: CommandCounts = new Map()
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown'
      counts.set(name, (counts.get(name) ?? 0) + 1)
      onCommand?.(name, counts)
      return next(args)
    },
    { step: 'initialize', name: 'convoyTestCount' },
  )
  return { client, counts }
}

/**
 * The storage as s3rver can back it: s3rver ignores If-Match / If-None-Match, so the conformance suite's
 * conditional-write test is skipped here and runs against radosgw in conditional-writes.test.ts.
 */
export function withoutConditionalWrites(storage: Storage): Storage {
  return { ...storage, capabilities: { ...storage.capabilities, conditionalWrites: false } }
}

/** A fresh key prefix, so tests sharing one server never see each other's objects. */
export function uniquePrefix(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`
}
