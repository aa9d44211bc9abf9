// A stateless cookie session holding one secret per visitor: a random id in a signed cookie (@fastify/cookie), and
// the form's CSRF token derived from it with an HMAC. Nothing is kept in memory; a new id means a new token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SESSION_COOKIE = 'convoy_example_sid'

/**
 * @typedef {{ id: string, csrfToken: string }} Session
 */

/**
 * Sessions signed with `secret` (the same secret @fastify/cookie signs the cookie with).
 *
 * @param {string} secret
 */
export function createSessions(secret) {
  /** @param {string} id */
  const tokenOf = (id) => createHmac('sha256', secret).update(`csrf:${id}`).digest('base64url')

  return {
    /**
     * The request's session; a new one (with a `Set-Cookie`) when the cookie is missing or its signature is wrong.
     *
     * @param {import('fastify').FastifyRequest} request
     * @param {import('fastify').FastifyReply} reply
     * @returns {Session}
     */
    get(request, reply) {
      const cookie = request.cookies[SESSION_COOKIE]
      const unsigned = cookie === undefined ? undefined : request.unsignCookie(cookie)
      if (unsigned?.valid === true && unsigned.value !== null) return { id: unsigned.value, csrfToken: tokenOf(unsigned.value) }
      const id = randomBytes(18).toString('base64url')
      reply.setCookie(SESSION_COOKIE, id, { signed: true, httpOnly: true, sameSite: 'lax', path: '/' })
      return { id, csrfToken: tokenOf(id) }
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
