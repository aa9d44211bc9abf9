// The hostile-path table (DESIGN §7, §13): request targets that must never reach a byte outside the served root or a
// dotfile inside it, whatever the adapter. The fixture (fixture.ts) puts the secrets these paths aim at on disk.
import { expect } from 'vitest'

/** The contents of the trap files of the fixture: none of them may ever appear in a response. */
export const SECRETS = ['TOPSECRET-OUTSIDE-ROOT', 'TOPSECRET-SIBLING-FOLDER', 'TOPSECRET-DOTFILE', 'TOPSECRET-GIT'] as const

/**
 * Request targets, each sent as is on the request line (no client normalisation), that must end in 400 or 404 (a
 * fallthrough to the framework's not-found handler counts) and never carry a byte from outside the root or a dotfile.
 * The fixture puts secrets next to the root (`../secret.txt`), in a sibling folder whose name starts like the root's
 * (`public-old`), in dotfiles inside the root, behind symlinks pointing out of the root, and behind a manifest entry
 * whose original is such a symlink. Encoded, double-encoded, overlong UTF-8, backslashes, NUL, drive letters,
 * absolute-form and asterisk-form targets.
 */
export const HOSTILE = [
  '/../secret.txt',
  '/../../secret.txt',
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2E/secret.txt',
  '/%2e%2e%2fsecret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/..%252fsecret.txt',
  '/%25%32%65%25%32%65/secret.txt',
  '/css/../../secret.txt',
  '/css/..%2f..%2fsecret.txt',
  '/css/%2e%2e/%2e%2e/secret.txt',
  '/css/base.css/..%2f..%2f..%2fsecret.txt',
  '/css/./../secret.txt',
  '/..\\secret.txt',
  '/..%5csecret.txt',
  '/..%5Csecret.txt',
  '/css\\..\\..\\secret.txt',
  '/css%5c..%5c..%5csecret.txt',
  '/%5c..%5csecret.txt',
  '/..%255csecret.txt',
  '/%252e%252e%255csecret.txt',
  '/secret.txt%00.css',
  '/css/base.css%00',
  '/%00../secret.txt',
  '/..%00/secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/%c0%ae%c0%ae%c0%afsecret.txt',
  '/..%c0%afsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/%c1%9c..%c1%9csecret.txt',
  '/%uff0e%uff0e/secret.txt',
  '/%ef%bc%8e%ef%bc%8e/secret.txt',
  '/%',
  '/%zz',
  '/%e2%82',
  '/css/%',
  '/../public-old/secret.txt',
  '/..%2fpublic-old%2fsecret.txt',
  '/%2e%2e/public-old/secret.txt',
  '/../public-old/css/base.css',
  '/public-old/secret.txt',
  '/linked/secret.txt',
  '/linked/css/base.css',
  '/css/escape.css',
  '/secret-link.txt',
  '//secret.txt',
  '//etc/passwd',
  '/etc/passwd',
  '/%2fetc%2fpasswd',
  '/%2Fetc/passwd',
  '///etc/passwd',
  '/C:/Windows/win.ini',
  '/C:%5cWindows%5cwin.ini',
  '/c:secret.txt',
  '/file:///etc/passwd',
  '/.env',
  '/%2eenv',
  '/.git/config',
  '/%2egit/config',
  '/css/.hidden.css',
  '/css/%2ehidden.css',
  '/./secret.txt',
  '/..',
  '/../',
  '/.',
  '/%2e',
  '/%2e%2e',
  '/....//secret.txt',
  '/..../secret.txt',
  '/.../secret.txt',
  '/css/..;/..;/secret.txt',
  '/%2e%2e;/secret.txt',
  '/secret.txt',
  '/../secret.txt?download=1',
  '/css/',
  '/',
  'http://127.0.0.1/../secret.txt',
  '\\..\\secret.txt',
  '*',
] as const

/**
 * Request targets no HTTP client sends (raw bytes: NUL, a space or a tab inside the path, overlong UTF-8 unencoded),
 * sent over a raw socket as `GET <target> HTTP/1.1`. The same rule as {@link HOSTILE}: 400 or 404, or the
 * connection closed, and no secret.
 */
export const RAW_HOSTILE_TARGETS = [
  '/..\0/secret.txt',
  '/../secret.txt\0',
  '/.. /secret.txt',
  '/%2e%2e/secret.txt\t',
  '/\xc0\xae\xc0\xae/secret.txt',
] as const

/**
 * A hostile request must end in 400 or 404 and never carry a byte of a secret. `body` is everything received
 * (for a raw request: the status line and headers too), read as latin1 so that no byte is lost.
 *
 * @example
 * const reply = await request(url, '/static/..%2fsecret.txt')
 * expectNothingLeaked('/static/..%2fsecret.txt', reply.status, reply.body.toString('latin1'))
 */
export function expectNothingLeaked(path: string, status: number, body: string): void {
  for (const secret of SECRETS) expect(body.includes(secret), `${path} leaked ${secret}`).toBe(false)
  expect([400, 404], `${path} answered ${status}: it must be refused with 400 or 404`).toContain(status)
}
