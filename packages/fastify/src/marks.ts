// What the plugins of this package tell each other through a reply. `Symbol.for`, so two copies of the package
// installed side by side (a plugin of yours and the app's) still understand each other.

/**
 * Set on a reply that `convoyStatic` answered (a file, a 304, a 405…): `convoyCompress` leaves it alone. Files are
 * precompressed at deploy time; compressing them again per request would only cost CPU.
 */
export const SERVED_BY_CONVOY_STATIC: unique symbol = Symbol.for('@convoy/fastify.served-by-convoy-static')

/** Holds the reply's bound resolver once `reply.convoy` was first read. */
export const BOUND_RESOLVER: unique symbol = Symbol.for('@convoy/fastify.bound-resolver')

declare module 'fastify' {
  interface FastifyReply {
    /** Whether `convoyStatic` answered this reply (then `convoyCompress` leaves it alone). */
    [SERVED_BY_CONVOY_STATIC]: boolean
  }
}
