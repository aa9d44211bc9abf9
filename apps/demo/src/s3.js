// DEMO_STORAGE=s3: a local S3-compatible server (s3rver, the one @convoy/storage-s3's tests use) and the storage on it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'
import { createS3Storage } from '@convoy/storage-s3'

// The AWS SDK warns on every start that its 2027 releases will need Node 22; the demo supports Node 20 until then.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

export const DEMO_BUCKET = 'convoy-demo'
export const DEMO_PREFIX = 'static'
/** s3rver accepts exactly these credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/**
 * The demo's S3 storage: bucket `convoy-demo`, prefix `static`, on the S3-compatible server at `endpoint`.
 * `convoy.config.mjs` uses it when `DEMO_S3_ENDPOINT` is set.
 *
 * @param {string} endpoint e.g. `http://127.0.0.1:4568`
 */
export function createDemoS3Storage(endpoint) {
  return createS3Storage({ bucket: DEMO_BUCKET, prefix: DEMO_PREFIX, region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS })
}

/**
 * Starts s3rver on 127.0.0.1 (an ephemeral port unless `port` is given) with the demo bucket, keeping its objects in
 * a fresh temporary directory that `stop()` removes.
 *
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ endpoint: string, stop(): Promise<void> }>}
 */
export async function startLocalS3({ port = 0 } = {}) {
  const directory = await mkdtemp(join(tmpdir(), 'convoy-demo-s3-'))
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: DEMO_BUCKET, configs: [] }] })
  const address = await server.run()
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async stop() {
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
