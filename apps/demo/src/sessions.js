// A minimal cookie session holding one secret per visitor: the CSRF token the form page embeds in its HTML.
import { randomUUID, timingSafeEqual } from 'node:crypto'

export const SESSION_COOKIE = 'convoy_demo_sid'
/** Sessions kept at most; the oldest is dropped first, so a flood of new visitors cannot grow memory for ever. */
const MAX_SESSIONS = 10_000

/**
 * @typedef {{ id: string, csrfToken: string }} Session
 */

/** @param {string | undefined} header */
function readCookie(header) {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=')
    if (index !== -1 && part.slice(0, index).trim() === SESSION_COOKIE) return part.slice(index + 1).trim()
  }
  return undefined
}

/**
 * In-memory sessions keyed by a random cookie. Each session gets its own CSRF token (`crypto.randomUUID()`): the
 * per-session secret that makes compressing the form page over HTTPS unsafe (BREACH).
 */
export function createSessions() {
  /** @type {Map<string, Session>} */
  const sessions = new Map()
  return {
    /**
     * The request's session, created (with a `Set-Cookie`) when it has none.
     *
     * @param {import('express').Request} req
     * @param {import('express').Response} res
     * @returns {Session}
     */
    get(req, res) {
      const id = readCookie(req.headers.cookie)
      const found = id === undefined ? undefined : sessions.get(id)
      if (found !== undefined) return found
      const session = { id: randomUUID(), csrfToken: randomUUID() }
      if (sessions.size >= MAX_SESSIONS) sessions.delete(/** @type {string} */ (sessions.keys().next().value))
      sessions.set(session.id, session)
      res.append('Set-Cookie', `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax`)
      return session
    },

    /**
     * Whether `token` is this session's CSRF token (compared in constant time).
     *
     * @param {Session} session
     * @param {unknown} token
     */
    checkToken(session, token) {
      if (typeof token !== 'string') return false
      const expected = Buffer.from(session.csrfToken)
      const given = Buffer.from(token)
      return given.length === expected.length && timingSafeEqual(given, expected)
    },
  }
}
