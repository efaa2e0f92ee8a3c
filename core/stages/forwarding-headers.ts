/**
 * @module
 * Make a received request fit to forward: strip hop-by-hop headers (RFC 9110 §7.6.1)
 * and add x-forwarded-for / x-forwarded-proto / forwarded. Runs once per request,
 * before routing, so mirrors and every backend see the same headers.
 *
 * @example
 * const handler = compose([forwardingHeaders()])(next)
 */
import { stripHopByHop } from '../http/hop-by-hop.js'
import { addForwardingHeaders } from '../http/forwarded.js'
import type { Stage } from '../pipeline/stage.js'

export function forwardingHeaders(): Stage {
  return (next) =>
    function forwardingHeaders(req, ctx) {
      stripHopByHop(req.headers)
      addForwardingHeaders(req)
      return next(req, ctx)
    }
}
