// A request that came through a TLS-terminating proxy.
const req = { headers: { 'x-forwarded-proto': 'https' } }
