// A minimal cookie session holding one secret per visitor: the CSRF token the form page embeds in its HTML.
import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'

export const SESSION_COOKIE = 'convoy_hono_sid'
/** Sessions kept at most; the oldest is dropped first, so a flood of new visitors cannot grow memory for ever. */
const MAX_SESSIONS = 10_000

export interface Session {
  readonly id: string
  /** The per-session secret that makes compressing the form page over HTTPS unsafe (BREACH). */
  readonly csrfToken: string
}

export interface Sessions {
  /** The request's session, created (with a `Set-Cookie`) when it has none. */
  get(c: Context): Session
  /** Whether `token` is this session's CSRF token, compared in constant time. */
  checkToken(session: Session, token: unknown): boolean
}

/** In-memory sessions keyed by a random cookie, each with its own CSRF token. */
export function createSessions(): Sessions {
  const sessions = new Map<string, Session>()
  return {
    get(c) {
      const id = getCookie(c, SESSION_COOKIE)
      const found = id === undefined ? undefined : sessions.get(id)
      if (found !== undefined) return found
      const session: Session = { id: randomUUID(), csrfToken: randomUUID() }
      if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string)
      sessions.set(session.id, session)
      setCookie(c, SESSION_COOKIE, session.id, { path: '/', httpOnly: true, sameSite: 'Lax' })
      return session
    },
    checkToken(session, token) {
      if (typeof token !== 'string') return false
      const expected = Buffer.from(session.csrfToken)
      const given = Buffer.from(token)
      return given.length === expected.length && timingSafeEqual(given, expected)
    },
  }
}
