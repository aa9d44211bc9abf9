// The routes of the compressed server every adapter starts for the suite.
import type { CompressedRoute } from './adapter.js'

/** A dynamic HTML page well over the 1024-byte threshold, very compressible. */
export const COMPRESSED_PAGE = `<!doctype html>\n<title>page</title>\n${'<p>The quick brown fox jumps over the lazy dog.</p>\n'.repeat(100)}`

/**
 * The routes every compressed server answers (`startCompressed({ routes })`): a page with a strong ETag, a page under
 * the threshold, JSON, an image, `Cache-Control: no-transform`, server-sent events, an already-encoded body (opaque:
 * it must pass byte for byte) and a 204.
 */
export const COMPRESSED_ROUTES: readonly CompressedRoute[] = [
  { path: '/page', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', ETag: '"page"' }, body: COMPRESSED_PAGE },
  { path: '/small', status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', ETag: '"small"' }, body: '<p>small</p>' },
  { path: '/json', status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ page: COMPRESSED_PAGE }) },
  { path: '/image', status: 200, headers: { 'Content-Type': 'image/png', ETag: '"image"' }, body: COMPRESSED_PAGE },
  {
    path: '/no-transform',
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'public, No-Transform', ETag: '"nt"' },
    body: COMPRESSED_PAGE,
  },
  {
    path: '/events',
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
    body: Array.from({ length: 40 }, (_, i) => `id: ${i}\ndata: ${'event '.repeat(10)}\n\n`).join(''),
  },
  {
    path: '/encoded',
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Encoding': 'gzip', ETag: '"gz"' },
    body: `already encoded by the application: ${'opaque bytes '.repeat(120)}`,
  },
  { path: '/no-content', status: 204, headers: { ETag: '"nc"' }, body: '' },
]
